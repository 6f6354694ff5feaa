"""Browser tests: a live server on loopback and Playwright driving Debian's Chromium.

There is no skip: without /usr/bin/chromium these tests fail, in CI and locally alike.
``axe_check(page)`` runs axe-core (from node_modules) with the WCAG 2.1 A/AA rules;
``backoffice_login(page, live_server, email, password)`` fills the back-office login form by its labels;
``live_referent(live_app, name, password, ...)`` adds a fresh account to the live database.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.territories import communes
from config import TestingConfig

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("live")
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{base / 'live.sqlite3'}",
        UPLOAD_FOLDER=str(base / "uploads"),
        WTF_CSRF_ENABLED=True,  # the browser gets the real forms, CSRF included
    )
    with app.app_context():
        db.create_all()
        from app import demo

        demo.load_all()
        db.session.commit()
        db.session.remove()
    communes.load()  # as wsgi.py does at start: no page waits for the official list to be read
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    port = server.server_port
    live_app.config["SITE_URL"] = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium introuvable à {CHROMIUM} : installez le paquet Debian « chromium »."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.console_problems = problems  # CSP violations and script errors land here
    yield page
    context.close()


def live_referent(live_app, name: str, password: str, departements=("33", "24"), prefix: str = "referent") -> str:
    """A new référent of the live database (unique address ``<prefix>.<ns>@justice.fr``, the demo accounts
    stay untouched); returns the address."""
    from tests.factories import make_referent

    email = f"{prefix}.{time.time_ns()}@justice.fr"
    with live_app.app_context():
        make_referent(email=email, name=name, departements=departements, password=password)
        db.session.commit()
        db.session.remove()
    return email


def backoffice_login(page, live_server: str, email: str, password: str) -> None:
    """Log in to the back office through its form (fields found by their labels)."""
    page.goto(live_server + "/espace-referent/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def axe_check(page) -> None:
    """Fail with a readable list when axe-core finds any WCAG 2.1 A/AA violation on the page."""
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"""
    )
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert not violations, f"axe-core sur {page.url} :\n" + json.dumps(violations, indent=2, ensure_ascii=False)
