"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus a database per test."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db as _db
from config import TestingConfig


@pytest.fixture
def app(tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'test.sqlite3'}",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        _db.create_all()  # tests only; the real databases are built by the migrations
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app
