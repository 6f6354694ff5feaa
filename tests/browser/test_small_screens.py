"""No page scrolls sideways on a phone: every HTML page of the URL map, reached by crawling the public site
and the back office from their home pages plus the pages no link reaches (each eligibility result, the
wizard's steps, private links), is drawn at 320 and 375 CSS pixels wide and its document must not be
wider than the window."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from app.eligibility.structures import StructureType
from app.extensions import db
from tests.browser.conftest import backoffice_login, live_referent

WIDTHS = (320, 375)
# Endpoints that answer with something else than a page (files, calendars, exports, JSON, e-mail bodies).
NOT_PAGES = {
    "assets.dsfr",
    "static",
    "public.healthz",
    "mail.outbox_html",
    "webinars.calendar",
    "webinars.invitation",
    "applications.summary_pdf",
    "applications.attestation",
    "applications.document_download",
    "backoffice.application_attestation",
    "backoffice.application_document",
    "backoffice.applications_export_csv",
    "backoffice.applications_export_xlsx",
    "backoffice.webinar_export_csv",
    "eligibility.registry_lookup",  # JSON for the questionnaire's script (its notice is drawn in the page)
    "applications.registry_lookup",  # the same for the wizard's step 1
    "backoffice.structures_export_csv",
    "backoffice.structures_export_xlsx",
    "backoffice.structures_posts_csv",
    "backoffice.structures_posts_xlsx",
}
# Pages reached only in the middle of a login with a second factor (covered by the auth browser tests).
NOT_REACHED = {"auth.login_code"}
ESS_YES = {
    "ess_non_profit_purpose": "oui",
    "ess_democratic_governance": "oui",
    "ess_profits_reinvested": "oui",
    "social_utility": "fragilite",
}


def _eligibility_results() -> list[str]:
    """Each type, eligible and not, in the département with the longest name and overseas."""
    urls = ["/eligibilite/resultat", "/eligibilite?structure_type=cooperative"]
    for structure_type in StructureType:
        for departement in ("04", "974", "2A"):
            query = {"structure_type": structure_type.value, "departement": departement}
            if structure_type.is_ess_private:
                urls.append("/eligibilite/resultat?" + urlencode({**query, **ESS_YES, "minors": "oui"}))
                query = {**query, **ESS_YES, "social_utility": "aucun"}
            urls.append("/eligibilite/resultat?" + urlencode(query))
    return urls


def _private_links(live_app) -> list[str]:
    from app.applications import drafts
    from app.applications.models import Application, ApplicationStatus
    from app.auth.notifications import invitation_url, reset_url
    from app.formatting import utcnow
    from app.webinars.models import Registration, RegistrationStatus
    from tests.factories import make_referent

    urls = ["/candidature?structure_type=autre_entreprise&departement=04", "/page-qui-n-existe-pas"]
    with live_app.app_context():
        draft = drafts.create_draft("petit.ecran@exemple.fr", now=utcnow(), retention_days=30, answers=None)
        db.session.flush()
        urls.append(f"/candidature/{draft.access_token}/etape/1")
        urls.append("/candidature/reprendre/demo-brouillon")
        for token in ("demo-brouillon", "demo-deposee", "demo-en-attente"):
            application = db.session.scalar(sa.select(Application).filter_by(access_token=token))
            if application.is_draft:
                urls += [f"/candidature/{token}/etape/{n}" for n in range(1, application.current_step + 1)]
            else:
                urls += [f"/suivi/{token}", f"/candidature/{token}/confirmation"]
                urls += [f"/candidature/{token}/etape/{n}" for n in range(1, 6)]
        for decided in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED):  # the decision box
            application = db.session.scalar(sa.select(Application).filter_by(status=decided).limit(1))
            urls.append(f"/suivi/{application.access_token}")
        for status in RegistrationStatus:
            registration = db.session.scalar(sa.select(Registration).filter_by(status=status).limit(1))
            if registration is not None:
                urls += [f"/inscription/{registration.token}", f"/inscription/{registration.token}/annuler"]
        invited = make_referent(email="invite.petit.ecran@justice.fr", departements=["04"], password=None)
        db.session.commit()
        with live_app.test_request_context():
            for url in (invitation_url(invited), reset_url(db.session.scalar(sa.select(type(invited)).limit(1)))):
                urls.append(urlsplit(url).path)
        db.session.remove()
    return urls


def _endpoint(live_app, path: str) -> str | None:
    adapter = live_app.url_map.bind("localhost")
    try:
        return adapter.match(urlsplit(path).path, method="GET")[0]
    except Exception:  # noqa: BLE001  a 404 page or a redirect rule: still a page to draw
        return None


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _overflow(page) -> str | None:
    """What sticks out, or None: the document is no wider than the window. The culprits named are the
    deepest elements whose content is wider than their box outside a scrolling container."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            if (document.documentElement.scrollWidth <= width) return null;
            const culprits = [];
            for (const el of document.body.querySelectorAll('*')) {
                const style = getComputedStyle(el);
                if (style.overflowX !== 'visible' || el.clientWidth === 0) continue;
                if (el.scrollWidth <= el.clientWidth + 1) continue;
                const inner = [...el.children].some(c => c.scrollWidth > c.clientWidth + 1 && c.clientWidth > 0);
                if (!inner) culprits.push(el.tagName.toLowerCase() + '.' + String(el.className).trim().split(/\\s+/).join('.')
                    + ' (' + el.clientWidth + ' < ' + el.scrollWidth + ') « ' + (el.innerText || '').trim().slice(0, 60) + ' »');
            }
            return document.documentElement.scrollWidth + 'px > ' + width + 'px : ' + culprits.slice(0, 4).join(' | ');
        }"""
    )


def _visit_all(page, origin: str, seeds: list[str], live_app, budget: int) -> tuple[dict[str, str], set[str]]:
    """Breadth-first over same-origin links from ``seeds``; one page per distinct path shape."""
    problems: dict[str, str] = {}
    endpoints: set[str] = set()
    seen: set[str] = set()
    queue = deque(seeds)
    visited = 0
    while queue and visited < budget:
        path = queue.popleft()
        endpoint = _endpoint(live_app, path)
        if path in seen or endpoint in NOT_PAGES or "deconnexion" in path:
            continue
        # Many links differ only by their filters or numbers: a few of each endpoint are enough.
        shape = (endpoint, re.sub(r"\d+", "N", urlsplit(path).path), bool(urlsplit(path).query))
        if shape in seen and path not in seeds:
            continue
        seen.update({path, shape})
        page.goto(origin + path)
        visited += 1
        if endpoint:
            endpoints.add(endpoint)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 720})
            problem = _overflow(page)
            if problem:
                problems[f"{path} ({width} px)"] = problem
        queue.extend(_links(page, origin))
    return problems, endpoints


@pytest.mark.browser
def test_no_page_scrolls_sideways_at_320_and_375_px(browser, live_app, live_server):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 320, "height": 720})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        public_seeds = ["/", "/plan-du-site", "/webinaires", "/webinaires?departement=04", "/candidature"]
        public_seeds += ["/dev/courriels", "/espace-referent/connexion", "/espace-referent/mot-de-passe-oublie"]
        public_seeds += _eligibility_results() + _private_links(live_app)
        problems, endpoints = _visit_all(page, live_server, public_seeds, live_app, budget=400)

        email = live_referent(live_app, "Petit Écran", "mot-de-passe-petit-ecran-1", departements=("33", "59", "04"))
        with live_app.app_context():
            from app.auth.models import Referent

            db.session.execute(sa.update(Referent).where(Referent.email == email).values(is_admin=True))
            db.session.commit()
            db.session.remove()
        backoffice_login(page, live_server, email, "mot-de-passe-petit-ecran-1")
        page.wait_for_url("**/espace-referent/")
        with live_app.app_context():
            from app.applications.models import Application, ApplicationStatus

            submitted = db.session.scalars(
                sa.select(Application.id).where(Application.status != ApplicationStatus.DRAFT)
            ).all()
            db.session.remove()
        bo_seeds = [
            *(f"/espace-referent/candidatures/{i}/complements" for i in submitted),
            "/espace-referent/",
            "/espace-referent/candidatures?onglet=toutes",
            "/espace-referent/candidatures?onglet=toutes&du=&au=&departement=&type_structure=&statut=",
            "/espace-referent/candidatures?du=32/13/2026",
            "/espace-referent/webinaires",
            "/espace-referent/webinaires/nouveau",
            "/espace-referent/comptes",
            "/espace-referent/comptes/inviter",
            "/espace-referent/mon-compte",
            "/espace-referent/mon-compte/double-authentification",
        ]
        bo_problems, bo_endpoints = _visit_all(page, live_server, bo_seeds, live_app, budget=200)
        problems.update(bo_problems)
        endpoints |= bo_endpoints
    finally:
        context.close()

    assert problems == {}, "Pages plus larges que l'écran :\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())
    html_endpoints = (
        {rule.endpoint for rule in live_app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES - NOT_REACHED
    )
    assert html_endpoints - endpoints == set(), "pages jamais dessinées sur petit écran"
