"""Publish the record's JSON Schema (docs/record.schema.json), generated from the model so the two never drift.

python -m app.exports.schema           # (re)write docs/record.schema.json
python -m app.exports.schema --check   # exit 1 if docs/record.schema.json is not what would be written
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from app.exports.record import RECORD_VERSION, Record

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "record.schema.json"
SCHEMA_ID = f"urn:sosboard:record:v{RECORD_VERSION}"
"""A name, not an address: the schema is published in docs/ beside docs/record.md."""


def record_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `GET /api/meetings/{id}/record.json` at this RECORD_VERSION."""
    schema = Record.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": f"SoS Board meeting record, version {RECORD_VERSION}",
        "description": (
            "A Signs of Safety conference record as exported by GET /api/meetings/{id}/record.json. "
            "Generated from app/exports/record.py by `python -m app.exports.schema`; docs/record.md explains it."
        ),
    }


def schema_text() -> str:
    return json.dumps(record_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.exports.schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the published schema is out of date")
    parser.add_argument("--output", type=Path, default=SCHEMA_PATH, help=f"default: {SCHEMA_PATH}")
    args = parser.parse_args(argv)
    path: Path = args.output
    text = schema_text()
    if not args.check:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current == text:
        return 0
    diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(path), "generated", lineterm="")
    print("\n".join(diff), file=sys.stderr)
    print(f"{path} is out of date: run `python -m app.exports.schema`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
