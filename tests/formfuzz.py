"""Property-based form testing (hypothesis): post random, invalid, huge, unicode and control-character
values to a real form page and check the site's promises — never a 5xx, and what was typed is still
in the page when the form comes back with errors.

    from tests.formfuzz import fuzz_form

    def test_registration_form_survives_anything(app, client):
        fuzz_form(client, "/webinaires/1")

``fuzz_form`` reads the form from the page (``<form method="post">``: inputs, selects, textareas,
checkboxes), so fields added later are fuzzed too. Values are drawn per field type; select fields
get a valid option most of the time and garbage otherwise. The CSRF token is whatever the page holds
(tests run with CSRF off by default). ``fixed`` pins fields (e.g. a valid email to go further).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Typical attack and edge values, mixed with random text.
NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE applications; --",
    '=HYPERLINK("http://exemple.invalid")',
    "../../etc/passwd",
    "Ł̶̢o̸r̵e̷m̶ 𝕀𝕡𝕤𝕦𝕞 🙂",
    "\u202eRTL\u202c",
    "\x00\x01\x1f",
    " ",
    "",
    "9" * 400,
    "é" * 5000,
]


@dataclass
class FormField:
    name: str
    kind: str  # text, email, textarea, select, checkbox, radio, number, date, time, file, hidden, password, url, tel
    options: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: FormField | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (attributes.get("method") or "get").lower(),
                "action": attributes.get("action"),
                "fields": {},
                "hidden": {},
            }
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind == "hidden":
                self._form["hidden"][name] = attributes.get("value") or ""
                return
            existing = self._form["fields"].get(name)
            if kind in ("checkbox", "radio"):
                if existing is None:
                    existing = self._form["fields"][name] = FormField(name, kind)
                existing.options.append(attributes.get("value") or "y")
            else:
                self._form["fields"][name] = FormField(name, kind)
        elif tag == "textarea" and name:
            self._form["fields"][name] = FormField(name, "textarea")
        elif tag == "select" and name:
            self._select = self._form["fields"][name] = FormField(name, "select")
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def post_forms(page_html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(page_html)
    return [form for form in parser.forms if form["method"] == "post"]


def _text(max_size: int = 300):
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
    )


def value_strategy(form_field: FormField):
    kind = form_field.kind
    if kind == "select":
        valid = [option for option in form_field.options if option]
        return st.one_of(st.sampled_from(valid), _text(50)) if valid else _text(50)
    if kind in ("checkbox", "radio"):
        return st.one_of(st.none(), st.sampled_from(form_field.options), _text(20))
    if kind == "email":
        return st.one_of(st.emails(), _text(), st.just("a@" + "b" * 300 + ".fr"))
    if kind == "number":
        return st.one_of(st.integers(-(10**12), 10**12).map(str), _text(30))
    if kind == "date":
        return st.one_of(st.dates().map(lambda d: d.isoformat()), _text(30))
    if kind == "time":
        return st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), _text(30))
    if kind == "file":
        return st.none()
    if kind == "textarea":
        return _text(3000)
    return _text()


def form_strategy(fields: dict[str, FormField], fixed: dict[str, str]):
    drawn = {name: value_strategy(f) for name, f in fields.items() if name not in fixed}
    return st.fixed_dictionaries(drawn)


def visible(value: str, kind: str = "text") -> str | None:
    """How a typed value should appear in the re-rendered page, as the site normalises it on input
    (``app/forms.py``: invisible characters removed, and line breaks in a single-line field); None: not
    checkable."""
    from app.forms import normalize_single_line, strip_control_characters

    normalize = strip_control_characters if kind == "textarea" else normalize_single_line
    cleaned = normalize(value).strip()
    if not cleaned or len(cleaned) > 200 or "\r" in cleaned or "\n" in cleaned:
        return None
    return cleaned


def fuzz_form(
    client,
    url: str,
    fixed: dict[str, str] | None = None,
    max_examples: int = 25,
    form_index: int = 0,
    check_kept: bool = True,
) -> int:
    """Fuzz the ``form_index``-th POST form of ``url``; returns how many fields were fuzzed."""
    page = client.get(url)
    assert page.status_code == 200, f"GET {url} → {page.status_code}"
    forms = post_forms(page.text)
    assert len(forms) > form_index, f"pas de formulaire POST n°{form_index} sur {url}"
    form = forms[form_index]
    target = form["action"] or url
    fixed = fixed or {}
    fields = form["fields"]
    assert fields, f"formulaire sans champ sur {url}"

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(form_strategy(fields, fixed))
    def check(values):
        data = dict(form["hidden"])
        data.update(fixed)
        data.update({name: value for name, value in values.items() if value is not None})
        response = client.post(target, data=data)
        assert response.status_code < 500, f"POST {target} → {response.status_code} avec {data!r}"
        if check_kept and response.status_code == 200 and response.mimetype == "text/html":
            text = html.unescape(response.text)
            for name, value in values.items():
                kind = fields[name].kind
                if value is None or kind in ("password", "file", "checkbox", "radio", "select", "hidden"):
                    continue
                shown = visible(value, kind)
                if shown and shown not in text:
                    raise AssertionError(f"{target} : la saisie du champ {name!r} ({shown!r}) a disparu de la page")
            assert "<script>alert(1)</script>" not in response.text, f"{target} : valeur non échappée"

    check()
    return len(fields)
