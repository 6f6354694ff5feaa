"""URL rules: converters that refuse what the database cannot take, mark private links, and absolute
URLs built from SITE_URL.

- ``<name>`` (the default converter) refuses control characters: a NUL byte in ``/suivi/%00`` made
  PostgreSQL fail ("text fields cannot contain NUL"), hence a 500; now such a URL matches no rule.
- ``<int:…>`` accepts only what fits the database's INTEGER (PostgreSQL's: 2,147,483,647, the type of
  every id column): ``/webinaires/2147483648`` overflowed in the query (a 500 on PostgreSQL, and on
  SQLite beyond 2**63); now it matches no rule: the French 404 page, as for any unknown link.
- ``<token:…>`` is a private link's secret (letters, digits, « - », « _ », « . »: what the site's tokens
  are made of). Every response to a rule holding one says ``Cache-Control: no-store`` and
  ``X-Robots-Tag: noindex``: the pages of private links are neither kept by caches nor indexed.
- ``url_for(…, _external=True)`` (code and templates) starts with SITE_URL, never with the request's
  Host header: a forged Host cannot put another site's address in a page, a calendar file or a mail.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import BaseConverter, IntegerConverter, UnicodeConverter

MAX_DATABASE_INTEGER = 2**31 - 1


class TextConverter(UnicodeConverter):
    """Like Werkzeug's ``string`` converter (any text without "/"), minus C0 control characters and DEL."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


class DatabaseIntegerConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded by the database's INTEGER unless the rule says otherwise."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_DATABASE_INTEGER if max is None else max, signed)


class TokenConverter(BaseConverter):
    """The secret of a private link (``secrets.token_urlsafe``, itsdangerous tokens, demo tokens)."""

    regex = r"[A-Za-z0-9_.\-]{1,512}"


def is_private_rule(rule) -> bool:
    return "<token:" in rule.rule


class App(Flask):
    """Flask, with absolute URLs from SITE_URL (see the module's docstring)."""

    def url_for(self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        if not _external:
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
        return self.config["SITE_URL"].rstrip("/") + path


def init_app(app: Flask) -> None:
    """Call before any rule is added: a rule picks its converter when it is registered."""
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.url_map.converters["token"] = TokenConverter

    @app.after_request
    def private_links_not_cached(response):
        if request.url_rule is not None and is_private_rule(request.url_rule):
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response
