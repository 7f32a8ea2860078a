"""`sosboard migrate`, as a deployment's one-shot step before its replicas start: a fresh database gets the whole
schema, and running it again (a redeploy) changes nothing and still succeeds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from app.store.database import MIGRATIONS_DIR
from tests.conftest import ROOT


def migrate(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate", "--database-url", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_brings_a_fresh_database_to_the_latest_schema_and_can_run_again(tmp_path: Path) -> None:
    path = tmp_path / "board.db"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()

    for _ in range(2):
        done = migrate(f"sqlite+aiosqlite:///{path}")
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meetings", "ops", "participants", "audit_events"} <= tables
