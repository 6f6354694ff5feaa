"""A run that asks for PostgreSQL and cannot have it fails instead of passing on nothing: the
PostgreSQL pass of ``make test`` can never be green without a database behind it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.database import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_requested_postgresql_that_is_unreachable_fails_the_run():
    env = dict(os.environ, CI="true", TEST_DATABASE_URL=f"postgresql+psycopg://tig@127.0.0.1:{free_port()}/tig")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_public_pages.py",
            "-q",
            "-x",
            "-k",
            "healthz",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL demandé mais indisponible" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
