"""The database every test runs on: SQLite (a file per test) or a real PostgreSQL server.

Chosen by the environment:

- ``TEST_DB=sqlite`` (default): a fresh SQLite file per test, tables made by ``create_all()``.
- ``TEST_DATABASE_URL=postgresql+psycopg://…``: that server (its database is emptied, reused).
- ``TEST_DB=postgresql`` without URL: a throwaway cluster started for the session with ``initdb`` and
  ``pg_ctl`` in a temporary directory (socket in that directory, free port on loopback, fsync off),
  stopped and removed at the end. PostgreSQL refuses to run as root: as root the cluster runs as the
  system user ``tigtest`` (``useradd --system --no-create-home tigtest``, created if missing), so CI
  (root) works too.

On PostgreSQL the tables are created once per session, and each test starts from empty tables
(DELETE in reverse dependency order and sequences reset: much faster than TRUNCATE or
drop/create_all on tables this small).
When PostgreSQL is asked for and cannot be had, the session **fails** (never a skip): with
``CI=true`` and otherwise alike, since asking for it and silently testing SQLite would lie.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

PG_SYSTEM_USER = "tigtest"
PG_DATABASE = "tig_test"


class DatabaseUnavailable(RuntimeError):
    pass


def requested_backend() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return "postgresql"
    backend = os.environ.get("TEST_DB", "sqlite").strip().lower() or "sqlite"
    if backend in ("pg", "postgres"):
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"TEST_DB={backend!r} inconnu (attendu : sqlite ou postgresql)")
    return backend


def find_pg_binary(name: str) -> str | None:
    """initdb/pg_ctl: on PATH, else in `pg_config --bindir`, else in Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            candidates.append(Path(bindir) / name)
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) owned by this test session."""

    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tig-pg-")))
    port: int = field(default_factory=free_port)
    run_as: str | None = None
    # Tests trade durability for speed; ``make bench`` measures with a production-like durable commit.
    durable: bool = False

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def user(self) -> str:
        return self.run_as or pwd.getpwuid(os.getuid()).pw_name

    def _command(self, args: list[str]) -> list[str]:
        if self.run_as:
            runuser = system_tool("runuser")
            if runuser:
                return [runuser, "-u", self.run_as, "--", *args]
            return [
                system_tool("setpriv") or "setpriv",
                "--reuid",
                self.run_as,
                "--regid",
                self.run_as,
                "--init-groups",
                "--",
                *args,
            ]
        return args

    def _run(self, args: list[str], timeout: float = 120) -> None:
        result = subprocess.run(self._command(args), capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise DatabaseUnavailable(f"{' '.join(args[:2])} a échoué :\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        initdb, pg_ctl = find_pg_binary("initdb"), find_pg_binary("pg_ctl")
        if not (initdb and pg_ctl):
            raise DatabaseUnavailable(
                "initdb/pg_ctl introuvables (PATH, pg_config --bindir, /usr/lib/postgresql/*/bin) : "
                "installez PostgreSQL ou donnez TEST_DATABASE_URL."
            )
        if os.geteuid() == 0:
            self.run_as = ensure_system_user(PG_SYSTEM_USER)
            shutil.chown(self.base, PG_SYSTEM_USER)
        self.base.chmod(0o700)
        self._run(
            [initdb, "-D", str(self.datadir), "-U", self.user, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        )
        durability = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 {durability}"
            "-c max_connections=200 -c timezone=UTC"
        )
        self._run(
            [
                pg_ctl,
                "-D",
                str(self.datadir),
                "-o",
                options,
                "-l",
                str(self.base / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
        admin.dispose()

    def url(self, database: str = PG_DATABASE) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.base}&port={self.port}"

    def stop(self) -> None:
        pg_ctl = find_pg_binary("pg_ctl")
        try:
            if pg_ctl and self.datadir.exists():
                subprocess.run(
                    self._command([pg_ctl, "-D", str(self.datadir), "-m", "fast", "-w", "stop"]),
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def system_tool(name: str) -> str | None:
    """runuser, setpriv, useradd: on PATH or in the sbin folders a non-login PATH may lack."""
    for folder in (None, "/usr/sbin", "/sbin", "/usr/bin"):
        found = shutil.which(name, path=folder)
        if found:
            return found
    return None


def ensure_system_user(name: str) -> str:
    """The unprivileged account PostgreSQL runs under when the tests run as root (CI)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [system_tool("useradd") or "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
    return name


class DatabaseProvider:
    """What the ``app`` fixture asks for: a URL per test and a way to make it empty."""

    def __init__(self) -> None:
        self.backend = requested_backend()
        self.cluster: PostgresCluster | None = None
        self.server_url: str | None = None
        self._tables_ready = False

    @property
    def is_postgresql(self) -> bool:
        return self.backend == "postgresql"

    def start(self) -> None:
        if not self.is_postgresql:
            return
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            self.cluster = PostgresCluster()
            try:
                self.cluster.start()
            except BaseException:
                self.cluster.stop()
                raise
            url = self.cluster.url()
        self.server_url = url
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except sa.exc.OperationalError as error:
            raise DatabaseUnavailable(f"PostgreSQL injoignable ({url}) : {error}") from error
        finally:
            engine.dispose()

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()

    def url_for_test(self, tmp_path: Path) -> str:
        if self.is_postgresql:
            return self.server_url
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"

    def prepare(self, db) -> None:
        """Called inside the test's app context: empty tables matching the current models."""
        if not self.is_postgresql:
            db.create_all()
            return
        if not self._tables_ready:
            # A reused server (TEST_DATABASE_URL) may hold tables of an older model: start over.
            db.drop_all()
            db.create_all()
            self._tables_ready = True
            return
        self.truncate_all(db)

    @staticmethod
    def truncate_all(db) -> None:
        """Empty every table and restart the ids. DELETE in reverse dependency order plus setval is
        ~10 times faster than TRUNCATE on the few rows a test leaves (TRUNCATE makes new files for
        every table and index); TRUNCATE … CASCADE remains the fallback (e.g. a foreign key cycle)."""
        tables = list(reversed(db.metadata.sorted_tables))
        if not tables:
            return
        statements = [f'DELETE FROM "{table.name}"' for table in tables]
        for table in tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto"
                    and isinstance(column.type, sa.Integer)
                    and len(table.primary_key.columns) == 1
                ):
                    statements.append(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), 1, false)"
                    )
        with db.engine.connect() as connection:
            # A connection left open by a test must make the next one fail, not hang.
            try:
                with connection.begin():
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '15s'")
                    connection.exec_driver_sql("; ".join(statements))
            except sa.exc.IntegrityError:
                names = ", ".join(f'"{table.name}"' for table in tables)
                with connection.begin():
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '15s'")
                    connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    def create_database(self, name: str) -> str:
        """An extra, empty PostgreSQL database on the same server (migrations tests); returns its URL."""
        assert self.server_url, "PostgreSQL n'est pas démarré"
        url = sa.engine.make_url(self.server_url)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False)
