"""The application wizard: start, every step (valid and invalid input), back link, drafts and resume
link, uploads, submission (once), emails and jobs."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from app.applications import submission, wizard
from app.applications.models import Application, ApplicationDocument, ApplicationEvent, ApplicationStatus, EventKind
from app.applications.steps import BY_KEY
from app.extensions import db
from app.formatting import utcnow
from app.mail.models import OutboxMessage
from tests.factories import make_referent
from tests.mails import queued_mails

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
ASSOCIATION_DOCS = ["declaration_jo", "statuts", "etablissements", "bureau", "pv_assemblee_generale"]

STRUCTURE = {
    "structure_name": "Les Jardins partagés",
    "structure_type": "association",
    "siret": "",
    "rna": "W331234567",
    "address": "12 rue des Lilas",
    "postal_code": "33000",
    "commune": "Bordeaux",
    "departement_code": "33",
}
CONTACT = {
    "contact_last_name": "Martin",
    "contact_first_name": "Jeanne",
    "contact_role": "Présidente",
    "contact_email": "jeanne.martin@exemple.fr",
    "contact_phone": "06 12 34 56 78",
}
POST = {
    "poste0-present": "1",
    "poste0-title": "Entretien des espaces verts",
    "poste0-tasks": "Tonte, désherbage",
    "poste0-place": "Jardin partagé, Bordeaux",
    "poste0-schedule": "Du lundi au vendredi, de 9 h à 12 h",
    "poste0-hours_per_week": "15",
    "poste0-places_count": "2",
    "poste0-minors_allowed": "y",
    "poste0-tuteur0-present": "1",
    "poste0-tuteur0-last_name": "Durand",
    "poste0-tuteur0-first_name": "Paul",
    "poste0-tuteur0-role": "Jardinier",
}
ESS = {
    "ess_non_profit_purpose": "oui",
    "ess_democratic_governance": "oui",
    "ess_profits_reinvested": "oui",
    "social_utility": ["fragilite"],
    "social_utility_statement": "Nous employons des personnes en insertion.",
}


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1)


def field_errors(response) -> list[str]:
    import html

    return [
        html.unescape(m)
        for m in re.findall(r'class="fr-message fr-message--error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    ]


def start(client, email="jeanne.martin@exemple.fr", reponses="") -> str:
    response = client.post("/candidature", data={"email": email, "reponses": reponses})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.location.split("/")[2]


def step_url(token, number, **query):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/candidature/{token}/etape/{number}{suffix}"


def post_step(client, token, number, data, action="continuer", **query):
    return client.post(step_url(token, number, **query), data={**data, "action": action})


def upload(client, token, number, files: dict, action="continuer"):
    data = {f"doc_{key}": (io.BytesIO(content), name) for key, (name, content) in files.items()}
    data["action"] = action
    return client.post(step_url(token, number), data=data, content_type="multipart/form-data")


def application(token) -> Application:
    db.session.expire_all()
    return db.session.scalar(sa.select(Application).filter_by(access_token=token))


def complete_association(client, token):
    """Steps 1–4 of an association in Gironde (6 steps: no ESS step)."""
    assert post_step(client, token, 1, STRUCTURE).status_code == 302
    assert post_step(client, token, 2, CONTACT).status_code == 302
    assert post_step(client, token, 3, POST).status_code == 302
    response = upload(client, token, 4, {key: (f"{key}.pdf", PDF) for key in ASSOCIATION_DOCS})
    assert response.status_code == 302, field_errors(response)
    assert client.get(response.location).status_code == 200  # the review page opens the declaration step
    return response


# --- start ---------------------------------------------------------------------------------------------


def test_start_page_lists_steps_and_documents_of_the_type(client):
    response = client.get("/candidature?structure_type=association&departement=67")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert title(response).startswith("Déposer une candidature")
    assert text.count("<h1") == 1
    # Bas-Rhin association: the tribunal's register instead of the Journal officiel.
    assert "Extrait du registre des associations" in text and "Journal officiel" not in text
    assert 'name="reponses"' in text and "structure_type=association" in text


def test_start_without_answers_shows_documents_of_every_type(client):
    text = client.get("/candidature").get_data(as_text=True)
    assert "Société à mission" in text and "Derniers comptes annuels et bilan" in text


def test_start_invalid_email_rerenders_with_error(client, db):
    response = client.post("/candidature", data={"email": "jeanne@", "reponses": ""})
    assert response.status_code == 200
    assert title(response).startswith("Erreur : ")
    assert any("nom@exemple.fr" in e for e in field_errors(response))
    assert 'value="jeanne@"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_start_creates_draft_prefilled_and_mails_resume_link(client, app):
    token = start(
        client,
        reponses="structure_type=cooperative&departement=33&ess_non_profit_purpose=oui"
        "&ess_democratic_governance=oui&ess_profits_reinvested=oui&social_utility=fragilite",
    )
    draft = application(token)
    assert draft.status is ApplicationStatus.DRAFT
    assert draft.structure_type.value == "cooperative" and draft.departement_code == "33"
    assert draft.ess_profits_reinvested is True and draft.social_utility == ["fragilite"]
    assert draft.draft_expires_at - utcnow() > timedelta(days=app.config["DRAFT_RETENTION_DAYS"] - 1)
    assert [e.kind for e in draft.events] == [EventKind.DRAFT_CREATED]
    assert draft.events[0].actor_label == "Le demandeur"
    mail = queued_mails(category="application.draft_created")[0]
    assert mail.to_address == "jeanne.martin@exemple.fr"
    link = f"{app.config['SITE_URL']}/candidature/reprendre/{token}"
    assert link in mail.body_text and link in mail.body_html


# --- step 1: structure ------------------------------------------------------------------------------------


def test_structure_step_shows_stepper(client):
    token = start(client, reponses="structure_type=association&departement=33")
    response = client.get(step_url(token, 1))
    text = response.get_data(as_text=True)
    assert "Étape 1 sur 6" in text and "fr-stepper" in text
    assert "Étape suivante :</span> La personne à contacter" in text
    assert title(response).startswith("Votre structure – Étape 1 sur 6")
    assert re.search(r'value="association"\s+checked|checked[^>]*value="association"', text)
    # "(optionnel)" follows the type: SIRET optional for an association, RNA required in Gironde.
    assert "Numéro SIRET (optionnel)" in text and "Numéro RNA (associations) (optionnel)" not in text


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"structure_name": ""}, "Indiquez le nom de la structure"),
        ({"structure_type": "cooperative", "siret": ""}, "Indiquez le numéro SIRET"),
        ({"siret": "1234"}, "Le numéro SIRET doit comporter 14 chiffres, par exemple 123 456 782 00010"),
        ({"siret": "73282932000075"}, "Le numéro SIRET n'est pas valide"),
        ({"rna": ""}, "Indiquez le numéro RNA"),
        ({"rna": "12345"}, "par exemple W331234567"),
        ({"postal_code": "75001"}, "ne correspond pas au département choisi (33 – Gironde)"),
        ({"postal_code": "3300"}, "5 chiffres"),
        ({"departement_code": ""}, "Choisissez le département"),
    ],
)
def test_structure_step_invalid_input(client, changes, message):
    token = start(client)
    response = post_step(client, token, 1, {**STRUCTURE, **changes})
    assert response.status_code == 200
    assert title(response).startswith("Erreur : Votre structure")
    errors = field_errors(response)
    assert any(message in e for e in errors), errors
    text = response.get_data(as_text=True)
    assert 'id="resume-erreurs"' in text
    assert 'value="12 rue des Lilas"' in text  # nothing typed is lost
    assert application(token).structure_name == ""  # not saved to the model…
    assert application(token).draft_answers["structure"]["address"] == ["12 rue des Lilas"]  # …but kept raw


def test_rna_optional_in_alsace_moselle(client):
    token = start(client)
    data = {**STRUCTURE, "rna": "", "postal_code": "57000", "commune": "Metz", "departement_code": "57"}
    assert post_step(client, token, 1, data).status_code == 302
    assert application(token).rna is None


def test_structure_saved_normalised(client):
    token = start(client)
    data = {**STRUCTURE, "structure_type": "personne_privee_service_public", "siret": "732 829 320 00074", "rna": ""}
    response = post_step(client, token, 1, data)
    assert response.status_code == 302 and response.location.endswith("/etape/2")
    saved = application(token)
    assert saved.siret == "73282932000074" and saved.current_step == 2


def test_ineligible_combination_links_to_checker(client):
    token = start(client)
    data = {
        **STRUCTURE,
        "structure_type": "societe_a_mission",  # outside both lists of the sociétés à mission
        "siret": "73282932000074",
        "postal_code": "24000",
        "commune": "Périgueux",
        "departement_code": "24",
    }
    response = post_step(client, token, 1, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = " ".join(field_errors(response))
    assert "Une société à mission ne peut accueillir de personnes en TIG que dans les 20" in errors
    assert "le département 24 – Dordogne n'en fait pas partie" in errors
    assert 'href="/eligibilite?structure_type=societe_a_mission&amp;departement=24"' in text
    assert "referent.tig.24@justice.fr" in text


# --- step 2 and back link ----------------------------------------------------------------------------------


def test_contact_step_invalid_then_valid(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    response = post_step(client, token, 2, {**CONTACT, "contact_phone": "12", "contact_email": "jeanne"})
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    errors = " ".join(field_errors(response))
    assert "06 12 34 56 78" in errors and "nom@exemple.fr" in errors
    response = post_step(client, token, 2, CONTACT)
    assert response.status_code == 302
    assert application(token).contact_phone == "+33612345678"


def test_back_link_keeps_invalid_answers(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    response = post_step(client, token, 2, {**CONTACT, "contact_phone": "12"}, action="precedent")
    assert response.status_code == 302 and response.location.endswith("/etape/1")
    # Step 1 kept its values.
    assert 'value="Les Jardins partagés"' in client.get(step_url(token, 1)).get_data(as_text=True)
    # Step 2 shows what was typed, without errors until it is sent again.
    response = client.get(step_url(token, 2))
    text = response.get_data(as_text=True)
    assert 'value="Martin"' in text and 'value="12"' in text
    assert field_errors(response) == [] and 'id="resume-erreurs"' not in text
    response = post_step(client, token, 2, {**CONTACT, "contact_phone": "12"})
    assert any("06 12 34 56 78" in e for e in field_errors(response))


def test_back_link_saves_valid_answers(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT, action="precedent")
    assert application(token).contact_last_name == "Martin"


def test_cannot_jump_past_the_furthest_step(client):
    token = start(client)
    response = client.get(step_url(token, 4))
    assert response.status_code == 302 and response.location.endswith("/etape/1")


# --- step 3: ESS -------------------------------------------------------------------------------------------


def test_ess_step_only_for_types_concerned(client):
    token = start(client)
    post_step(client, token, 1, {**STRUCTURE, "structure_type": "cooperative", "siret": "73282932000074"})
    response = client.get(step_url(token, 2))
    assert "Étape 2 sur 7" in response.get_data(as_text=True)
    post_step(client, token, 2, CONTACT)
    response = client.get(step_url(token, 3))
    assert "Économie sociale et solidaire" in title(response)
    response = post_step(
        client, token, 3, {**ESS, "ess_profits_reinvested": "non", "social_utility": ["developpement_durable"]}
    )
    assert response.status_code == 200
    errors = " ".join(field_errors(response))
    assert "loi n° 2014-856, article 1" in errors and "ne suffisent pas seuls" in errors
    response = post_step(client, token, 3, ESS)
    assert response.status_code == 302 and response.location.endswith("/etape/4")
    assert application(token).social_utility == ["fragilite"]


# --- step 4: posts -----------------------------------------------------------------------------------------


def test_posts_add_and_remove_without_javascript(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    response = post_step(client, token, 3, POST, action="ajouter_poste")
    assert response.status_code == 302 and response.location.endswith("#poste1-title")
    response = client.get(step_url(token, 3))
    text = response.get_data(as_text=True)
    assert "Poste 2" in text and 'value="Entretien des espaces verts"' in text
    assert not title(response).startswith("Erreur")  # a new empty post is not an error yet
    assert text.count("Supprimer ce poste") == 2
    # Add a tutor to post 1, then remove post 2.
    formdata = wizard.initial_formdata(application(token), BY_KEY["posts"]).to_dict(flat=False)
    client.post(step_url(token, 3), data={**formdata, "action": "ajouter_tuteur-0"})
    assert "Tuteur 2 du poste 1" in client.get(step_url(token, 3)).get_data(as_text=True)
    formdata = wizard.initial_formdata(application(token), BY_KEY["posts"]).to_dict(flat=False)
    client.post(step_url(token, 3), data={**formdata, "action": "supprimer_poste-1"})
    text = client.get(step_url(token, 3)).get_data(as_text=True)
    assert "Poste 2" not in text and "Supprimer ce poste" not in text


def test_posts_invalid_input(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    response = post_step(client, token, 3, {**POST, "poste0-hours_per_week": "quarante", "poste0-tuteur0-role": ""})
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    text = response.get_data(as_text=True)
    assert "Poste 1 – Nombre d&#39;heures par semaine" in text
    assert "Poste 1, tuteur 1 – Fonction du tuteur" in text
    assert 'href="#poste0-hours_per_week"' in text and 'value="quarante"' in text
    assert application(token).posts == []


def test_posts_saved(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    assert post_step(client, token, 3, POST).status_code == 302
    post = application(token).posts[0]
    assert post.hours_per_week == 15 and post.minors_allowed is True and post.physical_effort is False
    assert [(t.last_name, t.first_name, t.role, t.birth_date, t.birth_place) for t in post.tutors] == [
        ("Durand", "Paul", "Jardinier", None, "")
    ]


def test_tutor_birth_date_and_place_are_kept_and_shown(client):
    """Asked for the inscription of the post; optional, checked when given."""
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    born = {"poste0-tuteur0-birth_date": "1980-03-14", "poste0-tuteur0-birth_place": "Bordeaux"}
    future = post_step(client, token, 3, {**POST, **born, "poste0-tuteur0-birth_date": "2999-01-01"})
    assert future.status_code == 200
    assert "Indiquez une date de naissance passée, au format jj/mm/aaaa, par exemple 14/03/1980." in field_errors(
        future
    )
    assert 'value="Bordeaux"' in future.get_data(as_text=True)  # nothing typed is lost
    assert post_step(client, token, 3, {**POST, **born}).status_code == 302
    post = application(token).posts[0]
    assert post.tutors[0].birth_date == date(1980, 3, 14) and post.tutors[0].birth_place == "Bordeaux"
    assert post.tutor_lines() == ["Paul Durand, Jardinier, né(e) le 14 mars 1980 à Bordeaux"]
    page = client.get(step_url(token, 3)).get_data(as_text=True)
    assert 'value="1980-03-14"' in page and "Date de naissance du tuteur" in page
    typed = post_step(
        client, token, 3, {**POST, **born, "poste0-tuteur0-birth_date": "02/06/1975"}, retour="verification"
    )
    assert typed.status_code == 302  # typed as written in France, where the browser has no date picker
    assert application(token).posts[0].tutors[0].birth_date == date(1975, 6, 2)


def test_edit_posts_pure():
    from werkzeug.datastructures import MultiDict

    data = wizard.edit_posts(MultiDict(POST), "ajouter_poste")
    posts = wizard.posts_from_formdata(data)
    assert len(posts) == 2 and posts[1]["tutors"] == [{"present": "1"}]
    posts = wizard.posts_from_formdata(wizard.edit_posts(data, "supprimer_poste-0"))
    assert len(posts) == 1 and "title" not in posts[0]
    # The last post and the last tutor cannot be removed.
    single = wizard.edit_posts(MultiDict(POST), "supprimer_poste-0")
    assert wizard.posts_from_formdata(single)[0]["title"] == "Entretien des espaces verts"
    assert len(wizard.posts_from_formdata(wizard.edit_posts(MultiDict(POST), "supprimer_tuteur-0-0"))[0]["tutors"]) == 1


def test_a_removed_post_can_be_put_back_until_the_step_is_saved(client):
    """« Supprimer ce poste » keeps the post aside: a notice (where the page opens) offers « Annuler la
    suppression », which puts it back at its place with what was typed; saving the step forgets it."""
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    second = {k.replace("poste0", "poste1"): v for k, v in POST.items()} | {"poste1-title": "Poste « deux »"}
    both = {**POST, **second}
    response = post_step(client, token, 3, both, action="supprimer_poste-0")
    assert response.status_code == 302 and response.location.endswith("/etape/3#poste-supprime")
    page = unescape(client.get(step_url(token, 3)).get_data(as_text=True))
    assert "Le poste 1 « Entretien des espaces verts » a été supprimé." in page
    assert 'value="retablir_poste"' in page and "Entretien des espaces verts" not in page.split("a été supprimé")[1]
    remaining = {k.replace("poste1", "poste0"): v for k, v in second.items()}
    response = post_step(client, token, 3, remaining, action="retablir_poste")
    assert response.location.endswith("/etape/3#poste0-title")
    page = unescape(client.get(step_url(token, 3)).get_data(as_text=True))
    assert 'id="poste-supprime"' not in page
    assert page.index('value="Entretien des espaces verts"') < page.index('value="Poste « deux »"')
    assert 'value="Durand"' in page and 'value="Tonte, désherbage"' not in page  # a textarea: its text
    assert "Tonte, désherbage" in page
    # Removed again, then the step is saved: nothing to put back any more.
    post_step(client, token, 3, both, action="supprimer_poste-1")
    assert post_step(client, token, 3, POST).status_code == 302
    assert [p.title for p in application(token).posts] == ["Entretien des espaces verts"]
    page = client.get(step_url(token, 3)).get_data(as_text=True)
    assert 'id="poste-supprime"' not in page
    assert post_step(client, token, 3, POST, action="retablir_poste").location.endswith("#postes")
    assert "posts:supprime" not in (application(token).draft_answers or {})


def test_adding_a_block_opens_the_page_on_its_first_field(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    for action, anchor in (("ajouter_tuteur-0", "poste0-tuteur1-last_name"), ("ajouter_poste", "poste1-title")):
        response = post_step(client, token, 3, POST, action=action)
        assert response.location.endswith(f"#{anchor}"), action
        assert f'id="{anchor}"' in client.get(step_url(token, 3)).get_data(as_text=True), action


# --- step 5: documents ----------------------------------------------------------------------------------------


def _to_documents(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    post_step(client, token, 3, POST)
    return token


def test_documents_page_lists_requirements_with_formats(client):
    token = _to_documents(client)
    text = client.get(step_url(token, 4)).get_data(as_text=True)
    assert "Copie de la déclaration publiée au Journal officiel" in text
    assert "Formats acceptés : PDF, JPEG ou PNG. Taille maximale : 10 Mo." in text
    assert 'enctype="multipart/form-data"' in text


def test_upload_recognised_by_content(client, app):
    token = _to_documents(client)
    response = upload(
        client, token, 4, {"statuts": ("statuts.pdf", PDF), "bureau": ("photo-bureau.pdf", PNG)}, action="televerser"
    )
    assert response.status_code == 302
    documents = {d.kind: d for d in application(token).documents}
    assert documents["statuts"].content_type == "application/pdf"
    assert documents["bureau"].content_type == "image/png"  # named .pdf, stored as what it is
    stored = documents["statuts"]
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.stored_name) and stored.original_filename == "statuts.pdf"
    import hashlib
    from pathlib import Path

    path = Path(app.config["UPLOAD_FOLDER"]) / stored.stored_name
    assert path.read_bytes() == PDF and stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert "static" not in str(path)
    assert [e.kind for e in application(token).events].count(EventKind.DOCUMENT_ADDED) == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("statuts.pdf", b"Ceci est un texte, pas un PDF.", "n'est pas au format PDF, JPEG ou PNG"),
        ("statuts.pdf", b"", "est vide"),
        ("statuts.exe", b"MZ\x90\x00\x03\x00\x00\x00", "n'est pas au format PDF, JPEG ou PNG"),
    ],
)
def test_upload_refused(client, name, content, message):
    token = _to_documents(client)
    response = upload(client, token, 4, {"statuts": (name, content)})
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any(message in e for e in field_errors(response)), field_errors(response)
    assert application(token).documents == []


def test_upload_too_big_has_french_error_not_413(client, app):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    token = _to_documents(client)
    response = upload(client, token, 4, {"statuts": ("gros.pdf", PDF + b"0" * (1024 * 1024))})
    assert response.status_code == 200
    assert any("dépasse la taille maximale de 1 Mo" in e for e in field_errors(response))
    assert application(token).documents == []


def test_missing_required_document_blocks_continue(client):
    token = _to_documents(client)
    response = upload(client, token, 4, {"statuts": ("statuts.pdf", PDF)})
    assert response.status_code == 200
    errors = " ".join(field_errors(response))
    assert "Ajoutez ce document : copie de la déclaration publiée au Journal officiel." in errors
    assert application(token).documents[0].kind == "statuts"  # the valid file is kept


def test_delete_and_download_document(client, app):
    token = _to_documents(client)
    upload(client, token, 4, {"statuts": ("statuts.pdf", PDF)}, action="televerser")
    document = application(token).documents[0]
    response = client.get(f"/suivi/{token}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/suivi/not-the-token/documents/{document.id}").status_code == 404
    response = client.post(step_url(token, 4), data={"action": f"supprimer_document-{document.id}"})
    assert response.status_code == 302
    assert application(token).documents == []
    from pathlib import Path

    assert not (Path(app.config["UPLOAD_FOLDER"]) / document.stored_name).exists()


# --- review, resume, expiry ---------------------------------------------------------------------------------


def test_review_modify_link_returns_to_review(client):
    token = start(client)
    complete_association(client, token)
    response = client.get(step_url(token, 5))
    text = response.get_data(as_text=True)
    assert "Vérifier vos réponses" in title(response)
    assert f'href="/candidature/{token}/etape/2?retour=verification"' in text
    assert "Les Jardins partagés" in text and "06 12 34 56 78" in text
    # Each answer has its own "Modifier" link, pointing at its field on the step.
    assert f'href="/candidature/{token}/etape/2?retour=verification#contact_phone"' in text
    assert f'href="/candidature/{token}/etape/1?retour=verification#siret"' in text
    assert 'Modifier<span class="fr-sr-only"> : Téléphone</span>' in text
    assert f'href="/candidature/{token}/etape/3?retour=verification#poste0"' in text
    response = post_step(client, token, 2, {**CONTACT, "contact_role": "Trésorière"}, retour="verification")
    assert response.status_code == 302 and response.location.endswith("/etape/5")
    assert application(token).contact_role == "Trésorière"


def test_resume_link_opens_the_furthest_step(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    response = client.get(f"/candidature/reprendre/{token}")
    assert response.status_code == 302 and response.location.endswith(f"/candidature/{token}/etape/3")


def test_expired_link_page(client):
    token = start(client)
    draft = application(token)
    draft.draft_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for url in (f"/candidature/reprendre/{token}", step_url(token, 1)):
        response = client.get(url)
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "Ce lien a expiré" in text and 'href="/candidature"' in text


def test_unknown_link_page(client):
    response = client.get("/candidature/reprendre/inconnu")
    assert response.status_code == 404 and "Ce lien ne fonctionne pas" in response.get_data(as_text=True)


def test_saving_extends_the_draft(client):
    token = start(client)
    draft = application(token)
    draft.draft_expires_at = utcnow() + timedelta(days=2)
    draft.draft_reminder_sent_at = utcnow()
    db.session.commit()
    post_step(client, token, 1, STRUCTURE)
    draft = application(token)
    assert draft.draft_expires_at > utcnow() + timedelta(days=29) and draft.draft_reminder_sent_at is None


# --- submission -----------------------------------------------------------------------------------------------


def test_declaration_required(client):
    token = start(client)
    complete_association(client, token)
    response = client.post(step_url(token, 6), data={})
    assert response.status_code == 200 and title(response).startswith("Erreur : Déclaration et envoi")
    assert any("Cochez la case" in e for e in field_errors(response))
    assert application(token).status is ApplicationStatus.DRAFT


def test_submit_numbers_mails_and_is_idempotent(client, app):
    referent = make_referent(email="referente@justice.fr", departements=("33",))
    make_referent(email="silencieux@justice.fr", departements=("33",), notify_new_applications=False)
    make_referent(email="autre@justice.fr", departements=("24",))
    db.session.commit()
    token = start(client)
    complete_association(client, token)
    response = client.post(step_url(token, 6), data={"accept": "y"})
    assert response.status_code == 302 and response.location.endswith(f"/candidature/{token}/confirmation")
    again = client.post(step_url(token, 6), data={"accept": "y"})  # double click
    assert again.status_code == 302

    submitted = application(token)
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert submitted.reference == f"TIG-{utcnow().year}-{submitted.id:06d}"
    # The regime in force on the day of submission is recorded with the application.
    from app.eligibility.engine import paris_today, regime_in_force

    assert submitted.eligibility_regime == regime_in_force(paris_today()).id
    assert submitted.eligibility_path == "habilitation"
    assert submitted.submitted_at and submitted.declaration_accepted_at and submitted.draft_expires_at is None
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1
    assert [e.kind for e in submitted.events].count(EventKind.SUBMITTED) == 1

    confirmations = queued_mails(category="application.submitted")
    assert len(confirmations) == 1
    mail = confirmations[0]
    assert mail.to_address == "jeanne.martin@exemple.fr" and submitted.reference in mail.subject
    assert f"{app.config['SITE_URL']}/suivi/{token}" in mail.body_text
    attachment = mail.attachments[0]
    assert attachment.filename == f"candidature-{submitted.reference}.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.data.startswith(b"%PDF")

    to_referents = queued_mails(category="application.new_referent")
    assert [m.to_address for m in to_referents] == [referent.email]
    assert f"/espace-referent/candidatures/{submitted.id}" in to_referents[0].body_text

    text = client.get(f"/candidature/{token}/confirmation").get_data(as_text=True)
    assert submitted.reference in text and "directeur du service pénitentiaire" in text
    assert "au plus tôt un mois" in text and f"/suivi/{token}" in text


def test_submit_without_referent_account_uses_departement_address(client):
    token = start(client)
    complete_association(client, token)
    client.post(step_url(token, 6), data={"accept": "y"})
    mail = queued_mails(category="application.new_referent")[0]
    assert mail.to_address == "referent.tig.33@justice.fr"


def test_submit_revalidates_every_step(client):
    token = start(client)
    complete_association(client, token)
    draft = application(token)
    draft.contact_phone = ""  # e.g. a value that became invalid
    db.session.commit()
    response = client.post(step_url(token, 6), data={"accept": "y"})
    assert response.status_code == 302 and response.location.endswith("/etape/2")
    assert application(token).status is ApplicationStatus.DRAFT
    assert "ne peut pas encore être envoyée" in client.get(response.location).get_data(as_text=True)


def test_submit_service_twice_returns_the_same(app, client):
    from app.eligibility.engine import load_regime

    token = start(client)
    complete_association(client, token)
    draft = application(token)
    regime = load_regime("experimentation-2020")

    def submit():
        return submission.submit(
            draft.id,
            now=utcnow(),
            regime=regime,
            check_complete=lambda a: wizard.raise_if_incomplete(a, regime),
            last_step=BY_KEY["declaration"].position,
        )

    first, created = submit()
    db.session.commit()
    second, created_again = submit()
    assert created and not created_again and first.reference == second.reference


def test_public_body_skips_documents(client):
    token = start(client)
    data = {
        **STRUCTURE,
        "structure_type": "personne_publique",
        "structure_name": "Mairie de Bordeaux",
        "siret": "21330063500017",
        "rna": "",
    }
    assert post_step(client, token, 1, data).status_code == 302
    assert "Étape 2 sur 5" in client.get(step_url(token, 2)).get_data(as_text=True)
    post_step(client, token, 2, CONTACT)
    response = post_step(client, token, 3, POST)
    assert response.location.endswith("/etape/4")
    assert "Vérifier vos réponses" in title(client.get(step_url(token, 4)))
    response = client.post(step_url(token, 5), data={"accept": "y"})
    assert response.status_code == 302 and response.location.endswith("/confirmation")
    assert application(token).eligibility_path == "postes"


# --- jobs ----------------------------------------------------------------------------------------------------


def test_draft_reminder_job_once(client, app):
    from app.applications.jobs import send_draft_reminders

    token = start(client)
    draft = application(token)
    draft.draft_expires_at = utcnow() + timedelta(days=3)
    db.session.commit()
    assert send_draft_reminders() == 1
    assert send_draft_reminders() == 0
    mails = queued_mails(category="application.draft_reminder")
    assert len(mails) == 1 and f"/candidature/reprendre/{token}" in mails[0].body_text
    assert application(token).draft_reminder_sent_at is not None
    # Far from expiry: no reminder.
    other = application(start(client, email="autre@exemple.fr"))
    assert other.draft_expires_at > utcnow() + timedelta(days=20)
    assert send_draft_reminders() == 0


def test_purge_job_deletes_expired_drafts_and_files(client, app):
    from pathlib import Path

    from app.applications.jobs import purge_expired_drafts

    token = _to_documents(client)
    upload(client, token, 4, {"statuts": ("statuts.pdf", PDF)}, action="televerser")
    stored = Path(app.config["UPLOAD_FOLDER"]) / application(token).documents[0].stored_name
    kept = start(client, email="garde@exemple.fr")
    draft = application(token)
    draft.draft_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert purge_expired_drafts() == 1
    assert application(token) is None and application(kept) is not None
    assert not stored.exists()
    assert db.session.scalar(sa.select(sa.func.count(ApplicationDocument.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ApplicationEvent.id))) == 1  # the kept draft's


def test_csrf_required_on_steps(csrf_app):
    """A start without a valid form token creates nothing; the address typed comes back with a French
    message (the browser may just have lost its session cookie)."""
    client = csrf_app.test_client()
    response = client.post("/candidature", data={"email": "jeanne@exemple.fr"})
    assert response.status_code == 200
    assert 'value="jeanne@exemple.fr"' in response.text and "Le formulaire a expiré" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_concurrent_submits_create_one_application(app, client):
    """Two submissions at the same time (two tabs, a double click on a slow connection)."""
    import threading

    token = start(client)
    complete_association(client, token)
    db.session.remove()
    barrier = threading.Barrier(2)
    codes = []

    def submit():
        with app.app_context():
            local = app.test_client()
            barrier.wait()
            codes.append(local.post(step_url(token, 6), data={"accept": "y"}).status_code)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [302, 302]
    assert (
        db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="application.submitted")) == 1
    )
    assert [e.kind for e in application(token).events].count(EventKind.SUBMITTED) == 1


def test_documents_of_a_former_type_can_be_removed(client):
    token = _to_documents(client)
    upload(client, token, 4, {"declaration_jo": ("jo.pdf", PDF)}, action="televerser")
    # The structure becomes a private body with a public-service mission: other documents are required.
    post_step(
        client, token, 1, {**STRUCTURE, "structure_type": "personne_privee_service_public", "siret": "73282932000074"}
    )
    text = client.get(step_url(token, 4)).get_data(as_text=True)
    assert "Justificatif du numéro SIREN" in text
    assert "Autres fichiers envoyés" in text and "jo.pdf" in text
