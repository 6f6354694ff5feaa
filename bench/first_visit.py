"""(d) First visit of a page in a fresh Chromium: bytes transferred (compressed, as on the wire) and
number of requests, measured from Chrome DevTools Protocol ``Network`` events (``encodedDataLength``).

Run alone: ``.venv/bin/python bench/first_visit.py`` (also part of ``make bench``).
Targets: ≤ 350 KB and ≤ 20 requests for ``/`` (first visit, empty cache).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
TARGET_BYTES = 350 * 1024
TARGET_REQUESTS = 20


def demo_server(base: Path):
    from werkzeug.serving import make_server

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{base / 'bench.sqlite3'}",
        UPLOAD_FOLDER=str(base / "uploads"),
    )
    with app.app_context():
        db.create_all()
        from app import demo

        demo.load_all()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(base_url: str, paths: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        for path in paths:
            context = browser.new_context(locale="fr-FR")  # empty cache: a first visit
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            urls: dict[str, str] = {}
            sizes: dict[str, int] = {}
            cdp.on(
                "Network.requestWillBeSent", lambda e, urls=urls: urls.__setitem__(e["requestId"], e["request"]["url"])
            )
            cdp.on(
                "Network.loadingFinished",
                lambda e, sizes=sizes: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
            )
            page.goto(base_url + path, wait_until="networkidle")
            page.wait_for_timeout(300)
            by_url = sorted(((urls.get(rid, "?"), size) for rid, size in sizes.items()), key=lambda item: -item[1])
            network = {rid: url for rid, url in urls.items() if not url.startswith("data:")}
            results.append(
                {
                    "path": path,
                    "bytes": sum(size for rid, size in sizes.items() if rid in network),
                    "requests": len(network),
                    "detail": by_url,
                }
            )
            context.close()
        browser.close()
    return results


def run(paths=("/",), verbose=True) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        server, base_url = demo_server(Path(folder))
        try:
            results = measure(base_url, list(paths))
        finally:
            server.shutdown()
    for result in results:
        ok = result["bytes"] <= TARGET_BYTES and result["requests"] <= TARGET_REQUESTS
        print(
            f"(d) première visite de {result['path']} : {result['bytes'] / 1024:.0f} Ko transférés "
            f"(cible ≤ {TARGET_BYTES // 1024} Ko), {result['requests']} requêtes (cible ≤ {TARGET_REQUESTS}) "
            f"→ {'OK' if ok else 'HORS CIBLE'}"
        )
        if verbose:
            for url, size in result["detail"]:
                if url.startswith("data:"):
                    continue  # inline images of the CSS: no request on the wire
                print(f"      {size / 1024:7.1f} Ko  {url.replace(base_url, '')}")
    return results


if __name__ == "__main__":
    run(sys.argv[1:] or ["/"])
