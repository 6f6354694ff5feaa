"""``make bench``: the performance targets, each a ratio measured in the same run against a comparator
written in bench/, printed and written to bench/RESULTS.md with the machine they ran on.

(a) requests/s of /, /experimentation-ess, /webinaires under gunicorn, divided by a bare Flask app
    serving the same bytes with the same gunicorn settings (bench/bare_app.py): ≥ 1.0 with the page
    cache, ≥ 0.30 without it.
(b) webinar registrations, 20 concurrent clients, 500 registrations per round, SMTP down: throughput
    divided by that of a bare Flask app that parses the same form and inserts one row in the same
    database (bench/bare_registration.py), ≥ 0.35, on SQLite and on PostgreSQL (a throwaway cluster
    with durable commits, see tests/database.py). Rounds alternate site and bare app; the median of
    the rounds' ratios is compared with the target. p95 latency and a CPU reference are printed too
    (BENCH_B_DATABASES=sqlite or postgresql measures one only).
(c) back-office applications list and text search (name, SIRET, RNA, reference) with 100 and 100,000
    applications: time ratios ≤ 1.5 (search: on PostgreSQL; SQLite has no index for it).
(d) first visit of /: bytes transferred ≤ 350 KB and ≤ 20 requests (bench/first_visit.py).

gunicorn: BENCH_WORKERS (2) workers × BENCH_THREADS (4) threads.
Options: ``--only a,b,c,d``, ``--duration SECONDS`` (per page in (a)), ``--quick`` (shorter runs,
fewer applications: a smoke test of the benchmark itself, figures not meaningful).
Each part runs on its own fresh database; gunicorn runs in production configuration with rate limits
off (every request comes from one address) and SESSION_COOKIE_SECURE off (plain HTTP on loopback).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
GUNICORN_WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
GUNICORN_THREADS = int(os.environ.get("BENCH_THREADS", "4"))

TARGETS = {"cached": 1.0, "uncached": 0.30, "registration": 0.35, "list_ratio": 1.5, "search_ratio": 1.5}
PAGES = ["/", "/experimentation-ess", "/webinaires"]
LINES: list[str] = []


def report(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- servers ----------------------------------------------------------------------------------------


def site_env(database_url: str, base: Path) -> dict[str, str]:
    return dict(
        os.environ,
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        UPLOAD_FOLDER=str(base / "uploads"),
        SESSION_COOKIE_SECURE="false",
        RATELIMIT_ENABLED="false",
        RATELIMIT_STORAGE_URI="memory://",  # production wants it written explicitly
        ANTIVIRUS_ENABLED="false",  # no clamd in the benchmark
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(free_port()),  # nothing listens: SMTP is down during the whole benchmark
        LOG_LEVEL="WARNING",
        SITE_URL="http://127.0.0.1",
    )


SERVER_PIDS: dict[str, int] = {}  # host → gunicorn master pid


def server_cpu_seconds(host: str) -> float:
    """CPU time (user + system) used so far by the gunicorn master and its workers serving ``host``."""
    tick = os.sysconf("SC_CLK_TCK")
    master = SERVER_PIDS[host]
    pids = [master]
    for task in Path(f"/proc/{master}/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str]):
    """gunicorn serving ``app_spec`` on a socket opened here and handed over (``--bind fd://``): no other
    process can take the port between its choice and gunicorn's start. Yields once a request is answered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    host = f"127.0.0.1:{listener.getsockname()[1]}"
    command = [
        str(VENV_BIN / "gunicorn"),
        app_spec,
        "--bind",
        f"fd://{listener.fileno()}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--threads",
        str(GUNICORN_THREADS),
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
        "--keep-alive",
        "30",
    ]
    with tempfile.TemporaryFile(mode="w+") as log, listener:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True, pass_fds=[listener.fileno()]
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn s'est arrêté : {log.read()[-2000:]}")
                try:
                    connection = http.client.HTTPConnection(host, timeout=10)
                    connection.request("GET", "/", headers={"Connection": "close"})
                    connection.getresponse().read()
                    connection.close()
                    break
                except (OSError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        raise RuntimeError("gunicorn n'a pas répondu en 3 min") from None
                    time.sleep(0.5)
            SERVER_PIDS[host] = process.pid
            yield host
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def build_database(url: str, base: Path, demo_data: bool = True) -> None:
    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(base / "uploads"))
    with app.app_context():
        db.drop_all()
        db.create_all()  # the benchmark's own throwaway database (the migrations are tested elsewhere)
        if demo_data:
            from app import demo

            demo.load_all()
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


@contextmanager
def database(kind: str, base: Path):
    if kind == "sqlite":
        yield f"sqlite:///{base / 'bench.sqlite3'}"
        return
    from tests.database import PostgresCluster

    cluster = PostgresCluster(durable=True)  # fsync and synchronous_commit on, as in production
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


# --- a tiny HTTP client -----------------------------------------------------------------------------


class Client:
    """One keep-alive connection with its cookies (enough for a session and a CSRF token)."""

    def __init__(self, host: str, keep_alive: bool = True):
        self.host = host
        self.keep_alive = keep_alive
        self.connection = http.client.HTTPConnection(host, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {"Accept-Encoding": "identity"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, timeout=30)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data


def csrf_token(html: bytes) -> str:
    text = html.decode("utf-8", "replace")
    for tag in re.findall(r"<input[^>]*>", text):
        if 'name="csrf_token"' in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    raise RuntimeError("jeton CSRF introuvable dans le formulaire")


# --- (a) requests per second --------------------------------------------------------------------------


def _load_worker(host: str, path: str, duration: float, threads: int, queue) -> None:
    counts = [0] * threads
    errors = [0] * threads
    stop_at = time.monotonic() + duration

    def loop(index: int) -> None:
        client = Client(host)
        while time.monotonic() < stop_at:
            try:
                status, _, _ = client.request("GET", path)
                if status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except Exception:
                errors[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((sum(counts), sum(errors)))


def requests_per_second(host: str, path: str, duration: float, processes: int = 2, threads: int = 4) -> float:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    _load_worker(host, path, min(1.0, duration / 4), 2, context.Queue())  # warm-up (caches, pools)
    jobs = [context.Process(target=_load_worker, args=(host, path, duration, threads, queue)) for _ in range(processes)]
    start = time.monotonic()
    for job in jobs:
        job.start()
    results = [queue.get() for _ in jobs]
    for job in jobs:
        job.join()
    elapsed = time.monotonic() - start
    ok, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    if errors:
        report(f"    ({errors} réponses en erreur sur {path})")
    return ok / elapsed


def bench_a(base: Path, duration: float) -> bool:
    report("## (a) Requêtes par seconde : site / application Flask nue servant les mêmes octets")
    report()
    folder = base / "a"
    folder.mkdir()
    with database("sqlite", folder) as url:
        build_database(url, folder)
        env = site_env(url, folder)
        bare_dir = folder / "bare"
        bare_dir.mkdir()
        index = {}
        cached_rps, uncached_rps, bare_rps = {}, {}, {}
        with gunicorn("wsgi:app", env) as host:
            client = Client(host)
            for number, path in enumerate(PAGES):
                status, headers, body = client.request("GET", path)
                assert status == 200, f"{path} → {status}"
                (bare_dir / f"page{number}.html").write_bytes(body)
                index[path] = [f"page{number}.html", headers.get("Content-Type", "text/html; charset=utf-8")]
            for path in PAGES:
                cached_rps[path] = requests_per_second(host, path, duration)
        with gunicorn("wsgi:app", dict(env, PAGE_CACHE_ENABLED="false")) as host:
            for path in PAGES:
                uncached_rps[path] = requests_per_second(host, path, duration)
        (bare_dir / "index.json").write_text(json.dumps(index))
        bare_env = dict(env, BENCH_BARE_DIR=str(bare_dir), PYTHONPATH=str(ROOT / "bench"))
        with gunicorn("bare_app:app", bare_env) as host:
            for path in PAGES:
                bare_rps[path] = requests_per_second(host, path, duration)
    report(
        f"gunicorn {GUNICORN_WORKERS} workers × {GUNICORN_THREADS} threads (gthread), SQLite, "
        f"données de démonstration ; {duration:.0f} s par page et par serveur, 8 clients keep-alive, sans compression."
    )
    report()
    report(
        "| Page | Flask nue (req/s) | Site avec cache (req/s) | Ratio (cible ≥ 1.0) | Site sans cache (req/s) | "
        "Ratio (cible ≥ 0.30) | Résultat |"
    )
    report("|---|---|---|---|---|---|---|")
    passed = True
    for path in PAGES:
        cached = cached_rps[path] / bare_rps[path] if bare_rps[path] else 0
        uncached = uncached_rps[path] / bare_rps[path] if bare_rps[path] else 0
        ok = cached >= TARGETS["cached"] and uncached >= TARGETS["uncached"]
        passed &= ok
        report(
            f"| `{path}` | {bare_rps[path]:.0f} | {cached_rps[path]:.0f} | {cached:.2f} | {uncached_rps[path]:.0f} | "
            f"{uncached:.2f} | {'OK' if ok else 'HORS CIBLE'} |"
        )
    report()
    report(
        "Avec cache : le site garde en mémoire, par worker, les pages publiques servies aux visiteurs anonymes "
        "(app/page_cache.py : 5 min pour les pages de contenu, 10 s pour les listes de webinaires). Sans cache : "
        "chaque requête rend la page."
    )
    report()
    return passed


# --- (b) registration POST latency ----------------------------------------------------------------------


def bench_webinars(url: str, base: Path, rounds: int) -> tuple[int, list[int]]:
    """Webinars of 20 seats with a waiting list, like the one a newsletter announces: one to warm the
    server up (every worker thread runs the registration path once: imports, templates, compiled
    statements, pooled connections), then one per measured round."""
    from app import create_app
    from app.extensions import db
    from app.formatting import utcnow
    from app.webinars import services
    from config import TestingConfig

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(base / "uploads"))
    ids = []
    with app.app_context():
        starts_at = utcnow().replace(second=0, microsecond=0) + timedelta(days=10)
        titles = ["Banc d'essai : mise en route"] + [f"Banc d'essai : mesure {n}" for n in range(1, rounds + 1)]
        for title in titles:
            webinar = services.create_webinar(
                services.WebinarData(
                    title=title,
                    description="Webinaire créé par make bench.",
                    starts_at=starts_at,
                    duration_minutes=60,
                    capacity=20,
                    registration_deadline=starts_at - timedelta(days=1),
                    waitlist_enabled=True,
                    organiser_name="ATIGIP",
                    organiser_email="webinaires@example.org",
                    departement_codes=["33"],
                )
            )
            ids.append(webinar.id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids[0], ids[1:]


def registration_form(token: str, email: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "last_name": "Durand",
        "first_name": "Camille",
        "email": email,
        "email_confirmation": email,
        "structure_name": "Association des jardins partagés",
        "structure_type": "association",
        "departement": "33",
        "role": "Coordinatrice",
        "question": "",
        "consent": "y",
    }


WARM_UP_PER_CLIENT = 3


@dataclass
class Round:
    latencies: list[float]
    failures: list[str]
    wall: float
    server_cpu: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


def registration_round(host: str, path: str, warm_up_path: str | None, clients: int, per_client: int) -> Round:
    """``clients`` threads register ``per_client`` times each on ``path``, all starting together."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def register(client: Client, target: str, token: str, label: str) -> float | None:
        email = f"banc-{label}-{secrets.token_hex(4)}@example.org"
        start = time.perf_counter()
        status, headers, _ = client.request("POST", target, registration_form(token, email))
        elapsed = time.perf_counter() - start
        if status not in (302, 303):
            with lock:
                failures.append(str(status))
            return None
        # The browser follows the redirect: the flash message leaves the session cookie.
        client.request("GET", urllib.parse.urlsplit(headers.get("Location", "")).path)
        return elapsed

    def run_client(number: int) -> None:
        client = Client(host, keep_alive=False)  # as behind a reverse proxy: one connection per request
        token = ""
        try:
            token = csrf_token(client.request("GET", path)[2])
            for index in range(WARM_UP_PER_CLIENT if warm_up_path else 0):
                register(client, warm_up_path, token, f"chauffe{number}-{index}")
        except Exception as error:  # reported below
            with lock:
                failures.append(repr(error))
        barrier.wait(timeout=120)
        try:
            for index in range(per_client):
                elapsed = register(client, path, token, f"{number}-{index}")
                if elapsed is not None:
                    with lock:
                        latencies.append(elapsed)
        except Exception as error:  # reported below
            with lock:
                failures.append(repr(error))

    threads = [threading.Thread(target=run_client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    started, cpu_before = time.perf_counter(), server_cpu_seconds(host)
    for thread in threads:
        thread.join()
    return Round(latencies, failures, time.perf_counter() - started, server_cpu_seconds(host) - cpu_before)


def cpu_reference_ms() -> float:
    """This machine's speed at the moment: a fixed piece of pure Python, best of three (lower is faster)."""
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number % 7
        timings.append(time.perf_counter() - start)
    return min(timings) * 1000


def capture_pages(host: str, path: str, folder: Path) -> None:
    """The site's webinar page and a registration's page, for the bare app to send the same bytes."""
    client = Client(host, keep_alive=False)
    status, _, page = client.request("GET", path)
    assert status == 200, f"{path} → {status}"
    (folder / "form.html").write_bytes(page)
    status, headers, _ = client.request("POST", path, registration_form(csrf_token(page), "capture@example.org"))
    assert status in (302, 303), f"POST {path} → {status}"
    status, _, page = client.request("GET", urllib.parse.urlsplit(headers["Location"]).path)
    assert status == 200
    (folder / "registration.html").write_bytes(page)


def bench_b(base: Path, kinds: list[str], clients: int, per_client: int, rounds: int) -> bool:
    report(
        f"## (b) Inscription à un webinaire : débit du site / application Flask nue, {clients} clients simultanés, "
        f"SMTP arrêté"
    )
    report()
    report(
        f"Chaque client enchaîne {per_client} inscriptions (adresses distinctes) sans pause, une connexion par "
        f"requête comme derrière un proxy inverse, et suit la redirection comme un navigateur ; débit = inscriptions "
        f"(POST puis page de l'inscription) par seconde. Site : webinaire de 20 places avec liste d'attente (20 "
        f"confirmations avec invitation, le reste en liste d'attente ; courriels mis en file, rendus par le worker, "
        f"arrêté ici). Application nue (bench/bare_registration.py) : lit le même formulaire, insère une ligne dans "
        f"la même base, redirige, relit la ligne et renvoie les mêmes octets. {rounds} manches par base, site et "
        f"application nue en alternance (la vitesse de la machine partagée varie d'une minute à l'autre) ; le "
        f"résultat retenu est la médiane des ratios des manches. PostgreSQL avec fsync et synchronous_commit. "
        f"Référence processeur : durée d'une boucle Python fixe, plus courte sur une machine plus rapide."
    )
    report()
    report(
        "| Base | Manche | Site (inscr./s) | Nue (inscr./s) | Ratio | p95 site (ms) | p95 nue (ms) | "
        "CPU serveur par inscription, site (ms) | Référence processeur (ms) |"
    )
    report("|---|---|---|---|---|---|---|---|---|")
    summary = []
    passed = True
    for kind in kinds:
        name = "SQLite" if kind == "sqlite" else "PostgreSQL"
        folder = base / f"b-{kind}"
        folder.mkdir()
        bare_dir = folder / "bare"
        bare_dir.mkdir()
        pairs: list[tuple[Round, Round, float]] = []
        with database(kind, folder) as url:
            build_database(url, folder)
            warm_up_id, measured_ids = bench_webinars(url, folder, rounds)
            env = site_env(url, folder)
            with gunicorn("wsgi:app", env) as site:
                capture_pages(site, f"/webinaires/{warm_up_id}", bare_dir)
                bare_env = dict(env, BENCH_BARE_DIR=str(bare_dir), PYTHONPATH=str(ROOT / "bench"))
                with gunicorn("bare_registration:app", bare_env) as bare:
                    for number, webinar_id in enumerate(measured_ids, start=1):
                        warm_up = number == 1
                        reference = cpu_reference_ms()
                        site_round = registration_round(
                            site,
                            f"/webinaires/{webinar_id}",
                            f"/webinaires/{warm_up_id}" if warm_up else None,
                            clients,
                            per_client,
                        )
                        bare_round = registration_round(
                            bare, "/webinaires/1", "/webinaires/1" if warm_up else None, clients, per_client
                        )
                        pairs.append((site_round, bare_round, reference))
        ratios = []
        for number, (site_round, bare_round, reference) in enumerate(pairs, start=1):
            if not site_round.latencies or not bare_round.latencies:
                report(f"| {name} | {number} | – | – | – | – | – | – | {reference:.0f} |")
                continue
            ratio = site_round.throughput / bare_round.throughput
            ratios.append(ratio)
            report(
                f"| {name} | {number} | {site_round.throughput:.0f} | {bare_round.throughput:.0f} | {ratio:.2f} | "
                f"{site_round.p95_ms:.0f} | {bare_round.p95_ms:.0f} | "
                f"{site_round.server_cpu / len(site_round.latencies) * 1000:.1f} | {reference:.0f} |"
            )
        failures = [failure for pair in pairs for result in pair[:2] for failure in result.failures]
        ratio = statistics.median(ratios) if ratios else 0.0
        ok = ratio >= TARGETS["registration"] and not failures and len(ratios) == len(pairs)
        passed &= ok
        note = f" ({len(failures)} échecs : {sorted(set(failures))[:3]})" if failures else ""
        summary.append(
            f"- {name} : médiane des ratios {ratio:.2f} (cible ≥ {TARGETS['registration']}) → "
            f"{'OK' if ok else 'HORS CIBLE'}{note}"
        )
    report()
    for line in summary:
        report(line)
    report()
    return passed


# --- (c) back-office list, 100 vs 100,000 applications ------------------------------------------------


SYLLABLES = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "lu", "ma"]


def made_up_word(number: int) -> str:
    """A word of its own for each number (names as diverse as real ones, not « Structure 1, 2, 3 »)."""
    letters = []
    for _ in range(4):
        number, digit = divmod(number, len(SYLLABLES))
        letters.append(SYLLABLES[digit])
    return "".join(letters).capitalize()


KINDS_OF_NAMES = ["Association", "Jardins partagés", "Ressourcerie", "Coopérative", "Atelier", "Entraide"]


def application_row(number: int, now: datetime) -> dict:
    from app.applications.models import ApplicationStatus
    from app.eligibility.structures import StructureType

    # Statuses spread over both départements (a status that no application of the référent's
    # département has would make the planner misjudge the counts: not what a real queue looks like).
    status = ApplicationStatus.SUBMITTED if (number // 2) % 2 else ApplicationStatus.IN_REVIEW
    return {
        "reference": f"TIG-2026-{number:06d}",
        "status": status,
        "access_token": secrets.token_urlsafe(24),
        "structure_type": StructureType.ASSOCIATION,
        "structure_name": f"{KINDS_OF_NAMES[number % len(KINDS_OF_NAMES)]} {made_up_word(number)} de la Vallée",
        # Spread as real identifiers are (a multiplicative hash), not consecutive numbers.
        "siret": f"{(number * 2654435761 + 12345678901) % 10**14:014d}",
        "rna": f"W{(number * 40503 + 330000001) % 10**9:09d}",
        "departement_code": "33" if number % 2 == 0 else "24",
        "contact_email": f"contact{number}@example.org",
        "submitted_at": now - timedelta(minutes=number),
        "status_changed_at": now - timedelta(minutes=number),
        "created_at": now - timedelta(minutes=number),
        "updated_at": now - timedelta(minutes=number),
    }


# One application present at both sizes (an even number: in the référent's département), searched
# by each of the four things a référent types.
SEARCHED = 42


def searches() -> dict[str, str]:
    row = application_row(SEARCHED, datetime(2026, 1, 1))
    return {
        "nom": made_up_word(SEARCHED).lower(),
        "SIRET": row["siret"],
        "RNA": row["rna"],
        "référence": row["reference"],
    }


def fill_applications(url: str, base: Path, count: int) -> tuple[str, str]:
    """``count`` submitted applications (half in the référent's département); returns a login."""
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(base / "uploads"))
    with app.app_context():
        from app.applications.models import Application
        from tests.factories import DEFAULT_PASSWORD, make_referent

        referent = make_referent(email="banc.referent@justice.fr", departements=("33",))
        db.session.commit()
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = []
        for number in range(count):
            rows.append(application_row(number, now))
            if len(rows) == 5000:
                db.session.execute(sa.insert(Application), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Application), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE applications"))
            db.session.commit()
        email = referent.email
        db.session.remove()
        db.engine.dispose()
    return email, DEFAULT_PASSWORD


def logged_in(host: str, email: str, password: str) -> Client:
    client = Client(host)
    status, _, page = client.request("GET", "/espace-referent/connexion")
    status, headers, _ = client.request(
        "POST", "/espace-referent/connexion", {"csrf_token": csrf_token(page), "email": email, "password": password}
    )
    if status not in (302, 303):
        raise RuntimeError(f"connexion refusée ({status})")
    return client


def time_page(client: Client, path: str, repeats: int, expect: bytes | None = None) -> float:
    for _ in range(3):
        status, _, body = client.request("GET", path)
    if status != 200:
        raise RuntimeError(f"{path} → {status}")
    if expect is not None and expect not in body:
        raise RuntimeError(f"{path} : {expect!r} absent de la page")
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.request("GET", path)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bench_c(base: Path, sizes: tuple[int, int], repeats: int) -> bool:
    report(
        f"## (c) Espace référent : liste et recherche des candidatures, {sizes[0]} puis {sizes[1]:,} candidatures".replace(
            ",", " "
        )
    )
    report()
    report(
        f"Médiane de {repeats} affichages de la file (onglet « Toutes », 25 par page) et de la recherche de la même "
        f"candidature par son nom, son SIRET, son RNA et sa référence ; noms, SIRET et RNA tous différents."
    )
    report()
    report(
        "| Base | Page | "
        + " | ".join(f"{size:,} (ms)".replace(",", " ") for size in sizes)
        + " | Ratio | Cible | Résultat |"
    )
    report("|---|---|---|---|---|---|---|")
    passed = True
    expected = application_row(SEARCHED, datetime(2026, 1, 1))["reference"].encode()
    for kind in ("postgresql", "sqlite"):
        name = "SQLite" if kind == "sqlite" else "PostgreSQL"
        timings: dict[str, list[float]] = {}
        for size in sizes:
            folder = base / f"c-{kind}-{size}"
            folder.mkdir()
            with database(kind, folder) as url:
                build_database(url, folder, demo_data=False)
                email, password = fill_applications(url, folder, size)
                with gunicorn("wsgi:app", site_env(url, folder)) as host:
                    client = logged_in(host, email, password)
                    pages = {"liste": "/espace-referent/candidatures?onglet=toutes"}
                    for label, text in searches().items():
                        pages[f"recherche : {label}"] = (
                            f"/espace-referent/candidatures?onglet=toutes&q={urllib.parse.quote(text)}"
                        )
                    for label, path in pages.items():
                        timings.setdefault(label, []).append(
                            time_page(client, path, repeats, None if label == "liste" else expected)
                        )
        for label, (small, large) in timings.items():
            ratio = large / small
            # SQLite has no index for "contains": its search is shown for information only.
            target = TARGETS["list_ratio"] if label == "liste" else TARGETS["search_ratio"]
            checked = label == "liste" or kind == "postgresql"
            ok = ratio <= target
            if checked:
                passed &= ok
            verdict = ("OK" if ok else "HORS CIBLE") if checked else "pour information"
            report(
                f"| {name} | {label} | {small * 1000:.1f} | {large * 1000:.1f} | {ratio:.2f} | "
                f"{'≤ ' + str(target) if checked else '–'} | {verdict} |"
            )
    report()
    return passed


# --- (d) first visit ---------------------------------------------------------------------------------


def bench_d() -> bool:
    from bench import first_visit

    report("## (d) Première visite (Chromium, cache vide, octets compressés sur le réseau)")
    report()
    results = first_visit.run(["/"], verbose=False)
    ok = True
    for result in results:
        passed = result["bytes"] <= first_visit.TARGET_BYTES and result["requests"] <= first_visit.TARGET_REQUESTS
        ok &= passed
        report(
            f"- `{result['path']}` : {result['bytes'] / 1024:.0f} Ko (cible ≤ 350 Ko), {result['requests']} requêtes "
            f"(cible ≤ 20) → {'OK' if passed else 'HORS CIBLE'}"
        )
        for url, size in result["detail"]:
            if not url.startswith("data:"):
                report(f"  - {size / 1024:.1f} Ko `{re.sub(r'^https?://[^/]+', '', url)}`")
    report()
    return ok


# --- machine and main --------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024 // 1024
    except (OSError, AttributeError):
        memory = 0
    return (
        f"{cpu}, {os.cpu_count()} cœurs visibles, {memory} Go de mémoire, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="a,b,c,d")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="ne pas réécrire bench/RESULTS.md")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    duration = 2.0 if args.quick else args.duration

    report("# Mesures de performance")
    report()
    report(f"- Date : {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    report(f"- Machine : {machine()}")
    report(
        f"- Référence processeur au départ : {cpu_reference_ms():.0f} ms (boucle Python fixe ; plus court = plus rapide)"
    )
    report(
        f"- Charge moyenne au départ (1/5/15 min) : {' / '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(machine partagée : les chiffres absolus en dépendent, les ratios beaucoup moins)"
    )
    report(f"- Commande : `make bench` (`.venv/bin/python bench/run.py {' '.join(sys.argv[1:])}`)".replace(" `)", "`)"))
    report()
    results = {}
    base = Path(tempfile.mkdtemp(prefix="tig-bench-"))
    try:
        if "a" in parts:
            results["a"] = bench_a(base, duration)
        if "b" in parts:
            kinds = os.environ.get("BENCH_B_DATABASES", "sqlite,postgresql").split(",")
            results["b"] = bench_b(
                base,
                kinds,
                clients=20,
                per_client=3 if args.quick else 25,
                rounds=1 if args.quick else int(os.environ.get("BENCH_B_ROUNDS", "5")),
            )
        if "c" in parts:
            sizes = (100, 5_000) if args.quick else (100, 100_000)
            results["c"] = bench_c(base, sizes, repeats=5 if args.quick else 15)
        if "d" in parts:
            results["d"] = bench_d()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report("## Synthèse")
    report()
    for part, ok in results.items():
        report(f"- ({part}) {'OK' if ok else 'HORS CIBLE'}")
    if not args.no_write and not args.quick:
        results_file = ROOT / "bench" / "RESULTS.md"
        # The hand-written "## Analyse" section (reading of the figures) survives a new run.
        previous = results_file.read_text(encoding="utf-8") if results_file.exists() else ""
        analysis = previous[previous.index("## Analyse") :] if "## Analyse" in previous else ""
        results_file.write_text("\n".join(LINES) + "\n" + ("\n" + analysis if analysis else ""), encoding="utf-8")
        print("\nRésultats écrits dans bench/RESULTS.md")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
