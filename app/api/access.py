"""The one dependency through which every meeting route asks the HTTP policy (app.domain.roles.HTTP_POLICY)
whether the signed-in caller's role may do what the route does. A route says `Depends(Allowed(HttpAction.x))`;
the security suite and docs/protocol.md read the same table, and find each route's action through
`action_of_route`, so a route with no action is noticed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.api.sessions import current_participant
from app.domain.errors import PermissionDenied
from app.domain.meeting import Participant
from app.domain.roles import HttpAction, http_allowed, http_refusal


class Allowed:
    """A FastAPI dependency: the signed-in participant, if their role may do `action`; else 403 `forbidden`
    (401 when not signed in to this meeting)."""

    def __init__(self, action: HttpAction) -> None:
        self.action = action

    async def __call__(self, participant: Annotated[Participant, Depends(current_participant)]) -> Participant:
        if not http_allowed(participant.role, self.action):
            raise PermissionDenied(http_refusal(self.action))
        return participant


def _actions(dependant: Dependant) -> list[HttpAction]:
    found = [dependant.call.action] if isinstance(dependant.call, Allowed) else []
    for sub in dependant.dependencies:
        found += _actions(sub)
    return found


def action_of_route(route: APIRoute) -> HttpAction | None:
    """The action a route checks, or None for a route that needs no session. A route that checks two is a bug."""
    actions = set(_actions(route.dependant))
    if len(actions) > 1:
        raise ValueError(f"{route.path} checks more than one action: {sorted(actions)}")
    return next(iter(actions), None)


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    action: HttpAction | None
    """None: the route needs no session."""


def http_routes(app: FastAPI) -> Iterator[HttpRoute]:
    """Every HTTP route the app serves, as it serves it (routers included, prefixes applied), with its action."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path is not None:
            for method in sorted(context.methods or ()):
                yield HttpRoute(method, context.path, action_of_route(route))
