"""TIG Partenaires: application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from app.routing import App
from config import Config, ProductionConfig, config_from_env

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    config_class = config_class or config_from_env()
    if config_class is ProductionConfig or issubclass(config_class, ProductionConfig):
        config_class.check()

    app = App(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_object(config_class)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'tig-partenaires.sqlite3'}"
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A database server may cut a pooled connection (restart, idle timeout): each one is checked
        # before use (pool_pre_ping) and replaced if dead. SQLite opens a file: nothing to check.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    app.config.setdefault("DSFR_DIST", str(PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"))

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_templating(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  every model known to SQLAlchemy and Alembic
    from app.database import configure_engine
    from app.extensions import compress, csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    compress.init_app(app)
    from app import page_cache, ratelimits, storage

    ratelimits.init_app(app)  # limiter, with Redis timeouts when the counters are in Redis
    page_cache.init_app(app)
    storage.init_app(app)
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way
    configure_engine(app)


def register_blueprints(app: Flask) -> None:
    from app import applications, auth, backoffice, eligibility, mail, public, routing, static_assets, webinars

    routing.init_app(app)  # before the rules: the converters they pick (text, bounded int, private token)
    for module in (public, eligibility, applications, webinars, auth, backoffice, mail):
        app.register_blueprint(module.bp)
    static_assets.init_app(app)  # WhiteNoise, in front of everything (page cache included)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_app

    init_app(app)


def register_security(app: Flask) -> None:
    from app.security import init_app

    init_app(app)


def register_templating(app: Flask) -> None:
    from app.templating import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from app.cli import init_app

    init_app(app)
