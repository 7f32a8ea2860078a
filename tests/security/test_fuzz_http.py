"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis) against a real server (`sosboard serve`).

Every operation of GET /openapi.json gets requests that fit its schema and requests that do not, with the chair's
session cookie (so the authenticated routes are reached, half the time on the chair's real meeting) and without
one. What must hold for every response: no server error (5xx), and the response conforms to the schema (its
status code is documented for the route, its content type and body match what the schema says).

CI runs a few examples per route and mode (about 20 s here). A longer run:
`SOSBOARD_HTTP_FUZZ_EXAMPLES=200 .venv/bin/pytest -q tests/security/test_fuzz_http.py`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from tests.conftest import ServerProcess
from tests.support.clients import Member, create_meeting

EXAMPLES = int(os.environ.get("SOSBOARD_HTTP_FUZZ_EXAMPLES", "6"))
REQUESTS_SENT = [0]


@dataclass(frozen=True)
class ApiUnderTest:
    server: ServerProcess
    chair: Member


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiUnderTest]:
    database = tmp_path_factory.mktemp("http-fuzz") / "board.db"
    server = ServerProcess(f"sqlite+aiosqlite:///{database}").start()
    try:
        yield ApiUnderTest(server, asyncio.run(create_meeting(server.url, title="Fuzzed conference")))
    finally:
        server.stop()


def fuzz_every_route(api: ApiUnderTest, signed_in: bool) -> list[str]:
    """Run every operation in both generation modes; return the failures (route, mode and what failed)."""
    schema = schemathesis.openapi.from_url(f"{api.server.url}/openapi.json")
    failures: list[str] = []
    routes = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        routes += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = run_route(api, operation, mode, signed_in)
            if failure:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}")
    assert routes >= 20, f"only {routes} routes in the schema"
    print(f"{routes} routes, {REQUESTS_SENT[0]} requests so far")
    return failures


def run_route(api: ApiUnderTest, operation: schemathesis.APIOperation, mode: GenerationMode, signed_in: bool) -> str:
    headers = {"Cookie": api.chair.cookie} if signed_in else {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), on_the_real_meeting=st.booleans())
    def check(case: schemathesis.Case, on_the_real_meeting: bool) -> None:
        if on_the_real_meeting and case.path_parameters and "meeting_id" in case.path_parameters:
            case.path_parameters["meeting_id"] = api.chair.meeting_id
        case.call_and_validate(base_url=api.server.url, headers=headers, timeout=30)
        REQUESTS_SENT[0] += 1

    try:
        check()
    except Unsatisfiable:
        # A route with nothing to get wrong (no parameters, no body) has no negative case.
        if mode is GenerationMode.POSITIVE:
            return "no request could be generated"
    except (AssertionError, FailureGroup) as failure:
        return str(failure)[:3000]
    return ""


def test_every_route_with_the_chairs_cookie_gives_no_5xx_and_fits_its_schema(api: ApiUnderTest) -> None:
    failures = fuzz_every_route(api, signed_in=True)
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in api.server.log()


def test_every_route_without_a_session_gives_no_5xx_and_fits_its_schema(api: ApiUnderTest) -> None:
    failures = fuzz_every_route(api, signed_in=False)
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in api.server.log()
