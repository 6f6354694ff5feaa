"""Eligibility rules engine: answers + a legal regime (data) → result with reasons.

Public API (shared with the application wizard):

- ``Answers`` — the questionnaire answers; ``to_query()`` / ``Answers.from_query(mapping)`` carry them
  in a URL (``/eligibilite/resultat?…``, ``/candidature?…``).
- ``evaluate(answers, regime) -> Result`` — a pure function over the regime's data.
- ``load_regime(regime_id)`` / ``regime_in_force(day)`` / ``active_regime()`` — the regimes live in
  ``regimes/<id>.toml``, each with the dates it applies; the active one is the regime in force today
  (Europe/Paris), unless ``ELIGIBILITY_REGIME`` names one.
- ``hosting_overview(regime)`` — who can host, where and on which conditions, for the public pages.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.eligibility.documents import DocumentRequirement, required_documents
from app.eligibility.structures import StructureType
from app.formatting import PARIS, date_fr
from app.territories import (
    ALSACE_MOSELLE,
    Departement,
    all_departements,
    departement_label,
    get_departement,
    normalize_code,
)

REGIMES_DIR = Path(__file__).with_name("regimes")
# The answer "none of these purposes" to the social-utility question, as carried in a URL.
NO_PURPOSE = "aucun"

# Loi n° 2014-856, art. 2: the social-utility purposes (at least one is required).
SOCIAL_UTILITY_PURPOSES: dict[str, str] = {
    "fragilite": "Soutenir des personnes en situation de fragilité (économique, sociale, de santé, de handicap…)",
    "lien_social": "Préserver le lien social ou renforcer la cohésion territoriale",
    "citoyennete": "Contribuer à l'éducation à la citoyenneté, notamment par l'éducation populaire",
    "developpement_durable": (
        "Concourir au développement durable, à la transition énergétique, à la promotion culturelle ou à la "
        "solidarité internationale, en servant aussi l'un des trois buts précédents"
    ),
}

# The three ESS conditions (loi n° 2014-856, art. 1), in the order they are asked.
ESS_CONDITIONS: dict[str, str] = {
    "ess_non_profit_purpose": "Votre structure poursuit-elle un but autre que le seul partage des bénéfices ?",
    "ess_democratic_governance": "Sa gouvernance est-elle démocratique (associés ou membres associés aux décisions) ?",
    "ess_profits_reinvested": "Ses bénéfices sont-ils majoritairement consacrés au maintien ou au développement de son activité ?",
}

_YES = {"oui", "true", "1", "yes", "o", "y"}
_NO = {"non", "false", "0", "no", "n"}


class EligibilityPath(str, enum.Enum):
    """How the structure can host people in TIG."""

    POSTES = "postes"
    HABILITATION = "habilitation"
    EXPERIMENTATION_ESS = "experimentation_ess"
    NONE = "none"

    @property
    def label(self) -> str:
        return PATH_LABELS[self]


PATH_LABELS = {
    EligibilityPath.POSTES: "Inscription des postes : votre structure est habilitée de plein droit",
    EligibilityPath.HABILITATION: "Habilitation de la structure, puis inscription des postes",
    EligibilityPath.EXPERIMENTATION_ESS: "Expérimentation : habilitation de la structure, puis inscription des postes",
    EligibilityPath.NONE: "Aucune voie d'accueil pour cette forme de structure",
}


class UnknownRegime(ValueError):
    pass


def _bool_from(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _get_list(mapping: Mapping, key: str) -> list[str]:
    """All values of ``key``, from a MultiDict (repeated keys) or a plain dict; commas split."""
    try:
        raw = mapping.getlist(key)  # type: ignore[attr-defined]
    except AttributeError:
        value = mapping.get(key)
        raw = value if isinstance(value, (list, tuple)) else ([] if value is None else [value])
    values: list[str] = []
    for item in raw:
        values.extend(part.strip() for part in str(item).split(",") if part.strip())
    return values


def _get_one(mapping: Mapping, key: str) -> str:
    try:
        value = mapping.get(key)
    except Exception:  # noqa: BLE001  a strange mapping must not break the caller
        return ""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def needs_ess_conditions(structure_type: StructureType) -> bool:
    """The ESS conditions and the social-utility purpose are asked only of these types."""
    return structure_type.is_ess_private


@dataclass(frozen=True)
class Answers:
    structure_type: StructureType
    departement: str
    ess_non_profit_purpose: bool | None = None
    ess_democratic_governance: bool | None = None
    ess_profits_reinvested: bool | None = None
    social_utility: tuple[str, ...] = ()
    minors: bool | None = None

    @property
    def ess_conditions_met(self) -> bool:
        return bool(self.ess_non_profit_purpose and self.ess_democratic_governance and self.ess_profits_reinvested)

    def to_query(self) -> dict[str, str]:
        query = {"structure_type": self.structure_type.value, "departement": self.departement}
        if needs_ess_conditions(self.structure_type):
            for name in ESS_CONDITIONS:
                value = getattr(self, name)
                if value is not None:
                    query[name] = "oui" if value else "non"
            # An empty tuple is the explicit answer "none of these purposes", not a missing answer.
            query["social_utility"] = ",".join(self.social_utility) or NO_PURPOSE
        if self.minors is not None:
            query["minors"] = "oui" if self.minors else "non"
        return query

    @classmethod
    def from_query(cls, mapping: Mapping) -> Answers | None:
        """Answers from URL parameters; None when a needed answer is missing or invalid. Never raises."""
        try:
            return cls._from_query(mapping)
        except Exception:  # noqa: BLE001  junk in a URL is "no answers", never an error
            return None

    @classmethod
    def _from_query(cls, mapping: Mapping) -> Answers | None:
        if mapping is None:
            return None
        try:
            structure_type = StructureType(_get_one(mapping, "structure_type"))
        except ValueError:
            return None
        departement = get_departement(_get_one(mapping, "departement"))
        if departement is None:
            return None
        minors_raw = _get_one(mapping, "minors")
        minors = _bool_from(minors_raw) if minors_raw else None
        if minors_raw and minors is None:
            return None
        if not needs_ess_conditions(structure_type):
            return cls(structure_type, departement.code, minors=minors)
        conditions = {name: _bool_from(_get_one(mapping, name)) for name in ESS_CONDITIONS}
        if any(value is None for value in conditions.values()):
            return None
        purposes = _get_list(mapping, "social_utility")
        if not purposes:
            return None  # the question is decisive: no answer is not "none"
        if purposes == [NO_PURPOSE]:
            purposes = []
        elif any(p not in SOCIAL_UTILITY_PURPOSES for p in purposes):
            return None  # NO_PURPOSE mixed with purposes included
        ordered = tuple(key for key in SOCIAL_UTILITY_PURPOSES if key in purposes)
        return cls(structure_type, departement.code, social_utility=ordered, minors=minors, **conditions)


@dataclass(frozen=True)
class Reason:
    text: str
    legal_reference: str
    met: bool = True  # False: the reason explains why a condition is not met


@dataclass(frozen=True)
class Result:
    eligible: bool
    path: EligibilityPath
    reasons: list[Reason]
    documents: list[DocumentRequirement]
    alternatives: list[str] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)  # information that does not change the answer
    regime_id: str = ""
    # Why not, in one sentence written for this case (empty when eligible).
    verdict: str = ""

    @property
    def path_label(self) -> str:
        return self.path.label


@dataclass(frozen=True)
class Condition:
    """A condition shared by several rules, with what to say when it is met and when it is not."""

    key: str
    met: str
    failed: str
    verdict: str  # the one-sentence answer when this condition is the first one not met
    legal_reference: str
    summary: str = ""  # how the public pages name it ("poursuivre un but d'utilité sociale")
    alternatives: tuple[str, ...] = ()
    departement_list: str | None = None  # for conditions on the département


@dataclass(frozen=True)
class Rule:
    structure_type: StructureType
    eligible: bool
    path: EligibilityPath
    reason: str
    legal_reference: str
    conditions: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    verdict: str = ""  # required when the type is never eligible


@dataclass(frozen=True)
class DepartementList:
    """A list of départements fixed by a legal text (e.g. the arrêté naming where an experimentation runs)."""

    key: str
    title: str  # completes "les 20 …": "départements de l'expérimentation des sociétés à mission"
    legal_reference: str
    codes: frozenset[str]

    @property
    def departements(self) -> list[Departement]:
        """In the official order."""
        return [d for d in all_departements() if d.code in self.codes]


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    summary: str
    start_date: date
    end_date: date | None
    legal_references: tuple[str, ...]
    departement_lists: dict[str, DepartementList]
    conditions: dict[str, Condition]
    rules: dict[StructureType, Rule]
    notes: dict[str, Reason]
    not_eligible_alternatives: tuple[str, ...] = ()

    def departements(self, list_name: str) -> frozenset[str]:
        return self.departement_lists[list_name].codes

    def in_force_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def text(self, template: str, departement: str | None = None) -> str:
        """A text of the regime with its placeholders filled in from the regime's own data, so that a
        list, a count or a date is written once: ``{departement}`` (the answer, « 33 – Gironde »),
        ``{debut}`` / ``{fin}`` (the regime's dates), ``{nombre:<list>}`` and ``{liste:<list>}``."""

        def fill(match: re.Match) -> str:
            name, argument = match.group(1), match.group(2)
            if name == "departement":
                return departement_label(departement)
            if name == "debut":
                return date_fr(self.start_date, "long")
            if name == "fin":
                return date_fr(self.end_date, "long") if self.end_date else ""
            listed = self.departement_lists[argument]
            if name == "nombre":
                return str(len(listed.codes))
            return ", ".join(f"{d.name} ({d.code})" for d in listed.departements)

        return _PLACEHOLDER.sub(fill, template)

    @property
    def summary_text(self) -> str:
        return self.text(self.summary)


_PLACEHOLDER = re.compile(r"\{(departement|debut|fin|nombre|liste)(?::([a-z0-9_]+))?\}")
_ANY_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_REGIME_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


def available_regimes() -> list[str]:
    return sorted(p.stem for p in REGIMES_DIR.glob("*.toml"))


@cache
def load_regime(regime_id: str) -> Regime:
    """Read ``regimes/<regime_id>.toml``; UnknownRegime when there is no such file."""
    if not isinstance(regime_id, str) or not _REGIME_ID.match(regime_id):
        raise UnknownRegime(f"Régime d'éligibilité invalide : {regime_id!r}")
    path = REGIMES_DIR / f"{regime_id}.toml"
    if not path.is_file():
        raise UnknownRegime(
            f"Régime d'éligibilité inconnu : {regime_id!r} (disponibles : {', '.join(available_regimes())})"
        )
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return _parse_regime(data)


@cache
def all_regimes() -> tuple[Regime, ...]:
    """Every regime, oldest first."""
    return tuple(sorted((load_regime(r) for r in available_regimes()), key=lambda r: r.start_date))


def regime_in_force(day: date) -> Regime:
    """The regime whose dates include ``day``. After the last end date, the last regime still applies
    (the pages say until when it was known to be in force); before the first, the first."""
    regimes = all_regimes()
    for regime in regimes:
        if regime.in_force_on(day):
            return regime
    started = [regime for regime in regimes if regime.start_date <= day]
    return started[-1] if started else regimes[0]


def paris_today() -> date:
    return datetime.now(PARIS).date()


def active_regime(today: date | None = None) -> Regime:
    """The regime in force today in Paris, or the one named by ``ELIGIBILITY_REGIME`` if set."""
    from flask import current_app

    override = current_app.config.get("ELIGIBILITY_REGIME")
    if override:
        return load_regime(override)
    return regime_in_force(today or paris_today())


def check_regime_setting(regime_id: str | None) -> None:
    """At start: an ``ELIGIBILITY_REGIME`` naming no regime stops the application (UnknownRegime)."""
    if regime_id:
        load_regime(regime_id)


def _parse_regime(data: dict) -> Regime:
    regime_id = data["id"]
    lists: dict[str, DepartementList] = {}
    for name, spec in data.get("departements", {}).items():
        codes = frozenset(normalize_code(c) for c in spec["codes"])
        unknown = sorted(c for c in codes if get_departement(c) is None)
        if unknown:
            raise ValueError(f"Régime {regime_id} : départements inconnus dans {name} : {unknown}")
        lists[name] = DepartementList(name, spec["title"], spec["legal_reference"], codes)
    conditions: dict[str, Condition] = {}
    for key, spec in data.get("conditions", {}).items():
        conditions[key] = Condition(
            key=key,
            met=spec["met"],
            failed=spec["failed"],
            verdict=spec["verdict"],
            legal_reference=spec["legal_reference"],
            summary=spec.get("summary", ""),
            alternatives=tuple(spec.get("alternatives", ())),
            departement_list=spec.get("departement_list"),
        )
    rules: dict[StructureType, Rule] = {}
    for type_value, spec in data["rules"].items():
        structure_type = StructureType(type_value)
        for condition in spec.get("conditions", ()):
            if condition not in conditions:
                raise ValueError(f"Condition inconnue {condition!r} pour {type_value} dans le régime {regime_id}")
        if not spec["eligible"] and not spec.get("verdict"):
            raise ValueError(f"Régime {regime_id} : la règle {type_value} doit dire pourquoi (verdict)")
        rules[structure_type] = Rule(
            structure_type=structure_type,
            eligible=spec["eligible"],
            path=EligibilityPath(spec["path"]),
            reason=spec["reason"],
            legal_reference=spec["legal_reference"],
            conditions=tuple(spec.get("conditions", ())),
            alternatives=tuple(spec.get("alternatives", ())),
            verdict=spec.get("verdict", ""),
        )
    missing = set(StructureType) - set(rules)
    if missing:
        raise ValueError(f"Régime {regime_id} : aucune règle pour {sorted(t.value for t in missing)}")
    for condition in conditions.values():
        if condition.departement_list and condition.departement_list not in lists:
            raise ValueError(f"Liste de départements inconnue : {condition.departement_list}")
        if not condition.departement_list and not condition.summary:
            raise ValueError(f"Régime {regime_id} : la condition {condition.key} doit avoir un résumé (summary)")
    notes = {key: Reason(spec["text"], spec["legal_reference"]) for key, spec in data.get("notes", {}).items()}
    start_date, end_date = data["start_date"], data.get("end_date")
    if not isinstance(start_date, date) or (end_date is not None and not isinstance(end_date, date)):
        raise ValueError(f"Régime {regime_id} : start_date et end_date sont des dates (AAAA-MM-JJ)")
    if end_date is not None and end_date < start_date:
        raise ValueError(f"Régime {regime_id} : end_date précède start_date")
    regime = Regime(
        id=regime_id,
        name=data["name"],
        summary=data.get("summary", ""),
        start_date=start_date,
        end_date=end_date,
        legal_references=tuple(data.get("legal_references", ())),
        departement_lists=lists,
        conditions=conditions,
        rules=rules,
        notes=notes,
        not_eligible_alternatives=tuple(data.get("not_eligible_alternatives", ())),
    )
    _check_placeholders(regime)
    return regime


def _texts(regime: Regime) -> list[str]:
    texts = [regime.name, regime.summary, *regime.not_eligible_alternatives]
    for condition in regime.conditions.values():
        texts += [condition.met, condition.failed, condition.verdict, condition.summary, *condition.alternatives]
    for rule in regime.rules.values():
        texts += [rule.reason, rule.verdict, *rule.alternatives]
    texts += [note.text for note in regime.notes.values()]
    return texts


def _check_placeholders(regime: Regime) -> None:
    """Every placeholder of every text is known and names a list of the regime: a typo fails at load."""
    for text in _texts(regime):
        for match in _ANY_PLACEHOLDER.finditer(text):
            known = _PLACEHOLDER.fullmatch(match.group(0))
            needs_list = known is not None and known.group(1) in ("nombre", "liste")
            if (
                known is None
                or needs_list != (known.group(2) is not None)
                or (needs_list and known.group(2) not in regime.departement_lists)
                or (known.group(1) == "fin" and regime.end_date is None)
            ):
                raise ValueError(f"Régime {regime.id} : texte à trou inconnu {match.group(0)} dans « {text[:60]}… »")


def _condition_met(condition: Condition, answers: Answers, regime: Regime) -> bool:
    if condition.departement_list:
        return normalize_code(answers.departement) in regime.departements(condition.departement_list)
    if condition.key == "ess_conditions":
        return answers.ess_conditions_met
    if condition.key == "social_utility":
        return any(p in SOCIAL_UTILITY_PURPOSES for p in answers.social_utility)
    raise ValueError(f"Condition sans évaluation : {condition.key}")


def evaluate(answers: Answers, regime: Regime) -> Result:
    """Pure: the answer for this structure under this regime, with every reason and its reference."""
    rule = regime.rules[answers.structure_type]

    def say(text: str) -> str:
        return regime.text(text, answers.departement)

    reasons = [Reason(say(rule.reason), rule.legal_reference, met=rule.eligible)]
    alternatives: list[str] = [say(a) for a in rule.alternatives]
    eligible = rule.eligible
    verdict = say(rule.verdict) if not rule.eligible else ""
    for key in rule.conditions:
        condition = regime.conditions[key]
        if _condition_met(condition, answers, regime):
            reasons.append(Reason(say(condition.met), condition.legal_reference))
        else:
            eligible = False
            verdict = verdict or say(condition.verdict)
            reasons.append(Reason(say(condition.failed), condition.legal_reference, met=False))
            alternatives.extend(say(a) for a in condition.alternatives if say(a) not in alternatives)
    if not eligible:
        alternatives.extend(say(a) for a in regime.not_eligible_alternatives if say(a) not in alternatives)

    notes: list[Reason] = []
    if answers.structure_type is StructureType.ASSOCIATION and normalize_code(answers.departement) in ALSACE_MOSELLE:
        note = regime.notes.get("alsace_moselle")
        if note:
            notes.append(note)
    if answers.minors and "mineurs" in regime.notes:
        notes.append(regime.notes["mineurs"])

    return Result(
        eligible=eligible,
        path=rule.path if eligible else EligibilityPath.NONE,
        reasons=reasons,
        documents=required_documents(answers.structure_type, answers.departement) if eligible else [],
        alternatives=alternatives if not eligible else [],
        notes=notes,
        regime_id=regime.id,
        verdict=verdict,
    )


# --- what the public pages say about a regime ---------------------------------------------------------


@dataclass(frozen=True)
class HostingRow:
    """One type of structure under a regime: may it host, where, on which conditions, by which path."""

    structure_type: StructureType
    eligible: bool
    path: EligibilityPath
    where: str
    conditions: tuple[str, ...]
    departement_list: DepartementList | None = None

    @property
    def sentence(self) -> str:
        """« dans tous les départements, après habilitation, à condition de … et de … »."""
        if not self.eligible:
            return self.where
        how = _HOW[self.path]
        conditions = f", à condition de {' et de '.join(self.conditions)}" if self.conditions else ""
        return f"{self.where}, {how}{conditions}"


_HOW = {
    EligibilityPath.POSTES: "de plein droit : seuls les postes sont inscrits",
    EligibilityPath.HABILITATION: "après habilitation",
    EligibilityPath.EXPERIMENTATION_ESS: "à titre expérimental, après habilitation",
}


def is_outdated(regime: Regime, today: date | None = None) -> bool:
    """True once the regime's end date has passed (it still applies until a newer one is written)."""
    return regime.end_date is not None and (today or paris_today()) > regime.end_date


def hosting_overview(regime: Regime) -> list[HostingRow]:
    """Every structure type, in the order of ``StructureType``, read from the regime's rules (the
    experimentation page, the hosting guide, the wizard's start page and the eligibility pages say
    the same thing because they all read this)."""
    rows = []
    for structure_type in StructureType:
        rule = regime.rules[structure_type]
        listed = None
        conditions = []
        for key in rule.conditions:
            condition = regime.conditions[key]
            if condition.departement_list:
                listed = regime.departement_lists[condition.departement_list]
            else:
                conditions.append(regime.text(condition.summary))
        if not rule.eligible:
            where = "dans aucun département"
        elif listed is not None:
            where = f"seulement dans les {len(listed.codes)} {listed.title}"
        else:
            where = "dans tous les départements"
        rows.append(
            HostingRow(
                structure_type, rule.eligible, rule.path, where, tuple(conditions), listed if rule.eligible else None
            )
        )
    return rows
