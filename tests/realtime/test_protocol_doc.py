"""The protocol document: docs/protocol.md is what the generator writes from docs/protocol.src.md and the code, it
documents every operation and frame with a JSON Schema, its examples are valid frames, and the generator refuses
to write a document that misses a marked place, an error code, a close code or a frame."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain import errors as domain_errors
from app.domain.roles import OpType
from realtime import protocol_doc
from realtime.protocol import client_frame_adapter, server_frame_adapter

SOURCE = protocol_doc.SOURCE_PATH.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)


@pytest.fixture(scope="module")
def doc() -> str:
    return protocol_doc.render(SOURCE)


def test_the_committed_document_is_what_the_generator_writes(doc: str) -> None:
    assert protocol_doc.DOC_PATH.read_text(encoding="utf-8") == doc


def test_every_operation_has_its_fields_its_permissions_and_its_schema(doc: str) -> None:
    schema_text = [body for lang, body in FENCE.findall(doc) if lang == "json"][-1]
    defs = json.loads(schema_text)["$defs"]
    for op in OpType:
        assert f"#### `{op.value}`" in doc
        assert re.search(rf"^\| `{op.value}` \| \w+ \|( (any|own|none) \|){{5}}$", doc, re.M), op
    mapping = defs["ClientFrame"]["discriminator"]["mapping"] | defs["ServerFrame"]["discriminator"]["mapping"]
    assert set(mapping) == {"op", "ping", "editing", "hello", "ack", "event", "error", "presence", "pong"}
    ops = defs["OpRequest"]["properties"]["op"]["discriminator"]["mapping"]
    assert set(ops) == {op.value for op in OpType}


def _frames_in(doc: str) -> Iterator[Any]:
    for lang, body in FENCE.findall(doc):
        if lang == "json":
            data = json.loads(body)
            if isinstance(data, dict) and "type" in data:
                yield data
        elif lang == "text":
            for line in body.splitlines():
                if line[:2] in ("→ ", "← ") and line[2:].startswith("{"):
                    yield json.loads(line[2:])


def test_the_examples_are_valid_frames(doc: str) -> None:
    frames = list(_frames_in(doc))
    seen = set()
    for frame in frames:
        adapter = client_frame_adapter if frame["type"] in ("op", "ping") else server_frame_adapter
        adapter.validate_python(frame)
        seen.add(frame["type"])
    assert len(frames) > 25
    assert {"op", "hello", "ack", "event", "error"} <= seen


def _drop_row(key: str) -> Callable[[str], str]:
    return lambda source: re.sub(rf"^\| `{key}` \|.*\n", "", source, count=1, flags=re.M)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda s: s.replace("<!-- generated: permissions -->\n", ""), "`permissions` has no place"),
        (lambda s: s.replace("<!-- generated: operations/scaling -->\n", ""), "`operations/scaling` has no place"),
        (lambda s: s + "\n<!-- generated: changes -->\n", "`changes` is placed twice"),
        (lambda s: s + "\n<!-- generated: nonsense -->\n", "unknown block `nonsense`"),
        (lambda s: s.replace("Limits\n", "Limits <!-- generated: limits -->\n", 1), "not on a line of its own"),
        (lambda s: s.replace("{{protocol_version}}", "{{protocol_verison}}"), "unknown values ['protocol_verison']"),
        (_drop_row("child_not_found"), "`child_not_found`: add its row to the `error-codes` table"),
        (_drop_row("rate_limited"), "`rate_limited`: add its row to the `error-codes` table"),
        (_drop_row("too_slow"), "`too_slow`: add its row to the `close-codes` table"),
        (_drop_row("pong"), "`pong`: add its row to the `frames` table"),
        (lambda s: s.replace("| `no_closed_part` |", "| `no_such_code` |"), "`no_such_code` is not a code"),
        (
            lambda s: s.replace("| `stale_version` | `error` frame | |", "| `stale_version` | `error` frame | Old. |"),
            "`stale_version`: its meaning is its docstring in the code",
        ),
        (
            lambda s: re.sub(r"(\| `rate_limited` \| `error` frame \|)[^|]*\|", r"\1 |", s),
            "`rate_limited` has no docstring in the code",
        ),
    ],
)
def test_the_source_and_the_code_must_agree(change: Callable[[str], str], complaint: str) -> None:
    with pytest.raises(protocol_doc.SourceError, match=re.escape(complaint)):
        protocol_doc.render(change(SOURCE))


def test_a_new_domain_error_cannot_go_undocumented() -> None:
    new_error = type(
        "LateRound", (domain_errors.DomainError,), {"code": "late_round", "__module__": "app.domain.errors"}
    )
    try:
        with pytest.raises(protocol_doc.SourceError, match="`late_round`: add its row"):
            protocol_doc.render(SOURCE)
    finally:
        del new_error
        gc.collect()
    assert "late_round" not in protocol_doc._error_codes()


def test_check_fails_when_the_document_drifts_or_the_source_disagrees(tmp_path: Path) -> None:
    out = tmp_path / "protocol.md"
    out.write_text("an old document", encoding="utf-8")
    assert protocol_doc.main(["--check", "--output", str(out)]) == 1
    assert protocol_doc.main(["--output", str(out)]) == 0
    assert protocol_doc.main(["--check", "--output", str(out)]) == 0
    broken = tmp_path / "protocol.src.md"
    broken.write_text(SOURCE.replace("<!-- generated: changes -->\n", ""), encoding="utf-8")
    assert protocol_doc.main(["--check", "--source", str(broken), "--output", str(out)]) == 2
