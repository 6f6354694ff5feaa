"""Configuration read from the environment only (see README, section « Configuration »).

Code reads ``current_app.config``; this module is the one place that reads ``os.environ``.
"""

import math
import os
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

# The development key committed in this repository: anyone can read it, so production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"
SECRET_KEY_MIN_LENGTH = 32
GENERATE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on", "oui"}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return _truthy(value)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


class Config:
    ENVIRONMENT = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default set in create_app (instance/)

    # Public base URL used in emails (links must work outside a request).
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")
    SITE_NAME = "TIG Partenaires"

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)  # back office: logged out after this idle time
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)  # back office: log in again after this, active or not
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no lost forms after a long pause

    # Uploads (documents of applications and messages): where they are stored (app/storage.py)
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")  # "local" (UPLOAD_FOLDER) or "s3"
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: instance/uploads
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None  # empty: AWS itself
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_REGION = os.environ.get("S3_REGION") or None
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID") or None
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY") or None
    S3_PATH_STYLE = _env_bool("S3_PATH_STYLE", False)  # bucket in the path (most S3-compatible servers)
    S3_PREFIX = os.environ.get("S3_PREFIX", "")  # e.g. "documents/": keys start with it
    S3_TIMEOUT_SECONDS = _env_int("S3_TIMEOUT_SECONDS", 10)
    # Antivirus (app/antivirus.py): a clamd socket, or its host and port. On as soon as one is given.
    CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
    CLAMD_HOST = os.environ.get("CLAMD_HOST", "")
    CLAMD_PORT = _env_int("CLAMD_PORT", 3310)
    CLAMD_TIMEOUT_SECONDS = _env_int("CLAMD_TIMEOUT_SECONDS", 30)
    ANTIVIRUS_ENABLED = _env_bool("ANTIVIRUS_ENABLED", bool(CLAMD_SOCKET or CLAMD_HOST))
    # clamd unreachable at upload: refuse the file (true), or keep it unreadable until a scan succeeds (false).
    ANTIVIRUS_REQUIRED = _env_bool("ANTIVIRUS_REQUIRED", False)
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_MB", 10) * 1024 * 1024
    # What the applicant may store for one application (wizard and replies): files and their total size.
    APPLICATION_MAX_DOCUMENTS = _env_int("APPLICATION_MAX_DOCUMENTS", 30)
    APPLICATION_MAX_DOCUMENTS_BYTES = _env_int("APPLICATION_MAX_DOCUMENTS_MB", 100) * 1024 * 1024
    # Whole request cap: a few documents at once, plus the form itself.
    MAX_CONTENT_LENGTH = _env_int("MAX_REQUEST_MB", 60) * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    # Mail
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")  # empty: mails are only logged (development)
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "TIG Partenaires <ne-pas-repondre@tig-partenaires.justice.fr>"
    )
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 10)
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_BATCH_SIZE = _env_int("OUTBOX_BATCH_SIZE", 50)
    # A message claimed by a worker that died is taken over after this many seconds.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 300)
    WORKER_INTERVAL_SECONDS = _env_int("WORKER_INTERVAL_SECONDS", 30)
    # Development page listing the mails written to the outbox (never in production).
    DEV_MAIL_VIEWER = _env_bool("DEV_MAIL_VIEWER", False)

    # Structures looked up by SIRET, SIREN or RNA in the API Recherche d'entreprises (app/companies/).
    COMPANY_LOOKUP_ENABLED = _env_bool("COMPANY_LOOKUP_ENABLED", True)
    COMPANY_LOOKUP_URL = os.environ.get("COMPANY_LOOKUP_URL", "https://recherche-entreprises.api.gouv.fr")
    COMPANY_LOOKUP_TIMEOUT_SECONDS = _env_float("COMPANY_LOOKUP_TIMEOUT_SECONDS", 3.0)
    COMPANY_LOOKUP_CACHE_HOURS = _env_float("COMPANY_LOOKUP_CACHE_HOURS", 24.0)
    # After this many failures in a row, the API is left alone for COMPANY_LOOKUP_BREAKER_SECONDS.
    COMPANY_LOOKUP_BREAKER_FAILURES = _env_int("COMPANY_LOOKUP_BREAKER_FAILURES", 3)
    COMPANY_LOOKUP_BREAKER_SECONDS = _env_float("COMPANY_LOOKUP_BREAKER_SECONDS", 120.0)

    # Eligibility regime: empty (default) applies the regime in force today (Europe/Paris) according to
    # the dates of app/eligibility/regimes/*.toml; a regime id forces that one.
    ELIGIBILITY_REGIME = os.environ.get("ELIGIBILITY_REGIME", "")

    # Application drafts
    DRAFT_RETENTION_DAYS = _env_int("DRAFT_RETENTION_DAYS", 30)
    DRAFT_REMINDER_DAYS_BEFORE = _env_int("DRAFT_REMINDER_DAYS_BEFORE", 5)

    # Webinars
    WEBINAR_JOIN_LINK_HOUR = os.environ.get("WEBINAR_JOIN_LINK_HOUR", "10:00")  # Europe/Paris, the day before
    WEBINAR_CANCELLATION_CUTOFF_HOURS = _env_int("WEBINAR_CANCELLATION_CUTOFF_HOURS", 0)

    # Back office
    TOTP_REQUIRED = _env_bool("TOTP_REQUIRED", False)
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)
    ACCOUNT_TOKEN_HOURS = _env_int("ACCOUNT_TOKEN_HOURS", 48)
    ACCOUNT_INVITATION_DAYS = _env_int("ACCOUNT_INVITATION_DAYS", 7)  # validity of the invitation link
    # Per-IP failures before a lock: higher than per account, a ministry office shares one address.
    LOGIN_MAX_FAILURES_PER_IP = _env_int("LOGIN_MAX_FAILURES_PER_IP", 20)
    # A browser that logged in to an account keeps its own lock for it this long (app/auth/devices.py).
    LOGIN_TRUSTED_DEVICE_DAYS = _env_int("LOGIN_TRUSTED_DEVICE_DAYS", 90)

    # Personal data retention
    WEBINAR_RETENTION_DAYS = _env_int("WEBINAR_RETENTION_DAYS", 365)
    # Sent emails (names, addresses, attached summaries) erased from the outbox after this (app/privacy.py).
    OUTBOX_RETENTION_DAYS = _env_int("OUTBOX_RETENTION_DAYS", 90)

    # Accessibility statement: compliance level shown in the footer and on /accessibilite.
    # RGAA: without a valid audit a site is declared « non conforme »; set after an audit.
    ACCESSIBILITY_STATUS = os.environ.get("ACCESSIBILITY_STATUS", "non conforme")

    TIMEZONE = "Europe/Paris"

    # --- Production infrastructure (rate limits, proxy, backups) ---
    # Rate limits (Flask-Limiter), "N per minute|hour" strings applied with @limit("<name>")
    # from app/ratelimits.py, per client address and on POST only.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # memory:// for one instance; redis://host:6379/0 when several instances serve the site.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After and X-RateLimit-* on limited endpoints
    # Redis down: limits go on in memory (per process) rather than failing the request (app/ratelimits.py).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Connecting to Redis and each answer: past this, Redis counts as down (a request never hangs on it).
    REDIS_TIMEOUT_SECONDS = _env_float("REDIS_TIMEOUT_SECONDS", 1.0)
    # /healthz: how long it waits for each of the database, Redis and the file storage (app/health.py).
    HEALTHZ_TIMEOUT_SECONDS = _env_float("HEALTHZ_TIMEOUT_SECONDS", 2.0)
    RATELIMIT_REGISTRATION = os.environ.get("RATELIMIT_REGISTRATION", "10 per minute")
    RATELIMIT_APPLICATION_SUBMIT = os.environ.get("RATELIMIT_APPLICATION_SUBMIT", "10 per minute")
    # Wizard steps saved (every POST) and uploads (POSTs with a file), per address and per draft: far
    # above what a person filling an application reaches, well below what a script sends.
    RATELIMIT_APPLICATION_STEP = os.environ.get("RATELIMIT_APPLICATION_STEP", "300 per minute;3000 per hour")
    RATELIMIT_APPLICATION_STEP_PER_DRAFT = os.environ.get(
        "RATELIMIT_APPLICATION_STEP_PER_DRAFT", "60 per minute;600 per hour"
    )
    RATELIMIT_APPLICATION_UPLOAD = os.environ.get("RATELIMIT_APPLICATION_UPLOAD", "60 per minute;300 per hour")
    RATELIMIT_APPLICATION_UPLOAD_PER_DRAFT = os.environ.get(
        "RATELIMIT_APPLICATION_UPLOAD_PER_DRAFT", "20 per minute;100 per hour"
    )
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per 15 minutes")
    # Registry lookups asked by a visitor (search button, lookup on blur): each may call the API.
    RATELIMIT_COMPANY_LOOKUP = os.environ.get("RATELIMIT_COMPANY_LOOKUP", "30 per minute")
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted
    # (0: none, the default; 1 behind one nginx). Needed for per-visitor rate limits and https URLs.
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    # Where `flask backup` writes (default: instance/backups).
    BACKUP_FOLDER = os.environ.get("BACKUP_FOLDER")
    # How many backups `flask backup` keeps in that folder (older ones deleted; 0: keep all).
    BACKUP_KEEP = _env_int("BACKUP_KEEP", 14)
    # Compressed and versioned copies of the assets, made on first start or by `flask assets build`
    # (default: instance/static-cache; must be writable by the app).
    STATIC_CACHE_FOLDER = os.environ.get("STATIC_CACHE_FOLDER")
    # Pages (HTML) and JSON compressed by Flask-Compress; assets are served compressed by WhiteNoise.
    COMPRESS_MIMETYPES = ["text/html", "application/json"]
    # Public pages kept in memory for anonymous visitors (app/page_cache.py: which pages, how long).
    PAGE_CACHE_ENABLED = _env_bool("PAGE_CACHE_ENABLED", True)
    PAGE_CACHE_MAX_ENTRIES = _env_int("PAGE_CACHE_MAX_ENTRIES", 500)


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    DEBUG = True
    PAGE_CACHE_ENABLED = _env_bool("PAGE_CACHE_ENABLED", False)  # edited templates show at once
    DEV_MAIL_VIEWER = _env_bool("DEV_MAIL_VIEWER", True)


class TestingConfig(Config):
    ENVIRONMENT = "testing"
    TESTING = True
    # The tests that scan start their own clamd (tests/servers/clamd.py) and turn it on.
    ANTIVIRUS_ENABLED = _env_bool("ANTIVIRUS_ENABLED", False)
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False  # individual tests turn it back on to prove CSRF protection
    MAIL_SERVER = ""
    DEV_MAIL_VIEWER = True
    SERVER_NAME = None
    RATELIMIT_ENABLED = False  # tests/test_ratelimits.py turns it on
    PAGE_CACHE_ENABLED = False  # tests change data then read pages; tests/test_page_cache.py turns it on
    COMPANY_LOOKUP_ENABLED = False  # no call leaves a test; tests of the lookup turn it on with a local server


class ProductionConfig(Config):
    ENVIRONMENT = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)

    @classmethod
    def check(cls, environ: Mapping[str, str] | None = None) -> None:
        """Refuse to start with a setting that is only fit for development (README, « Mise en production »)."""
        problems = production_problems(os.environ if environ is None else environ)
        if problems:
            raise RuntimeError(
                "Configuration de production refusée : le site ne démarre pas.\n- " + "\n- ".join(problems)
            )


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign production sessions and links (French), or None when it can.

    "Low entropy" is judged by what a generator never produces: few distinct characters, a repeated
    pattern, a run of consecutive characters ("abcdef…", "0123…"), or under 100 bits by the Shannon
    estimate of the key's own characters. A key from ``secrets.token_urlsafe(48)`` passes by far."""
    how = f"Générez-en une avec : {GENERATE_SECRET_KEY}"
    if key == DEVELOPMENT_SECRET_KEY:
        return f"SECRET_KEY est la clé de développement publiée dans le dépôt. {how}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY est trop courte ({len(key)} caractères, {SECRET_KEY_MIN_LENGTH} au moins). {how}"
    counts = Counter(key)
    shannon_bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    repeated = any(
        len(key) % size == 0 and key == key[:size] * (len(key) // size) for size in range(1, len(key) // 2 + 1)
    )
    consecutive = sum(abs(ord(a) - ord(b)) == 1 for a, b in zip(key, key[1:], strict=False))
    if len(counts) < 10 or repeated or consecutive > len(key) // 2 or shannon_bits < 100:
        return f"SECRET_KEY n'est pas assez aléatoire (caractères peu variés, répétés ou qui se suivent). {how}"
    return None


def production_problems(environ: Mapping[str, str]) -> list[str]:
    """Every reason, in French, why this environment is not fit for production (empty list: fit)."""
    problems = [
        f"la variable d'environnement {name} est obligatoire."
        for name in ("SECRET_KEY", "DATABASE_URL")
        if not environ.get(name)
    ]
    if environ.get("SECRET_KEY"):
        problem = secret_key_problem(environ["SECRET_KEY"])
        if problem:
            problems.append(problem)
    if _truthy(environ.get("DEV_MAIL_VIEWER")):
        problems.append(
            "DEV_MAIL_VIEWER=true est interdit : la page /dev/courriels montrerait à tous les courriels, "
            "liens de réinitialisation de mot de passe compris. Retirez cette variable."
        )
    clamd = environ.get("CLAMD_SOCKET") or environ.get("CLAMD_HOST")
    antivirus = (environ.get("ANTIVIRUS_ENABLED") or "").strip().lower()
    if not clamd and antivirus not in ("false", "0", "no", "off", "non"):
        problems.append(
            "l'antivirus n'est pas configuré : donnez CLAMD_SOCKET (socket du démon clamd, paquet Debian "
            "clamav-daemon) ou CLAMD_HOST et CLAMD_PORT, ou, en connaissance de cause, ANTIVIRUS_ENABLED=false "
            "(les fichiers déposés ne seraient alors pas analysés)."
        )
    if (environ.get("STORAGE_BACKEND") or "local").lower() == "s3" and not environ.get("S3_BUCKET"):
        problems.append("STORAGE_BACKEND=s3 demande S3_BUCKET (et S3_ENDPOINT_URL hors AWS, S3_ACCESS_KEY_ID…).")
    if not environ.get("RATELIMIT_STORAGE_URI"):
        problems.append(
            "RATELIMIT_STORAGE_URI doit être donnée : redis://hôte:6379/0 (partagé par toutes les instances et "
            "tous les processus), ou memory:// en connaissance de cause (compteurs propres à chaque processus : "
            "avec 4 processus, une limite de 10 par minute en laisse passer 40)."
        )
    return problems


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV inconnu : {name!r} (attendu : {', '.join(CONFIGS)})")
    return CONFIGS[name]
