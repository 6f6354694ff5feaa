"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from flask import Flask
from markupsafe import Markup

from app import antivirus, territories
from app.applications.uploads import downloadable
from app.formatting import JINJA_FILTERS, time_range_fr
from app.static_assets import dsfr_url


class RenderedOnce:
    """``{% call once("name", key…) %}…{% endcall %}``: the block is rendered the first time, then the
    same HTML is reused for the life of the process (per application). For a part of a page that costs
    and depends on nothing but its key: no request, session, form, CSRF token or date, unless in the key.
    At most ``max_entries`` keys are kept (all dropped beyond: keys are meant to be few)."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._done: dict[tuple[Hashable, ...], Markup] = {}
        self._lock = threading.Lock()

    def __call__(self, *key: Hashable, caller: Callable[[], str]) -> Markup:
        html = self._done.get(key)
        if html is None:
            html = Markup(caller())
            with self._lock:
                if len(self._done) >= self.max_entries:
                    self._done.clear()
                self._done[key] = html
        return html


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        dsfr_url=dsfr_url,
        time_range_fr=time_range_fr,
        get_departement=territories.get_departement,
        departement_label=territories.departement_label,
        site_name=app.config["SITE_NAME"],
        document_downloadable=downloadable,
        antivirus_enabled=lambda: antivirus.is_enabled(app.config),
        once=RenderedOnce(),
    )
