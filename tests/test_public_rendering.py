"""What the public pages no longer do per request: parts rendered once per process (``once``), French
dates from Babel's tables read at start, webinar lists read in one statement each."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from babel.dates import format_date

from app.formatting import LOCALE, date_fr
from app.webinars import services
from tests.factories import make_webinar
from tests.queries import recorded_statements


def test_once_renders_a_block_the_first_time_only_per_key(app):
    calls = []
    template = app.jinja_env.from_string(
        '{% call once("part", key) %}{% do calls.append(key) %}<b>{{ key }}</b>{% endcall %}'
    )
    with app.test_request_context():
        assert [template.render(key=key, calls=calls) for key in (1, 2, 1, 1, 2)] == [
            "<b>1</b>",
            "<b>2</b>",
            "<b>1</b>",
            "<b>1</b>",
            "<b>2</b>",
        ]
    assert calls == [1, 2]


def test_pages_with_parts_rendered_once_are_the_same_each_time(client):
    for url in ("/", "/experimentation-ess"):
        first = client.get(url).text
        assert client.get(url).text == first


def test_french_dates_are_babel_s_for_every_day():
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        pattern = "'1er'" if day.day == 1 else "d"
        assert date_fr(day) == format_date(day, f"EEEE {pattern} MMMM y", locale=LOCALE)
        assert date_fr(day, "long") == format_date(day, f"{pattern} MMMM y", locale=LOCALE)
        day += timedelta(days=1)


def _reads(client, db, url: str) -> int:
    """The statements of a GET of ``url`` other than the transaction's BEGIN, from an empty session."""
    db.session.commit()
    db.session.remove()
    with recorded_statements(db.engine) as statements:
        assert client.get(url).status_code == 200
    return len([statement for statement in statements if statement.strip().upper() != "BEGIN"])


def test_public_webinar_lists_read_one_statement_each(app, db, client):
    regional = make_webinar(departements=("33", "24"), region="Nouvelle-Aquitaine")
    several = make_webinar(departements=("33", "24", "47"))
    national = make_webinar(departements=())
    past = make_webinar(starts_in=timedelta(days=-3), departements=("2A",))
    db.session.commit()
    labels = {webinar.id: webinar.place_label for webinar in (regional, several, national, past)}
    several_id = several.id
    assert _reads(client, db, "/") == 1
    assert _reads(client, db, "/webinaires") == 2
    assert _reads(client, db, "/webinaires?departement=33") == 2
    upcoming, past_cards = services.public_webinars()
    cards = {card.webinar.id: card for card in [*upcoming, *past_cards]}
    assert {id: cards[id].place_label for id in labels} == labels
    assert cards[several_id].departement_codes == ["24", "33", "47"]
    html = client.get("/webinaires").text
    assert "24 – Dordogne, 33 – Gironde, 47 – Lot-et-Garonne" in html
    assert "National (tous départements)" in html and "Région Nouvelle-Aquitaine" in html


def test_the_header_rendered_once_per_page_marks_that_page_in_the_menu(client):
    for _ in range(2):
        for url, label in (("/agence", "L'agence"), ("/webinaires", "Webinaires"), ("/", "Accueil")):
            current = re.findall(
                r'class="fr-nav__link" href="[^"]*" aria-current="page">([^<]*)<', client.get(url).text
            )
            assert [unescape(text) for text in current] == [label]
