"""Settings, from the command line or SOSBOARD_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    secure_cookies: bool = Field(default=False, description="Set the Secure flag on cookies (behind HTTPS).")
    session_hours: int = Field(default=12, description="A session lasts one conference day at most.")

    max_frame_bytes: int = 64 * 1024
    ops_per_second: float = 20.0
    ops_burst: int = 60
    send_queue_frames: int = 512
    replay_limit: int = Field(default=500, description="Events replayed on reconnect before a snapshot is sent.")
    ws_ping_seconds: float = 20.0

    glossary_files: list[Path] = Field(
        default_factory=list,
        description="Extra glossary files (TOML, as app/domain/glossary.toml) a deployment adds to the built-in one.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days a meeting is kept after it was created before `sosboard purge` deletes it; none: forever.",
    )
    purge_every_hours: float | None = Field(
        default=None, gt=0, description="Run the purge inside the server this often; none (the default): never."
    )
    finalised_screens_close_seconds: float = Field(
        default=30.0,
        ge=0,
        description="After finalising, family and room-screen sessions end by themselves after this many seconds.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sosboard.db').resolve()}"
