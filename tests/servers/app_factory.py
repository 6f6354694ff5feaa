"""App factory for tests that need a real multi-process server:
``gunicorn 'tests.servers.app_factory:create()'`` with TEST_SERVER_DATABASE_URI set by the test.
Testing configuration: CSRF off (the test posts forms directly), mails only queued."""

from __future__ import annotations

import os


def create():
    from app import create_app
    from config import TestingConfig

    extra = {}
    if os.environ.get("TEST_SERVER_UPLOAD_FOLDER"):  # the test's own folder (uploads made in-process)
        extra["UPLOAD_FOLDER"] = os.environ["TEST_SERVER_UPLOAD_FOLDER"]
    return create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=os.environ["TEST_SERVER_DATABASE_URI"],
        WTF_CSRF_ENABLED=False,
        **extra,
    )
