"""A real ClamAV daemon for the tests: ``clamd`` (Debian package ``clamav-daemon``) on a Unix socket in a
temporary folder, with its own configuration and a database directory holding only a signature file
written here (the official signatures cannot be downloaded on this machine). The signature matches
``MARKER``: any file carrying these bytes is reported as ``SIGNATURE``.

    with ClamdServer() as clamd:
        app.config.update(clamd.app_config())
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import log_tail, terminate

MARKER = b"TIG-PARTENAIRES-SIGNATURE-ANTIVIRUS-DE-TEST"
SIGNATURE = "TigPartenaires.Test.Marqueur"


def clamd_binary() -> str | None:
    for folder in (None, "/usr/sbin", "/sbin"):
        found = shutil.which("clamd", path=folder)
        if found:
            return found
    return None


class ClamdUnavailable(RuntimeError):
    pass


class ClamdServer:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tig-clamd-"))
        self.socket_path = self.base / "clamd.sock"
        self.process: subprocess.Popen | None = None

    def app_config(self) -> dict:
        return {"ANTIVIRUS_ENABLED": True, "CLAMD_SOCKET": str(self.socket_path), "CLAMD_TIMEOUT_SECONDS": 30}

    def env(self) -> dict:
        """The same settings as environment variables (for a gunicorn started by a test)."""
        return {"ANTIVIRUS_ENABLED": "true", "CLAMD_SOCKET": str(self.socket_path)}

    def start(self) -> ClamdServer:
        binary = clamd_binary()
        if binary is None:
            raise ClamdUnavailable("clamd introuvable : installez le paquet Debian clamav-daemon (.ci/run le fait).")
        database = self.base / "signatures"
        database.mkdir()
        # .ndb: name:target type (0 = any file):offset (* = anywhere):hexadecimal bytes
        (database / "tig-test.ndb").write_text(f"{SIGNATURE}:0:*:{MARKER.hex()}\n", encoding="ascii")
        (self.base / "tmp").mkdir()
        config = self.base / "clamd.conf"
        config.write_text(
            "\n".join(
                [
                    f"LocalSocket {self.socket_path}",
                    f"DatabaseDirectory {database}",
                    f"TemporaryDirectory {self.base / 'tmp'}",
                    f"LogFile {self.base / 'clamd.log'}",
                    "Foreground yes",
                    "StreamMaxLength 100M",
                    "SelfCheck 3600",
                ]
            )
            + "\n",
            encoding="ascii",
        )
        self.process = subprocess.Popen(
            [binary, f"--config-file={config}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ClamdUnavailable("clamd s'est arrêté :\n" + self.log_tail())
            if self._pong():
                return self
            time.sleep(0.2)
        self.stop()
        raise ClamdUnavailable("clamd ne répond pas :\n" + self.log_tail())

    def _pong(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(self.socket_path))
                sock.sendall(b"nPING\n")
                return sock.recv(16).strip() == b"PONG"
        except OSError:
            return False

    def log_tail(self) -> str:
        return log_tail(self.base / "clamd.log")

    def stop(self) -> None:
        try:
            terminate(self.process)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> ClamdServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
