"""The one DSFR pagination macro (templates/_macros/pagination.html) used by every paginated list."""

from __future__ import annotations

import re
from types import SimpleNamespace

from flask import render_template_string

from app.applications.queue import QueuePage, page_window

USE = '{% from "_macros/pagination.html" import pagination %}'


def pages(page: int, count: int):
    """The part of Flask-SQLAlchemy's Pagination the macro reads."""
    return SimpleNamespace(
        page=page,
        pages=count,
        iter_pages=lambda: [1, 2, None, count] if count > 3 else list(range(1, count + 1)),
    )


def links(html: str) -> list[tuple[str, str]]:
    return [
        (text, href.replace("&amp;", "&"))
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>', html)
    ]


def test_one_page_shows_nothing(app):
    with app.test_request_context():
        html = render_template_string(
            USE + '{{ pagination(page, "backoffice.accounts_list", "Pagination") }}', page=pages(1, 1)
        )
    assert "fr-pagination" not in html


def test_links_keep_the_filters_and_leave_out_page_one(app):
    with app.test_request_context():
        html = render_template_string(
            USE
            + '{{ pagination(page, "backoffice.webinar_detail", "Pagination des inscriptions", webinar_id=3, statut="waiting") }}',
            page=pages(2, 5),
        )
    assert 'aria-label="Pagination des inscriptions"' in html
    assert '<a class="fr-pagination__link" aria-current="page" title="Page 2">2</a>' in html
    assert links(html) == [
        ("Page précédente", "/espace-referent/webinaires/3?statut=waiting"),
        ("1", "/espace-referent/webinaires/3?statut=waiting"),
        ("5", "/espace-referent/webinaires/3?statut=waiting&page=5"),
        ("Page suivante", "/espace-referent/webinaires/3?statut=waiting&page=3"),
    ]
    assert "Première page" not in html and '<span class="fr-pagination__link">…</span>' in html


def test_first_and_last_links_and_disabled_ends(app):
    template = (
        USE
        + '{{ pagination(page, "backoffice.applications_queue", "Pagination des candidatures", numbers=window, first_last=True, q="bois") }}'
    )
    with app.test_request_context():
        first = render_template_string(template, page=QueuePage(page=1, pages=12), window=page_window(1, 12))
        last = render_template_string(template, page=QueuePage(page=12, pages=12), window=page_window(12, 12))
    assert (
        '<a class="fr-pagination__link fr-pagination__link--first" aria-disabled="true" role="link">Première page</a>'
        in first
    )
    assert (
        '<a class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label" aria-disabled="true" role="link">Page précédente</a>'
        in first
    )
    assert dict(links(first))["Dernière page"].endswith("?q=bois&page=12")
    assert dict(links(first))["Page suivante"].endswith("?q=bois&page=2")
    assert (
        '<a class="fr-pagination__link fr-pagination__link--last" aria-disabled="true" role="link">Dernière page</a>'
        in last
    )
    assert dict(links(last))["Première page"].endswith("/candidatures?q=bois")
    assert dict(links(last))["Page précédente"].endswith("?q=bois&page=11")
