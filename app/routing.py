"""URL rules: the default converter of ``<name>`` parts refuses control characters.

A private link such as ``/suivi/<token>`` passes its text to a database query; a NUL byte in it
(``/suivi/%00``) made PostgreSQL fail ("text fields cannot contain NUL"), hence a 500. With this
converter such a URL matches no rule: the French 404 page, as for any unknown link.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import UnicodeConverter


class TextConverter(UnicodeConverter):
    """Like Werkzeug's ``string`` converter (any text without "/"), minus C0 control characters and DEL."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


def init_app(app: Flask) -> None:
    """Call before any rule is added: a rule picks its converter when it is registered."""
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
