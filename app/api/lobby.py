"""Joining the room by code: the chair's room code (and its QR code), the lobby a device waits in, and the chair
letting it in or turning it away. The rules are in app.store.lobby; this module adds HTTP and the guessing limits.

Routes (every answer `Cache-Control: no-store`):

| route | who | what |
| --- | --- | --- |
| `POST /api/meetings/{id}/room-code` | chair | a new code (201), replacing any earlier one |
| `GET /api/meetings/{id}/room-code` | chair, professional, room screen | the live code, or 204 when there is none |
| `GET /api/meetings/{id}/room-code.svg` | chair, professional, room screen | its QR code: the room's join URL |
| `DELETE /api/meetings/{id}/room-code` | chair | withdraw it (204) |
| `POST /api/lobby {code}` | anyone | wait in the lobby: `{"state": "waiting"}` and the lobby cookie |
| `GET /api/lobby` | the waiting device | its state, or 204 when not waiting; when admitted, its session opens, once |
| `DELETE /api/lobby` | the waiting device | stop waiting (204) |
| `GET /api/meetings/{id}/lobby` | chair | the waiting devices: an id and when each came, nothing else |
| `POST /api/meetings/{id}/lobby/{entry_id}/admit` | chair | let it in with a name and a role (201) |
| `DELETE /api/meetings/{id}/lobby/{entry_id}` | chair | turn it away (204) |

The code never rides in a URL the server sees: the QR code and the link say `/room#ABCD-EFGH`, and a browser never
sends the fragment; the device posts the code in a body.

Guessing a code. A code is 8 symbols of 31: N = 31^8 = 852,891,037,441 codes. Every try of a well-formed code
is counted before it is looked up, and given back if it found a code (a try that cannot be a code, wrong length or
a symbol outside the alphabet, is refused without a lookup and costs nothing). Two limits, in this process:

- per address: `room_code_tries_per_address` (10) wrong codes in 10 minutes, then 429 with Retry-After; an IPv6
  client counts by its /64 (one machine holds a whole /64). This keeps one guesser slow and tells a person who
  mistypes what to do, but an attacker with many addresses is not bound by it; so:
- across the server: `room_code_tries_per_minute` (G = 60) wrong codes a minute from all addresses together,
  then 429 for everyone until the minute has passed.

A code lives at most the session lifetime, T = `session_hours` (12 h = 720 minutes); finalising, withdrawing or
replacing it ends it sooner. So at most G x T = 43,200 wrong tries are ever made while a given code is alive, and
each try is one code out of N, so by the union bound the odds that a given code is ever guessed are at most

    G x T / N = 60 x 720 / 852,891,037,441 = 5.1 x 10^-8, about 1 in 19.7 million: under one in a million.

(`guess_odds` computes it; tests/api/test_room_code.py checks the defaults.) A guessed code only puts a device in
the lobby, where the chair sees an unknown screen waiting and must still admit it with a name and a role.

Several processes. The limits are held in each process's memory (a small bounded structure: at most 10,000
addresses, each at most 10 times). With P processes behind a load balancer the server-wide cap is P x G, and the
odds P times the above: under one in a million up to P = 19 at the defaults (in general while
P x G x 60 x session_hours < N / 10^6, i.e. P x G x session_hours < 14,214). Past that, lower
`room_code_tries_per_minute` in proportion. A restart forgets the counts, which at most gives a guesser one more
window's worth of tries per restart.

The client's address is the connection's (the ASGI scope's). Behind a reverse proxy every request comes from the
proxy: list it in `trusted_proxies` and the address is read from X-Forwarded-For, right to left, skipping trusted
proxies only, so a client cannot choose its own address by sending the header. (uvicorn, as `sosboard serve`
runs it, already rewrites the scope's client from X-Forwarded-For for connections from 127.0.0.1: a proxy on the
same machine is trusted that way without this setting.) With no trusted proxy and a proxy in front, every client
shares the proxy's address: the per-address limit then acts as a second server-wide one.

Under a flood of wrong codes the server-wide cap refuses everyone's codes for a minute at a time: joining by code
fails closed, and invite links keep working.
"""

from __future__ import annotations

import io
import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from app.api.access import Allowed
from app.api.errors import error_response, responses
from app.api.schemas import Agency, Name, ParticipantOut, _Body
from app.api.sessions import ServicesDep, set_session_cookie
from app.domain.meeting import Participant
from app.domain.roles import HttpAction, Role
from app.services import Services
from app.store.lobby import (
    CODE_SPACE,
    Lobby,
    LobbyState,
    NotInLobby,
    RoomCode,
    RoomCodeNotFound,
    format_code,
    normalise_code,
    room_code_key,
)
from app.store.tables import utcnow

router = APIRouter(prefix="/api", tags=["lobby"])

LOBBY_COOKIE = "sos_lobby"
LOBBY_COOKIE_PATH = "/api/lobby"
"""The lobby cookie goes to the lobby's own route and nowhere else."""
ADDRESS_WINDOW_SECONDS = 600.0
GLOBAL_WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000
_NO_STORE = {"Cache-Control": "no-store"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def guess_odds(tries_per_minute: int, lifetime_hours: float, processes: int = 1) -> float:
    """The most a code can be guessed with while it lives, over the codes there are: the odds that one given code
    is ever guessed (see the module's docstring)."""
    return processes * tries_per_minute * lifetime_hours * 60 / CODE_SPACE


# --- the guessing limits ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    retry_after: int
    """Whole seconds until a try would be taken again."""
    everyone: bool
    """The server-wide cap (not this address's)."""


@dataclass(frozen=True, slots=True)
class Guess:
    address: str
    at: float


class GuessLimiter:
    """Wrong room codes per address (in `address_window` seconds) and across the process (a minute), in memory,
    bounded: `max_addresses` addresses are remembered, the least recent forgotten first (the server-wide cap still
    holds for an attacker who spreads over more). `clock`: monotonic seconds (tests move it)."""

    def __init__(
        self,
        per_address: int,
        per_minute: int,
        *,
        address_window: float = ADDRESS_WINDOW_SECONDS,
        max_addresses: int = MAX_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_address = per_address
        self.per_minute = per_minute
        self.address_window = address_window
        self.max_addresses = max_addresses
        self.clock = clock
        self._by_address: OrderedDict[str, deque[float]] = OrderedDict()
        self._everyone: deque[float] = deque(maxlen=per_minute)

    def check(self, address: str) -> Refusal | None:
        """Whether a try from `address` would be taken now (nothing is counted)."""
        now = self.clock()
        _forget_before(self._everyone, now - GLOBAL_WINDOW_SECONDS)
        if len(self._everyone) >= self.per_minute:
            return Refusal(_seconds(self._everyone[0] + GLOBAL_WINDOW_SECONDS - now), everyone=True)
        tries = self._by_address.get(address)
        if tries is not None:
            _forget_before(tries, now - self.address_window)
            if len(tries) >= self.per_address:
                return Refusal(_seconds(tries[0] + self.address_window - now), everyone=False)
        return None

    def spend(self, address: str) -> Guess:
        """Count a try now, before it is looked up (so tries in flight at once count too); `refund` it if it found
        a code. Call straight after `check`, with no await between."""
        now = self.clock()
        tries = self._by_address.get(address)
        if tries is None:
            tries = self._by_address[address] = deque(maxlen=self.per_address)
            while len(self._by_address) > self.max_addresses:
                self._by_address.popitem(last=False)
        else:
            self._by_address.move_to_end(address)
        tries.append(now)
        self._everyone.append(now)
        return Guess(address, now)

    def refund(self, guess: Guess) -> None:
        """The try found a code: it was no wrong guess."""
        for tries in (self._by_address.get(guess.address), self._everyone):
            if tries is not None and guess.at in tries:
                tries.remove(guess.at)

    def __len__(self) -> int:
        """Addresses remembered."""
        return len(self._by_address)


def _forget_before(tries: deque[float], moment: float) -> None:
    while tries and tries[0] <= moment:
        tries.popleft()


def _seconds(delay: float) -> int:
    return max(1, math.ceil(delay))


def parse_networks(entries: list[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def client_address(request: Request, trusted: tuple[Network, ...]) -> str:
    """Who is trying codes, for the per-address limit: the connection's address, or behind trusted proxies the
    first address in X-Forwarded-For, from the right, that is not a trusted proxy. IPv6 by its /64."""
    address = request.client.host if request.client is not None else ""
    if trusted:
        hops = [hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
        while hops and _is_trusted(address, trusted):
            address = hops.pop()
    return _bucket(address)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _bucket(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# --- the lobby's parts, made once per app ------------------------------------------------------------------------


@dataclass
class LobbyService:
    store: Lobby
    limiter: GuessLimiter
    trusted_proxies: tuple[Network, ...]


def build_lobby_service(
    services: Services,
    *,
    now: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
) -> LobbyService:
    settings = services.settings
    secret = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    store = Lobby(
        services.db,
        room_code_key(secret, services.db.url),
        session_hours=settings.session_hours,
        wait=timedelta(minutes=settings.lobby_wait_minutes),
        max_waiting=settings.lobby_max_waiting,
        now=now,
    )
    limiter = GuessLimiter(settings.room_code_tries_per_address, settings.room_code_tries_per_minute, clock=monotonic)
    return LobbyService(store, limiter, parse_networks(settings.trusted_proxies))


async def get_lobby(request: Request, services: ServicesDep) -> LobbyService:
    """The app's lobby (made on first use: no await between looking and keeping it, so one per app)."""
    found: LobbyService | None = getattr(request.app.state, "lobby", None)
    if found is None:
        found = request.app.state.lobby = build_lobby_service(services)
    return found


LobbyDep = Annotated[LobbyService, Depends(get_lobby)]


async def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


# --- bodies ---------------------------------------------------------------------------------------------------------


class RoomCodeOut(BaseModel):
    code: str = Field(description="As people read and type it: ABCD-EFGH.", examples=["KQ7M-4HXT"])
    expires_at: datetime
    join_url: str = Field(description="The room's join page, the code in its fragment (never sent to a server).")


class LobbyJoin(_Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The room code as typed: any case, spaces and dashes ignored."
    )


class LobbyOut(BaseModel):
    state: LobbyState = Field(
        description="waiting; admitted (this answer opened the session: go to the meeting); turned_away; expired "
        "(the wait ran out, or the meeting ended); used (this device already came in: its lobby place opens "
        "nothing again)."
    )
    meeting_id: str | None = Field(default=None, description="Admitted only: the meeting now signed in to.")


class WaitingDeviceOut(BaseModel):
    id: str
    arrived_at: datetime
    expires_at: datetime


class AdmitRequest(_Body):
    display_name: Name
    role: Literal[Role.family, Role.projector, Role.professional, Role.observer]
    agency: Agency | None = None


def join_url(request: Request, code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/room#{format_code(code)}"


def _room_code_out(request: Request, room_code: RoomCode) -> RoomCodeOut:
    return RoomCodeOut(
        code=format_code(room_code.code), expires_at=room_code.expires_at, join_url=join_url(request, room_code.code)
    )


def _set_lobby_cookie(response: Response, services: Services, token: str) -> None:
    response.set_cookie(
        LOBBY_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=services.settings.secure_cookies,
        path=LOBBY_COOKIE_PATH,
    )


def _clear_lobby_cookie(response: Response) -> None:
    response.delete_cookie(LOBBY_COOKIE, path=LOBBY_COOKIE_PATH, httponly=True, samesite="strict")


# --- the room code ------------------------------------------------------------------------------------------------


@router.post(
    "/meetings/{meeting_id}/room-code",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
    dependencies=[Depends(_no_store)],
)
async def create_room_code(
    meeting_id: str,
    request: Request,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.make_room_code))],
    lobby: LobbyDep,
) -> RoomCodeOut:
    """A new room code for the meeting, replacing any earlier one (which stops working at once)."""
    return _room_code_out(request, await lobby.store.create_code(meeting_id, chair))


@router.get(
    "/meetings/{meeting_id}/room-code",
    response_model=RoomCodeOut,
    responses={
        204: {"description": "No room code now (never made, withdrawn, expired, or the meeting is finalised)."},
        **responses(401, 403, 404, 422),
    },
    dependencies=[Depends(_no_store)],
)
async def get_room_code(
    meeting_id: str,
    request: Request,
    _reader: Annotated[Participant, Depends(Allowed(HttpAction.read_room_code))],
    lobby: LobbyDep,
) -> Any:
    """The meeting's room code, to show the room: 204 when it has none (never made, withdrawn, expired, or the
    meeting is finalised). No code is the usual state of a meeting, not an error: every chair's screen asks on
    load, and a 404 there would be an error in every browser's console."""
    try:
        room_code = await lobby.store.code(meeting_id)
    except RoomCodeNotFound:
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers=_NO_STORE)
    return _room_code_out(request, room_code)


@router.get(
    "/meetings/{meeting_id}/room-code.svg",
    response_class=Response,
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "A QR code of the room's join URL (the code in its fragment), made on this server.",
        },
        **responses(401, 403, 404, 422),
    },
)
async def room_code_qr(
    meeting_id: str,
    request: Request,
    _reader: Annotated[Participant, Depends(Allowed(HttpAction.read_room_code))],
    lobby: LobbyDep,
) -> Response:
    """The room code as a QR code (SVG): a device that scans it opens the join page with the code filled in."""
    room_code = await lobby.store.code(meeting_id)
    qr = segno.make(join_url(request, room_code.code), error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", border=4, xmldecl=False, omitsize=True, title="Scan to join the meeting")
    return Response(out.getvalue(), media_type="image/svg+xml", headers=_NO_STORE)


@router.delete(
    "/meetings/{meeting_id}/room-code",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    dependencies=[Depends(_no_store)],
)
async def withdraw_room_code(
    meeting_id: str, chair: Annotated[Participant, Depends(Allowed(HttpAction.withdraw_room_code))], lobby: LobbyDep
) -> None:
    """No room code from now on (devices already waiting stay, for the chair to let in or turn away)."""
    await lobby.store.withdraw_code(meeting_id, chair)


# --- the device in the lobby ----------------------------------------------------------------------------------------


def _too_many(refusal: Refusal) -> JSONResponse:
    minutes = math.ceil(refusal.retry_after / 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    message = (
        f"Too many wrong room codes have been tried on this server just now. Wait {wait} and try again."
        if refusal.everyone
        else f"Too many wrong room codes from this device. Wait {wait} and try again, or ask the chair."
    )
    response = error_response(429, "too_many_tries", message)
    response.headers["Retry-After"] = str(refusal.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/lobby",
    response_model=LobbyOut,
    responses=responses(404, 409, 422, 429),
    dependencies=[Depends(_no_store)],
)
async def join_lobby(
    body: LobbyJoin, request: Request, response: Response, services: ServicesDep, lobby: LobbyDep
) -> Any:
    """Wait in the lobby of the meeting whose room code this is, until the chair lets this device in. The answer
    says `waiting` and nothing of the meeting; the lobby cookie (HttpOnly) is how this device asks after it."""
    address = client_address(request, lobby.trusted_proxies)
    refusal = lobby.limiter.check(address)
    if refusal is not None:
        return _too_many(refusal)
    code = normalise_code(body.code)
    if code is None:
        raise RoomCodeNotFound("That is not a room code: it has 8 letters and numbers, like ABCD-EFGH.")
    guess = lobby.limiter.spend(address)
    try:
        arrival = await lobby.store.arrive(code, replaces=request.cookies.get(LOBBY_COOKIE))
    except RoomCodeNotFound:
        raise  # a wrong guess: it stays counted
    except BaseException:
        lobby.limiter.refund(guess)  # the code was right (the lobby is full, or the database failed)
        raise
    lobby.limiter.refund(guess)
    _set_lobby_cookie(response, services, arrival.token)
    return LobbyOut(state="waiting")


@router.get(
    "/lobby",
    response_model=LobbyOut,
    responses={
        204: {"description": "This device is not waiting: no lobby cookie, or one the lobby no longer knows."},
        **responses(422),
    },
    dependencies=[Depends(_no_store)],
)
async def lobby_state(request: Request, response: Response, services: ServicesDep, lobby: LobbyDep) -> Any:
    """Where this device stands (ask every few seconds). `admitted` comes once: the session cookie for the
    meeting is set with it, exactly as joining by an invite link does; every later answer is `used`, and the lobby
    cookie opens nothing again (`DELETE /api/lobby` forgets it). 204 when this device is not waiting: the join
    page asks on every load (it cannot see the HttpOnly cookie), so not waiting is an answer, not an error."""
    try:
        found = await lobby.store.status(request.cookies.get(LOBBY_COOKIE))
    except NotInLobby:
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers=_NO_STORE)
    if found.signed_in is None:
        return LobbyOut(state=found.state)
    signed_in = found.signed_in
    set_session_cookie(response, services, signed_in.meeting.id, signed_in.session_token)
    return LobbyOut(state="admitted", meeting_id=signed_in.meeting.id)


@router.delete(
    "/lobby", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422), dependencies=[Depends(_no_store)]
)
async def leave_lobby(request: Request, response: Response, lobby: LobbyDep) -> None:
    """Stop waiting (and forget the lobby cookie). Always succeeds."""
    await lobby.store.leave(request.cookies.get(LOBBY_COOKIE))
    _clear_lobby_cookie(response)


# --- the chair ------------------------------------------------------------------------------------------------------


@router.get("/meetings/{meeting_id}/lobby", responses=responses(401, 403, 404, 422), dependencies=[Depends(_no_store)])
async def waiting_devices(
    meeting_id: str, _chair: Annotated[Participant, Depends(Allowed(HttpAction.read_lobby))], lobby: LobbyDep
) -> list[WaitingDeviceOut]:
    """The devices waiting to be let in, first come first: an id and when each came, nothing that identifies it."""
    return [
        WaitingDeviceOut(id=device.id, arrived_at=device.arrived_at, expires_at=device.expires_at)
        for device in await lobby.store.waiting(meeting_id)
    ]


@router.post(
    "/meetings/{meeting_id}/lobby/{entry_id}/admit",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
    dependencies=[Depends(_no_store)],
)
async def admit(
    meeting_id: str,
    entry_id: str,
    body: AdmitRequest,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.admit_device))],
    lobby: LobbyDep,
    services: ServicesDep,
) -> ParticipantOut:
    """Let the device in as a new participant with this name and role (never chair). It comes in the next time it
    asks; the chair can revoke it like anyone else."""
    participant = await lobby.store.admit(
        meeting_id, entry_id, Role(body.role), body.display_name, body.agency, by=chair
    )
    await services.rooms.people_changed(meeting_id)
    return ParticipantOut.of(participant)


@router.delete(
    "/meetings/{meeting_id}/lobby/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
    dependencies=[Depends(_no_store)],
)
async def turn_away(
    meeting_id: str,
    entry_id: str,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.turn_device_away))],
    lobby: LobbyDep,
) -> None:
    """Do not let the device in; it is told so the next time it asks."""
    await lobby.store.turn_away(meeting_id, entry_id, by=chair)
