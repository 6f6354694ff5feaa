"""Real servers the tests start on loopback (gunicorn, clamd, redis-server, rclone serve s3), and what
they share: how a daemon is stopped and how its log is read when it fails."""

from __future__ import annotations

import subprocess
from pathlib import Path


def terminate(process: subprocess.Popen | None, wait: float = 20) -> None:
    """SIGTERM, as an operator stops a daemon; SIGKILL if it has not stopped after ``wait`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:  # pragma: no cover
        process.kill()
        process.wait()


def log_tail(log: Path, size: int = 3000) -> str:
    """The end of a daemon's log, to put in the error that says it did not start."""
    return log.read_text(errors="replace")[-size:] if log.exists() else ""
