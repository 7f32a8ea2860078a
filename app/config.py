"""Settings, from the command line or SOSBOARD_* environment variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOSBOARD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="sqlite+aiosqlite:///path.db or postgresql+asyncpg://...; default: a SQLite file in data_dir.",
    )
    broker_url: str = Field(default="memory://", description="memory:// for one process, redis://host:port for many.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to open the websocket besides the app's own (same host as the request).",
    )
    secure_cookies: bool = Field(
        default=False, description="Set the Secure flag on cookies and send HSTS (behind HTTPS only)."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field(
        default="info",
        description="The server's log level, uvicorn's and the app's; trace is uvicorn's most verbose (every ASGI "
        "message, bodies and headers left out). At every level the log holds no names, words, tokens or codes.",
    )
    session_hours: int = Field(default=12, ge=1, description="A session lasts one conference day at most.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Room codes are derived from this key and never stored; set the same value on every process. "
        "Unset: with SQLite, a key file made beside the database; with PostgreSQL, room codes are refused.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (10.0.0.5, 10.0.0.0/24) of reverse proxies whose X-Forwarded-For is "
        "believed when rate-limiting room-code tries; none (the default): the connection's own address.",
    )
    room_code_tries_per_address: int = Field(
        default=10, ge=1, description="Wrong room codes one address may try in 10 minutes before a 429."
    )
    room_code_tries_per_minute: int = Field(
        default=60,
        ge=1,
        description="Wrong room codes the whole server (each process) takes in a minute before a 429 for everyone; "
        "what keeps the odds of guessing a code under one in a million (app/api/lobby.py).",
    )
    lobby_wait_minutes: float = Field(default=30, gt=0, description="How long a device waits in the lobby at most.")
    lobby_max_waiting: int = Field(default=20, ge=1, description="Devices waiting in one meeting's lobby at once.")

    meetings_per_address_per_hour: int = Field(
        default=100, ge=1, description="Meetings one address may start in an hour before a 429 too_many_meetings."
    )
    meetings_per_minute: int = Field(
        default=120, ge=1, description="Meetings all addresses together may start in a minute (each process)."
    )
    connections_per_participant: int = Field(
        default=10,
        ge=1,
        description="Websocket connections one participant may hold open at once (each process); past it the "
        "upgrade is refused with 429 too_many_connections.",
    )
    connections_per_meeting: int = Field(
        default=200,
        ge=1,
        description="Websocket connections one meeting may have open at once (each process); past it the upgrade "
        "is refused with 429 meeting_full.",
    )

    max_frame_bytes: int = 64 * 1024
    ops_per_second: float = 20.0
    ops_burst: int = 60
    control_frames_per_second: float = Field(
        default=10.0, gt=0, description="Pings and `editing` frames one connection may send."
    )
    control_frames_burst: int = Field(default=30, ge=1)
    send_queue_frames: int = 512
    replay_limit: int = Field(default=500, description="Events replayed on reconnect before a snapshot is sent.")
    commit_queue_ops: int = Field(
        default=256,
        ge=1,
        description="Operations waiting for their commit (in each process) before a new one is refused with `busy` "
        "and a retry-after: past capacity the server says so instead of letting every edit fall behind.",
    )
    commit_group_ops: int = Field(
        default=64, ge=1, description="Operations committed together in one transaction (one fsync) at most."
    )
    ws_ping_seconds: float = Field(
        default=1.5, description="How often the server sends a protocol-level ping to each connection."
    )
    ws_ping_timeout_seconds: float = Field(
        default=2.5,
        description="How long a ping may wait for its answer before the connection is closed: a device whose network "
        "died leaves everyone's presence within the two added together, and a slow mobile link still has time.",
    )

    glossary_files: list[Path] = Field(
        default_factory=list,
        description="Extra glossary files (TOML, as app/domain/glossary.toml) a deployment adds to the built-in one.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days a meeting is kept, counted from when it was finalised (or created, if it never was), "
        "before `sosboard purge` deletes it; none: forever.",
    )
    purge_every_hours: float | None = Field(
        default=None, gt=0, description="Run the purge inside the server this often; none (the default): never."
    )
    diagnostics_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Log counts of tasks, rooms and connections this often (ids and words never): what a soak run "
        "reads to see that nothing leaks; none (the default): never.",
    )
    finalised_screens_close_seconds: float = Field(
        default=1.5,
        ge=0,
        description="After finalising, family and room-screen sessions end by themselves after this many seconds "
        "(their connections close with 4401): long enough for the event that draws the goodbye screen, short "
        "enough that nothing more of the meeting reaches a shared tablet or a wall. The goodbye screen offers the "
        "family's copy of the record only while the session lasts: a deployment whose families join on their own "
        "phones may set this longer; on a shared tablet the chair gives the family its copy.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            ipaddress.ip_network(entry.strip(), strict=False)  # a wrong entry stops the start, not a request
        return entries

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sosboard.db').resolve()}"
