"""Start gunicorn on a given database and fire simultaneous requests at it (real HTTP, real processes).

    with GunicornServer(database_url, ready_path="/") as server:
        results = fire(server.port, [Request("POST", "/webinaires/1", form={...}), ...])

The server runs ``tests.servers.app_factory:create()`` (testing configuration, CSRF off, mails only
queued) with ``-w workers --threads threads``, or the ``app`` given (``wsgi:app`` with a production
environment in ``env``: tests/test_two_instances.py). ``fire`` sends every request from its own thread,
all released together by a barrier, and returns the responses in the order of the requests given (a
request with a ``port`` goes to that server: several servers at once).
"""

from __future__ import annotations

import http.client
import http.cookies
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import terminate

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """A gunicorn process serving the app on ``database_url``; a context manager (stopped on exit)."""

    def __init__(
        self,
        database_url: str,
        *,
        ready_path: str = "/",
        workers: int = 4,
        threads: int = 4,
        upload_folder: str | None = None,
        env: dict | None = None,
        app: str = "tests.servers.app_factory:create()",
    ):
        self.database_url = database_url
        self.ready_path = ready_path
        self.workers = workers
        self.threads = threads
        self.app = app
        self.port = free_port()
        self.env = {**os.environ, "TEST_SERVER_DATABASE_URI": database_url, "APP_ENV": "testing", **(env or {})}
        if upload_folder:
            self.env["TEST_SERVER_UPLOAD_FOLDER"] = upload_folder
        self.process: subprocess.Popen | None = None
        # The server's log goes to a file, not a pipe: a pipe nobody reads would block gunicorn once full.
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    def log_tail(self, size: int = 3000) -> str:
        return Path(self.log.name).read_text(errors="replace")[-size:]

    def start(self) -> GunicornServer:
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                str(self.workers),
                "--threads",
                str(self.threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--backlog",
                "2048",
                self.app,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        # Generous: on a machine loaded by other jobs, importing the app in every worker can take a minute.
        deadline = time.monotonic() + 180
        while True:
            try:
                if request(self.port, Request("GET", self.ready_path), timeout=5).status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn s'est arrêté :\n" + self.log_tail())
            if time.monotonic() > deadline:
                tail = self.log_tail()  # read before stop(), which removes the log
                self.stop()
                raise RuntimeError("gunicorn ne répond pas :\n" + tail)
            time.sleep(0.3)

    def terminate(self) -> None:
        """Stop gunicorn as an operator does (SIGTERM: requests in progress finish); ``start()`` again
        serves on the same port."""
        terminate(self.process, wait=30)

    def stop(self) -> None:
        try:
            self.terminate()
        finally:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Request:
    method: str
    path: str
    form: dict | None = None
    cookie: str | None = None  # value of the Cookie header (e.g. a back-office session)
    tag: str = ""  # free label for the test (what this request is)
    port: int | None = None  # the server to send it to, when not the one ``fire`` was given
    files: dict | None = None  # {field: (file name, bytes, content type)}: sent as multipart/form-data


@dataclass
class Response:
    request: Request
    status: int
    location: str = ""
    finished_at: float = 0.0
    body: bytes = field(default=b"", repr=False)
    set_cookie: str = ""  # e.g. the session carrying the flashed messages
    cookies: dict = field(default_factory=dict)  # every cookie set by the response: {name: value}


def request(port: int, req: Request, timeout: float = 120) -> Response:
    headers = {}
    body: str | bytes | None = None
    if req.files is not None:
        body, headers["Content-Type"] = multipart(req.form or {}, req.files)
    elif req.form is not None:
        body = urllib.parse.urlencode(req.form, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if req.cookie:
        headers["Cookie"] = req.cookie
    connection = http.client.HTTPConnection("127.0.0.1", req.port or port, timeout=timeout)
    try:
        connection.request(req.method, req.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        cookies = http.cookies.SimpleCookie()
        for header in answer.msg.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Response(
            req,
            answer.status,
            answer.getheader("Location") or "",
            time.monotonic(),
            data,
            answer.getheader("Set-Cookie") or "",
            {name: morsel.value for name, morsel in cookies.items()},
        )
    finally:
        connection.close()


def multipart(form: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type, as a browser sends a form with files."""
    boundary = "----tig" + secrets.token_hex(12)
    parts = []
    for name, value in form.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def fire(port: int, requests: list[Request], *, timeout: float = 180) -> list[Response]:
    """Send all requests at once (one thread each, released by a barrier); responses in request order.

    A request that fails at the HTTP level (connection reset, timeout) raises here: a server that drops
    requests under load fails the test just like a 5xx would.
    """
    results: list[Response | None] = [None] * len(requests)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(requests))

    def send(index: int, req: Request) -> None:
        try:
            barrier.wait(60)
            results[index] = request(port, req)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i, r), daemon=True) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.1))
    if errors:
        raise AssertionError(f"{len(errors)} requête(s) en échec, par exemple : {errors[:3]!r}")
    missing = [requests[i] for i, result in enumerate(results) if result is None]
    if missing:
        raise AssertionError(f"{len(missing)} requête(s) sans réponse après {timeout} s")
    return results  # type: ignore[return-value]


def assert_no_server_error(responses: list[Response], server_log: str = "") -> None:
    """No 5xx among the responses (the server's log shown if there is one)."""
    errors = [(r.status, r.request.method, r.request.path) for r in responses if r.status >= 500]
    assert not errors, (errors[:5], server_log)
