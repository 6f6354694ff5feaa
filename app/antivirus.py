"""Antivirus: every uploaded file is scanned by a ClamAV daemon (``clamd``) through its socket protocol.

Client: ``clamav-client`` (maintained fork of the ``clamd`` package, whose last release dates from 2020),
INSTREAM command, the file sent in chunks from disk (never whole in memory).

Configuration (README, « Antivirus »): ``CLAMD_SOCKET`` (Unix socket) or ``CLAMD_HOST``/``CLAMD_PORT``,
``CLAMD_TIMEOUT_SECONDS``; ``ANTIVIRUS_ENABLED`` (on as soon as a socket or host is given; production
refuses to start without it unless explicitly ``false``); ``ANTIVIRUS_REQUIRED``: when the daemon cannot
be reached, refuse the upload (true) or keep the file unreadable with the state « analyse impossible »
until the worker's next scan succeeds (false, the default).

A document's state (``ScanStatus``): pending (not scanned yet) → clean | infected | error, or
not_scanned when the antivirus is disabled (``make run`` without clamd: the back office says so).
A file found infected at upload is refused and never stored; one found infected later is deleted
from the storage and never served. Only clean files are served (and, antivirus disabled, unscanned ones).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)


class ScanStatus(enum.Enum):
    PENDING = "en_attente"
    CLEAN = "sain"
    INFECTED = "infecte"
    ERROR = "erreur"
    NOT_SCANNED = "non_analyse"

    @property
    def label(self) -> str:
        return {
            ScanStatus.PENDING: "analyse antivirus en attente",
            ScanStatus.CLEAN: "analysé par l'antivirus",
            ScanStatus.INFECTED: "refusé par l'antivirus",
            ScanStatus.ERROR: "analyse antivirus impossible pour l'instant (nouvel essai automatique)",
            ScanStatus.NOT_SCANNED: "non analysé (antivirus désactivé)",
        }[self]


@dataclass(frozen=True)
class ScanResult:
    status: ScanStatus
    detail: str = ""  # the signature found, or why the scan failed


class AntivirusUnavailable(RuntimeError):
    pass


def _client(config):
    from clamav_client.clamd import ClamdNetworkSocket, ClamdUnixSocket

    timeout = config.get("CLAMD_TIMEOUT_SECONDS", 30)
    if config.get("CLAMD_SOCKET"):
        return ClamdUnixSocket(path=config["CLAMD_SOCKET"], timeout=timeout)
    return ClamdNetworkSocket(host=config["CLAMD_HOST"], port=int(config.get("CLAMD_PORT") or 3310), timeout=timeout)


def is_enabled(config) -> bool:
    return bool(config.get("ANTIVIRUS_ENABLED"))


def scan(stream: BinaryIO, config) -> ScanResult:
    """Scan ``stream`` (read from its current position to its end); never raises for a daemon problem:
    the result is then ``ERROR`` with the reason. ``NOT_SCANNED`` when the antivirus is disabled."""
    if not is_enabled(config):
        return ScanResult(ScanStatus.NOT_SCANNED)
    from clamav_client.clamd import ClamdError

    try:
        answer = _client(config).instream(stream)
    except (ClamdError, OSError) as error:
        log.error("Antivirus injoignable ou en erreur : %s", error)
        return ScanResult(ScanStatus.ERROR, f"antivirus injoignable ou en erreur : {error}"[:300])
    status, signature = next(iter(answer.values()), ("ERROR", "réponse vide"))
    if status == "OK":
        return ScanResult(ScanStatus.CLEAN)
    if status == "FOUND":
        return ScanResult(ScanStatus.INFECTED, (signature or "signature inconnue")[:300])
    return ScanResult(ScanStatus.ERROR, f"l'antivirus n'a pas pu analyser le fichier : {signature}"[:300])


def ping(config) -> None:
    """Raise ``AntivirusUnavailable`` when the daemon does not answer (health check)."""
    from clamav_client.clamd import ClamdError

    try:
        if _client(config).ping() != "PONG":
            raise AntivirusUnavailable("réponse inattendue")
    except (ClamdError, OSError) as error:
        raise AntivirusUnavailable(str(error)) from error
