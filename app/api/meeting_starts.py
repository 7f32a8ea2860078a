"""How many meetings may be started: per address and across the process, so that one client (or a script) cannot
fill the database with empty meetings. Past either cap `POST /api/meetings` answers 429 `too_many_meetings` with
Retry-After, and nothing is created.

- per address: `meetings_per_address_per_hour` (default 100) in any hour. A local authority behind one NAT
  address starts a few dozen conferences a day; a script from one address gets fewer than two a minute.
- across the process: `meetings_per_minute` (default 120) from all addresses together, whatever an attacker's
  number of addresses.

The address is the one the lobby's limit uses (`app.api.lobby.client_address`: the connection's, or read from
X-Forwarded-For behind `trusted_proxies`; IPv6 by its /64). Counts live in memory, per process; a restart
forgets them, which is safe: they only slow a flood down.
"""

from __future__ import annotations

import math

from fastapi import Request

from app.api.errors import TooManyRequests
from app.api.lobby import GuessLimiter, Network, client_address, parse_networks
from app.services import Services

HOUR_SECONDS = 3600.0


class MeetingStarts:
    def __init__(self, per_address_per_hour: int, per_minute: int, trusted_proxies: tuple[Network, ...]) -> None:
        # A meeting started is a 'try' that is never refunded: the limiter's windows are the caps.
        self.limiter = GuessLimiter(per_address_per_hour, per_minute, address_window=HOUR_SECONDS)
        self.trusted_proxies = trusted_proxies

    def take(self, request: Request) -> None:
        """Count one meeting started from this request's address, or refuse with 429 (nothing counted)."""
        address = client_address(request, self.trusted_proxies)
        refusal = self.limiter.check(address)
        if refusal is not None:
            minutes = math.ceil(refusal.retry_after / 60)
            wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
            who = "on this server just now" if refusal.everyone else "from this address"
            raise TooManyRequests(
                "too_many_meetings",
                f"Too many meetings have been started {who}. Wait {wait} and try again.",
                refusal.retry_after,
            )
        self.limiter.spend(address)


def meeting_starts_of(request: Request) -> MeetingStarts:
    """The process's counts, made on first use (as the lobby's are)."""
    found: MeetingStarts | None = getattr(request.app.state, "meeting_starts", None)
    if found is None:
        services: Services = request.app.state.services
        settings = services.settings
        found = request.app.state.meeting_starts = MeetingStarts(
            settings.meetings_per_address_per_hour,
            settings.meetings_per_minute,
            parse_networks(settings.trusted_proxies),
        )
    return found


async def meeting_start_allowed(request: Request) -> None:
    """Dependency of `POST /api/meetings`: raises TooManyRequests past a cap."""
    meeting_starts_of(request).take(request)
