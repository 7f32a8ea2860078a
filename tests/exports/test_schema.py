"""The published JSON Schema: generated from the model, kept in docs/, and every record validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from app.exports.record import RECORD_VERSION, Record
from app.exports.schema import SCHEMA_PATH, main, record_schema

ROOT = Path(__file__).resolve().parents[2]


def published() -> dict[str, object]:
    schema: dict[str, object] = json.loads((ROOT / "docs" / "record.schema.json").read_text(encoding="utf-8"))
    return schema


def test_the_published_schema_is_the_one_the_model_generates() -> None:
    assert SCHEMA_PATH == ROOT / "docs" / "record.schema.json"
    assert published() == record_schema(), "run `python -m app.exports.schema`"
    assert main(["--check"]) == 0


def test_the_check_fails_when_the_published_schema_drifts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "record.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0


def test_the_schema_is_valid_and_versioned() -> None:
    schema = published()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:sosboard:record:v{RECORD_VERSION}"
    properties = schema["properties"]
    assert isinstance(properties, dict) and properties["record_version"]["const"] == RECORD_VERSION


@pytest.mark.parametrize("copy", ["full", "family"])
def test_a_record_with_every_kind_of_item_validates(copy: str, full: Record, family: Record) -> None:
    record = full if copy == "full" else family
    document = json.loads(record.model_dump_json())
    Draft202012Validator(published()).validate(document)
    for part in ("children", "attendance", "closed_parts", "danger_statements", "scaling", "decisions", "addenda"):
        assert document[part], f"the test meeting has no {part}: it must have every kind of item"


def test_the_schema_refuses_what_is_not_a_record(full: Record) -> None:
    document = json.loads(full.model_dump_json())
    validator = Draft202012Validator(published())
    assert not validator.is_valid({**document, "record_version": 2})
    assert not validator.is_valid({**document, "surprise": True})
    assert not validator.is_valid({key: value for key, value in document.items() if key != "integrity"})
