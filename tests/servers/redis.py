"""A real Redis for the tests: ``redis-server`` (Debian package ``redis-server``) on loopback, on a free
port, in a temporary folder, without persistence. ``stop()`` then ``start()`` again gives a Redis that
was down and is back, on the same port (empty, as after a restart without persistence).

    with RedisServer() as redis:
        app.config["RATELIMIT_STORAGE_URI"] = redis.url
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import log_tail, terminate


def redis_binary() -> str | None:
    for folder in (None, "/usr/bin", "/usr/sbin"):
        found = shutil.which("redis-server", path=folder)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisUnavailable(RuntimeError):
    pass


class RedisServer:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tig-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = redis_binary()
        if binary is None:
            raise RedisUnavailable(
                "redis-server introuvable : installez le paquet Debian redis-server (.ci/run le fait)."
            )
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.base),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.base / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisUnavailable("redis-server s'est arrêté :\n" + self.log_tail())
            if self.ping():
                return self
            time.sleep(0.1)
        self.stop()
        raise RedisUnavailable("redis-server ne répond pas :\n" + self.log_tail())

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stored_keys(self, pattern: str = "*") -> list[str]:
        import redis

        client = redis.Redis.from_url(self.url, decode_responses=True)
        try:
            return sorted(client.keys(pattern))
        finally:
            client.close()

    def get(self, key: str) -> str | None:
        import redis

        client = redis.Redis.from_url(self.url, decode_responses=True)
        try:
            return client.get(key)
        finally:
            client.close()

    def log_tail(self) -> str:
        return log_tail(self.base / "redis.log")

    def stop(self) -> None:
        """Stop the daemon (its folder stays, for ``start()`` again; ``close()`` removes it)."""
        terminate(self.process)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
