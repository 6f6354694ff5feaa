"""The applicant's side of an application: draft, steps, documents, submission, follow-up.

Services take explicit arguments (no request, session or g), raise the exceptions below, and only
``flush()``: the view commits once. Mails are queued in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.applications import forms as f
from app.applications import steps as wizard
from app.applications.documents import missing_documents
from app.applications.history import record_event
from app.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationMessage,
    ApplicationPost,
    ApplicationStatus,
    DocumentSource,
    EventKind,
    MessageAuthor,
)
from app.applications.pdf import application_summary_pdf
from app.applications.uploads import StoredFile
from app.applications.validators import (
    clean_email,
    clean_phone,
    clean_postal_code,
    clean_rna,
    clean_siret,
    format_phone,
)
from app.auth.models import referents_to_notify
from app.database import lock_for_update
from app.eligibility.engine import Answers, Regime, evaluate, needs_ess_conditions
from app.eligibility.structures import StructureType
from app.extensions import db
from app.mail.outbox import Attachment, queue_mail
from app.territories import get_departement, normalize_code
from app.urls import backoffice_url, followup_url, resume_url


class ApplicationError(Exception):
    """An applicant action that cannot be done; the message is French, shown as is."""


class NotEditable(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "Cette candidature est en cours d'instruction : elle ne peut plus être modifiée. "
            "Écrivez au référent TIG depuis la page de suivi pour apporter une précision."
        )


class EmptyReply(ApplicationError):
    def __init__(self) -> None:
        super().__init__("Écrivez un message ou joignez au moins un fichier.")


class IncompleteApplication(ApplicationError):
    """Submission refused: ``step_key`` is the first step to correct."""

    def __init__(self, step_key: str, messages: list[str]):
        self.step_key = step_key
        self.messages = messages
        super().__init__(messages[0] if messages else "La candidature est incomplète.")


# --- drafts -----------------------------------------------------------------------------------------


def get_by_token(token: str) -> Application | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Application).where(Application.access_token == token))


def is_expired(application: Application, now: datetime) -> bool:
    return application.is_draft and application.draft_expires_at is not None and application.draft_expires_at <= now


def touch_draft(application: Application, *, now: datetime, retention_days: int) -> None:
    """A saved draft lives ``retention_days`` more days; a new expiry date allows a new reminder."""
    if not application.is_draft:
        return
    expires = now + timedelta(days=retention_days)
    if application.draft_expires_at is None or expires.date() != application.draft_expires_at.date():
        application.draft_reminder_sent_at = None
    application.draft_expires_at = expires


def create_draft(email: str, *, now: datetime, retention_days: int, answers: Answers | None = None) -> Application:
    """A new draft for this email (checked), prefilled from the eligibility answers; the resume link
    is mailed at once."""
    application = Application(
        status=ApplicationStatus.DRAFT,
        status_changed_at=now,
        contact_email=clean_email(email),
        current_step=1,
        created_at=now,
        draft_answers={},
        social_utility=[],
    )
    touch_draft(application, now=now, retention_days=retention_days)
    if answers is not None:
        application.structure_type = answers.structure_type
        application.departement_code = answers.departement
        if needs_ess_conditions(answers.structure_type):
            application.ess_non_profit_purpose = answers.ess_non_profit_purpose
            application.ess_democratic_governance = answers.ess_democratic_governance
            application.ess_profits_reinvested = answers.ess_profits_reinvested
            application.social_utility = list(answers.social_utility)
    db.session.add(application)
    db.session.flush()
    record_event(application, EventKind.DRAFT_CREATED, "Brouillon de candidature créé", now=now)
    queue_mail(
        application.contact_email,
        "Votre candidature TIG : le lien pour la reprendre",
        "application_draft_created",
        category="application.draft_created",
        application_id=application.id,
        application=application,
        resume_url=resume_url(application),
        expires_at=application.draft_expires_at,
    )
    db.session.flush()
    return application


def reach_step(application: Application, step_key: str) -> None:
    """Remember the furthest step reached (the resume link opens it)."""
    position = wizard.BY_KEY[step_key].position
    if application.is_draft and position > (application.current_step or 1):
        application.current_step = position


# --- step data: form data in, model out ------------------------------------------------------------

_SKIP_KEYS = {"csrf_token", "action"}


def form_to_raw(formdata: MultiDict) -> dict[str, list[str]]:
    return {key: values for key, values in formdata.to_dict(flat=False).items() if key not in _SKIP_KEYS}


_INVALID = "__invalid__"


def save_raw(application: Application, step_key: str, formdata: MultiDict, *, invalid: bool = True) -> None:
    """Keep a step's answers as typed; ``invalid`` marks answers that failed validation (their errors
    are shown again when the step is reopened)."""
    answers = dict(application.draft_answers or {})
    raw = form_to_raw(formdata)
    if invalid:
        raw[_INVALID] = ["1"]
    answers[step_key] = raw
    application.draft_answers = answers  # reassign: JSON columns are not mutation-tracked


def raw_invalid(application: Application, step_key: str) -> bool:
    return _INVALID in ((application.draft_answers or {}).get(step_key) or {})


def clear_raw(application: Application, step_key: str) -> None:
    if application.draft_answers and step_key in application.draft_answers:
        answers = dict(application.draft_answers)
        answers.pop(step_key, None)
        application.draft_answers = answers


def has_raw(application: Application, step_key: str) -> bool:
    return bool(application.draft_answers and step_key in application.draft_answers)


def initial_formdata(application: Application, step_key: str) -> MultiDict:
    """What the step's form shows: the raw answers left with errors, else the saved values."""
    raw = (application.draft_answers or {}).get(step_key)
    if raw is not None:
        return MultiDict([(key, value) for key, values in raw.items() if key != _INVALID for value in values])
    return model_formdata(application, step_key)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


def model_formdata(application: Application, step_key: str) -> MultiDict:
    a = application
    if step_key == "structure":
        return MultiDict(
            {
                "structure_name": a.structure_name or "",
                "structure_type": a.structure_type.value if a.structure_type else "",
                "siret": a.siret or "",
                "rna": a.rna or "",
                "address": a.address or "",
                "postal_code": a.postal_code or "",
                "commune": a.commune or "",
                "departement_code": a.departement_code or "",
            }
        )
    if step_key == "contact":
        return MultiDict(
            {
                "contact_last_name": a.contact_last_name or "",
                "contact_first_name": a.contact_first_name or "",
                "contact_role": a.contact_role or "",
                "contact_email": a.contact_email or "",
                "contact_phone": format_phone(a.contact_phone),
            }
        )
    if step_key == "ess":
        data = MultiDict(
            {
                "ess_non_profit_purpose": _yes_no(a.ess_non_profit_purpose),
                "ess_democratic_governance": _yes_no(a.ess_democratic_governance),
                "ess_profits_reinvested": _yes_no(a.ess_profits_reinvested),
                "social_utility_statement": a.social_utility_statement or "",
            }
        )
        for key in a.social_utility or []:
            data.add("social_utility", key)
        return data
    if step_key == "posts":
        posts = [
            {
                "title": p.title,
                "tasks": p.tasks,
                "place": p.place,
                "schedule": p.schedule,
                "hours_per_week": str(p.hours_per_week or ""),
                "places_count": str(p.places_count or ""),
                "minors_allowed": "y" if p.minors_allowed else "",
                "physical_effort": "y" if p.physical_effort else "",
                "accessible_reduced_mobility": "y" if p.accessible_reduced_mobility else "",
                "constraints_notes": p.constraints_notes or "",
                "tutors": [dict(t) for t in (p.tutors or [])] or [{}],
            }
            for p in a.posts
        ]
        return posts_to_formdata(posts or [empty_post()])
    return MultiDict()


# Posts: fields named poste<i>-<field> and poste<i>-tuteur<j>-<field>, with a "present" marker so an
# empty post (just added) still exists.
_POST_KEY = re.compile(r"^poste(\d{1,2})-([a-z_]+)$")
_TUTOR_KEY = re.compile(r"^poste(\d{1,2})-tuteur(\d{1,2})-([a-z_]+)$")
MAX_POSTS = 20
MAX_TUTORS = 10


def empty_post() -> dict:
    return {"tutors": [{}]}


def posts_from_formdata(formdata: MultiDict) -> list[dict]:
    posts: dict[int, dict] = {}
    for key in formdata:
        match = _TUTOR_KEY.match(key)
        if match:
            i, j, name = int(match[1]), int(match[2]), match[3]
            posts.setdefault(i, {"tutors": {}})["tutors"].setdefault(j, {})[name] = formdata.get(key, "")
            continue
        match = _POST_KEY.match(key)
        if match:
            posts.setdefault(int(match[1]), {"tutors": {}})[match[2]] = formdata.get(key, "")
    result = []
    for i in sorted(posts)[:MAX_POSTS]:
        post = posts[i]
        tutors = [post["tutors"][j] for j in sorted(post["tutors"])][:MAX_TUTORS]
        result.append({**{k: v for k, v in post.items() if k != "tutors"}, "tutors": tutors})
    return result


def posts_to_formdata(posts: list[dict]) -> MultiDict:
    data = MultiDict()
    for i, post in enumerate(posts):
        data.add(f"poste{i}-present", "1")
        for key, value in post.items():
            if key in ("tutors", "present") or value in (None, ""):
                continue
            data.add(f"poste{i}-{key}", value)
        for j, tutor in enumerate(post.get("tutors") or []):
            data.add(f"poste{i}-tuteur{j}-present", "1")
            for key, value in tutor.items():
                if key != "present" and value not in (None, ""):
                    data.add(f"poste{i}-tuteur{j}-{key}", value)
    return data


def post_forms(formdata: MultiDict) -> list[tuple[f.PostForm, list[f.TutorForm]]]:
    """Bound sub-forms of the posts step, renumbered from 0."""
    normalized = posts_to_formdata(posts_from_formdata(formdata) or [empty_post()])
    result = []
    for i, post in enumerate(posts_from_formdata(normalized)):
        post_form = f.PostForm(formdata=normalized, prefix=f"poste{i}")
        tutor_forms = [
            f.TutorForm(formdata=normalized, prefix=f"poste{i}-tuteur{j}") for j in range(len(post["tutors"]))
        ]
        result.append((post_form, tutor_forms))
    return result


def posts_valid(forms: list[tuple[f.PostForm, list[f.TutorForm]]]) -> bool:
    ok = True
    for post_form, tutor_forms in forms:
        ok = post_form.validate() and ok
        for tutor_form in tutor_forms:
            ok = tutor_form.validate() and ok
    return ok and bool(forms) and all(tutors for _, tutors in forms)


def edit_posts(formdata: MultiDict, action: str) -> MultiDict:
    """'Ajouter un poste', 'Supprimer ce poste', 'Ajouter un tuteur', 'Supprimer ce tuteur' without JS."""
    posts = posts_from_formdata(formdata) or [empty_post()]
    if action == "ajouter_poste" and len(posts) < MAX_POSTS:
        posts.append(empty_post())
    elif match := re.fullmatch(r"supprimer_poste-(\d+)", action):
        i = int(match[1])
        if len(posts) > 1 and i < len(posts):
            posts.pop(i)
    elif match := re.fullmatch(r"ajouter_tuteur-(\d+)", action):
        i = int(match[1])
        if i < len(posts) and len(posts[i]["tutors"]) < MAX_TUTORS:
            posts[i]["tutors"].append({})
    elif match := re.fullmatch(r"supprimer_tuteur-(\d+)-(\d+)", action):
        i, j = int(match[1]), int(match[2])
        if i < len(posts) and len(posts[i]["tutors"]) > 1 and j < len(posts[i]["tutors"]):
            posts[i]["tutors"].pop(j)
    return posts_to_formdata(posts)


def apply_structure(application: Application, form: f.StructureForm) -> None:
    a = application
    a.structure_name = form.structure_name.data.strip()
    a.structure_type = StructureType(form.structure_type.data)
    a.departement_code = normalize_code(form.departement_code.data)
    a.siret = clean_siret(form.siret.data) if (form.siret.data or "").strip() else None
    a.rna = clean_rna(form.rna.data) if (form.rna.data or "").strip() else None
    a.address = form.address.data.strip()
    a.postal_code = clean_postal_code(form.postal_code.data, a.departement_code)
    a.commune = form.commune.data.strip()
    if not needs_ess_conditions(a.structure_type):
        clear_raw(a, "ess")


def apply_contact(application: Application, form: f.ContactForm) -> None:
    a = application
    a.contact_last_name = form.contact_last_name.data.strip()
    a.contact_first_name = form.contact_first_name.data.strip()
    a.contact_role = form.contact_role.data.strip()
    a.contact_email = clean_email(form.contact_email.data)
    a.contact_phone = clean_phone(form.contact_phone.data)


def apply_ess(application: Application, form: f.EssForm) -> None:
    a = application
    a.ess_non_profit_purpose = form.ess_non_profit_purpose.data == "oui"
    a.ess_democratic_governance = form.ess_democratic_governance.data == "oui"
    a.ess_profits_reinvested = form.ess_profits_reinvested.data == "oui"
    a.social_utility = [key for key in f.SOCIAL_UTILITY_LABELS if key in (form.social_utility.data or [])]
    a.social_utility_statement = form.social_utility_statement.data.strip()


def apply_posts(application: Application, forms: list[tuple[f.PostForm, list[f.TutorForm]]]) -> None:
    application.posts.clear()
    db.session.flush()
    for position, (post_form, tutor_forms) in enumerate(forms):
        application.posts.append(
            ApplicationPost(
                position=position,
                title=post_form.title.data.strip(),
                tasks=post_form.tasks.data.strip(),
                place=post_form.place.data.strip(),
                schedule=post_form.schedule.data.strip(),
                hours_per_week=int(post_form.hours_per_week.data),
                places_count=int(post_form.places_count.data),
                minors_allowed=bool(post_form.minors_allowed.data),
                physical_effort=bool(post_form.physical_effort.data),
                accessible_reduced_mobility=bool(post_form.accessible_reduced_mobility.data),
                constraints_notes=(post_form.constraints_notes.data or "").strip(),
                tutors=[
                    {
                        "last_name": t.last_name.data.strip(),
                        "first_name": t.first_name.data.strip(),
                        "role": t.role.data.strip(),
                        "birth_date": t.birth_date.data.isoformat() if t.birth_date.data else "",
                        "birth_place": (t.birth_place.data or "").strip(),
                    }
                    for t in tutor_forms
                ],
            )
        )


# --- eligibility ------------------------------------------------------------------------------------


def ineligibility_reason(structure_type: StructureType, departement_code: str, regime: Regime) -> str | None:
    """Why this type of structure cannot host TIG in this département, in one sentence written for its
    case (None if it can), judged on type and département only: the ESS conditions are asked at their
    own step."""
    if get_departement(departement_code) is None:
        return None
    if needs_ess_conditions(structure_type):
        answers = Answers(structure_type, normalize_code(departement_code), True, True, True, ("fragilite",))
    else:
        answers = Answers(structure_type, normalize_code(departement_code))
    result = evaluate(answers, regime)
    return None if result.eligible else result.verdict


def application_answers(application: Application) -> Answers | None:
    if application.structure_type is None or not application.departement_code:
        return None
    return Answers(
        application.structure_type,
        application.departement_code,
        application.ess_non_profit_purpose,
        application.ess_democratic_governance,
        application.ess_profits_reinvested,
        tuple(application.social_utility or ()),
    )


# --- documents --------------------------------------------------------------------------------------


def add_document(
    application: Application,
    kind: str,
    stored: StoredFile,
    *,
    now: datetime,
    message: ApplicationMessage | None = None,
    record: bool = True,
    source: DocumentSource = DocumentSource.APPLICANT,
) -> ApplicationDocument:
    """A stored upload attached to the application (or to one of its messages); ``record`` adds a
    "document_added" event to the history."""
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_filename=stored.original_filename,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        source=source,
        message=message,
        uploaded_at=now,
    )
    db.session.add(document)
    if record:
        record_event(application, EventKind.DOCUMENT_ADDED, f"Document ajouté : {stored.original_filename}", now=now)
    return document


def remove_document(application: Application, document_id: int) -> str | None:
    """Remove one of the applicant's own documents (while editable); returns the stored name to
    delete from disk after commit."""
    if not application.editable_by_applicant:
        raise NotEditable()
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id or document.source is not DocumentSource.APPLICANT:
        return None
    stored_name = document.stored_name
    application.documents.remove(document)
    db.session.delete(document)
    db.session.flush()
    return stored_name


# --- completeness and submission ---------------------------------------------------------------------


def step_problems(application: Application, step_key: str, regime: Regime) -> list[str]:
    """Errors of one step, with the same forms as the wizard (re-validation at submission)."""
    if not wizard.is_shown(application, wizard.BY_KEY[step_key]):
        return []
    formdata = initial_formdata(application, step_key)
    if step_key == "structure":
        form = f.StructureForm(
            formdata=formdata, meta={"csrf": False}, eligibility_check=lambda t, d: ineligibility_reason(t, d, regime)
        )
    elif step_key == "contact":
        form = f.ContactForm(formdata=formdata, meta={"csrf": False})
    elif step_key == "ess":
        form = f.EssForm(formdata=formdata, meta={"csrf": False})
    elif step_key == "posts":
        forms = post_forms(formdata)
        if not application.posts or has_raw(application, "posts") or not posts_valid(forms):
            return ["Complétez la description des postes proposés et de leurs tuteurs."]
        return []
    elif step_key == "documents":
        return [f"Ajoutez le document : {r.label}." for r in missing_documents(application)]
    else:
        return []
    if form.validate():
        return []
    return [f"{field.label.text} : {error}" for field in form for error in field.errors]


def check_complete(application: Application, regime: Regime) -> IncompleteApplication | None:
    for step_key in wizard.DATA_STEPS:
        problems = step_problems(application, step_key, regime)
        if problems:
            return IncompleteApplication(step_key, problems)
    answers = application_answers(application)
    if answers is None or not evaluate(answers, regime).eligible:
        step_key = "ess" if answers and needs_ess_conditions(answers.structure_type) else "structure"
        return IncompleteApplication(
            step_key, ["Votre structure ne remplit pas les conditions pour accueillir des personnes en TIG."]
        )
    return None


def make_reference(application: Application, now: datetime) -> str:
    return f"TIG-{now.year}-{application.id:06d}"


def summary_filename(application: Application) -> str:
    return f"candidature-{application.reference or application.id}.pdf"


def submit(application_id: int, *, now: datetime, regime: Regime) -> tuple[Application, bool]:
    """Submit a draft once: lock the row, re-validate every step, number it, queue the mails.

    Returns (application, submitted_now). A second call (double click, second tab) changes nothing
    and returns submitted_now=False. Raises IncompleteApplication with the first step to correct.
    """
    application = lock_for_update(Application, application_id)
    if application is None:
        raise ApplicationError("Candidature introuvable.")
    if not application.is_draft:
        return application, False
    problem = check_complete(application, regime)
    if problem is not None:
        raise problem
    result = evaluate(application_answers(application), regime)
    application.status = ApplicationStatus.SUBMITTED
    application.status_changed_at = now
    application.submitted_at = now
    application.declaration_accepted_at = now
    application.reference = make_reference(application, now)
    application.eligibility_regime = regime.id
    application.eligibility_path = result.path.value
    application.draft_expires_at = None
    application.draft_answers = {}
    application.current_step = wizard.BY_KEY["declaration"].position
    record_event(
        application,
        EventKind.SUBMITTED,
        "Candidature déposée",
        now=now,
        from_status=ApplicationStatus.DRAFT,
        to_status=ApplicationStatus.SUBMITTED,
    )
    db.session.flush()
    summary = Attachment(summary_filename(application), "application/pdf", application_summary_pdf(application))
    queue_mail(
        application.contact_email,
        f"Candidature {application.reference} bien reçue",
        "application_submitted",
        attachments=[summary],
        category="application.submitted",
        dedupe_key=f"application:{application.id}:submitted",
        application_id=application.id,
        application=application,
        followup_url=followup_url(application),
    )
    notify_referents(
        application,
        f"Nouvelle candidature {application.reference} : {application.structure_name}",
        "application_new_referent",
        category="application.new_referent",
        dedupe_prefix=f"application:{application.id}:new",
    )
    db.session.flush()
    return application, True


def referent_recipients(departement_code: str | None) -> list[str]:
    """The référents who want the notifications of this département, else its default address."""
    recipients = [r.email for r in referents_to_notify(departement_code)] if departement_code else []
    if not recipients:
        departement = get_departement(departement_code)
        if departement:
            recipients = [departement.referent_email]
    return recipients


def notify_referents(
    application: Application, subject: str, template: str, *, category: str, dedupe_prefix: str | None = None, **context
) -> int:
    count = 0
    for address in referent_recipients(application.departement_code):
        queue_mail(
            address,
            subject,
            template,
            category=category,
            dedupe_key=f"{dedupe_prefix}:{address.lower()}" if dedupe_prefix else None,
            application_id=application.id,
            application=application,
            backoffice_url=backoffice_url(application),
            reply_to=application.contact_email or None,
            **context,
        )
        count += 1
    return count


# --- follow-up ---------------------------------------------------------------------------------------


def record_edit(application: Application, step_title: str, *, now: datetime) -> None:
    if application.status is not ApplicationStatus.SUBMITTED:
        raise NotEditable()
    record_event(application, EventKind.EDITED, f"Candidature modifiée : {step_title}", now=now)


def post_reply(
    application: Application, body: str, stored_files: list[tuple[str, StoredFile]], *, now: datetime
) -> ApplicationMessage:
    """The applicant's message (with attachments) to the référent; the référents are emailed. The
    status does not change: a référent resumes the review himself (back office)."""
    body = (body or "").strip()
    if application.is_draft:
        raise ApplicationError("Cette candidature n'a pas encore été déposée.")
    if not body and not stored_files:
        raise EmptyReply()
    message = ApplicationMessage(
        application=application,
        author=MessageAuthor.APPLICANT,
        body=body or "Documents transmis.",
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    for kind, stored in stored_files:
        add_document(application, kind, stored, now=now, message=message)
    record_event(application, EventKind.MESSAGE, "Message envoyé au référent", now=now)
    notify_referents(
        application,
        f"Candidature {application.reference} : nouveau message du demandeur",
        "application_reply_referent",
        category="application.reply_referent",
        message=message,
        attachments_count=len(stored_files),
    )
    db.session.flush()
    return message


def open_requested_items(application: Application) -> list[str]:
    """The items of the latest complements request while the application waits for the applicant."""
    if application.status is not ApplicationStatus.WAITING_APPLICANT:
        return []
    for message in reversed(application.messages):
        if message.author is MessageAuthor.REFERENT and message.requested_items:
            return [str(item) for item in message.requested_items]
    return []


# --- jobs ----------------------------------------------------------------------------------------------


def drafts_to_remind(now: datetime, days_before: int) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Application.draft_reminder_sent_at.is_(None),
                Application.draft_expires_at > now,
                Application.draft_expires_at <= now + timedelta(days=days_before),
                Application.contact_email != "",
            )
            .order_by(Application.id)
        )
    )


def send_draft_reminder(application: Application, *, now: datetime) -> bool:
    """Queue the reminder once per expiry date (dedupe key) and mark the draft."""
    key = f"application:{application.id}:draft-reminder:{application.draft_expires_at:%Y%m%d}"
    message = queue_mail(
        application.contact_email,
        "Votre candidature TIG n'est pas terminée",
        "application_draft_reminder",
        category="application.draft_reminder",
        dedupe_key=key,
        application_id=application.id,
        application=application,
        resume_url=resume_url(application),
        expires_at=application.draft_expires_at,
    )
    application.draft_reminder_sent_at = now
    return message is not None


def expired_drafts(now: datetime, grace_days: int = 0) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Application.draft_expires_at <= now - timedelta(days=grace_days),
            )
            .order_by(Application.id)
        )
    )
