"""`tierwise db upgrade` creates the store; a bad URL is one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from tierwise.store.migrate import alembic_config


def tierwise(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_db_upgrade_creates_the_store(tmp_path: Path) -> None:
    done = tierwise("db", "upgrade", env={"TIERWISE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"revision {head}" in " ".join(done.stdout.split())
    assert (tmp_path / "state.db").exists()


def test_unsupported_database_is_one_line(tmp_path: Path) -> None:
    done = tierwise(
        "db",
        "upgrade",
        env={"TIERWISE_HOME": str(tmp_path), "TIERWISE_DATABASE_URL": "mysql://x/y"},
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "unsupported database 'mysql'" in done.stderr
    assert "Traceback" not in done.stderr
