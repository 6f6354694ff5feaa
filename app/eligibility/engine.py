"""Eligibility rules engine: answers + a legal regime (data) → result with reasons.

Public API (shared with the application wizard):

- ``Answers`` — the questionnaire answers; ``to_query()`` / ``Answers.from_query(mapping)`` carry them
  in a URL (``/eligibilite/resultat?…``, ``/candidature?…``).
- ``evaluate(answers, regime) -> Result`` — a pure function over the regime's data.
- ``load_regime(regime_id)`` / ``active_regime()`` — the regimes live in ``regimes/<id>.toml``.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from app.eligibility.documents import DocumentRequirement, required_documents
from app.eligibility.structures import StructureType
from app.territories import ALSACE_MOSELLE, departement_label, get_departement, normalize_code

REGIMES_DIR = Path(__file__).with_name("regimes")

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
            if self.social_utility:
                query["social_utility"] = ",".join(self.social_utility)
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
        if any(p not in SOCIAL_UTILITY_PURPOSES for p in purposes):
            return None
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

    @property
    def path_label(self) -> str:
        return self.path.label


@dataclass(frozen=True)
class Condition:
    """A condition shared by several rules, with what to say when it is met and when it is not."""

    key: str
    met: str
    failed: str
    legal_reference: str
    alternatives: tuple[str, ...] = ()
    departement_list: str | None = None  # for "departement:<list>" conditions


@dataclass(frozen=True)
class Rule:
    structure_type: StructureType
    eligible: bool
    path: EligibilityPath
    reason: str
    legal_reference: str
    conditions: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    summary: str
    start_date: date | None
    end_date: date | None
    legal_references: tuple[str, ...]
    departement_lists: dict[str, frozenset[str]]
    conditions: dict[str, Condition]
    rules: dict[StructureType, Rule]
    notes: dict[str, Reason]
    not_eligible_alternatives: tuple[str, ...] = ()

    def departements(self, list_name: str) -> frozenset[str]:
        return self.departement_lists[list_name]


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


def active_regime() -> Regime:
    """The regime named by ``ELIGIBILITY_REGIME`` in the application's configuration."""
    from flask import current_app

    return load_regime(current_app.config.get("ELIGIBILITY_REGIME") or "experimentation-2020")


def _parse_regime(data: dict) -> Regime:
    lists = {name: frozenset(normalize_code(c) for c in codes) for name, codes in data.get("departements", {}).items()}
    conditions: dict[str, Condition] = {}
    for key, spec in data.get("conditions", {}).items():
        conditions[key] = Condition(
            key=key,
            met=spec["met"],
            failed=spec["failed"],
            legal_reference=spec["legal_reference"],
            alternatives=tuple(spec.get("alternatives", ())),
            departement_list=spec.get("departement_list"),
        )
    rules: dict[StructureType, Rule] = {}
    for type_value, spec in data["rules"].items():
        structure_type = StructureType(type_value)
        for condition in spec.get("conditions", ()):
            if condition not in conditions:
                raise ValueError(f"Condition inconnue {condition!r} pour {type_value} dans le régime {data['id']}")
        rules[structure_type] = Rule(
            structure_type=structure_type,
            eligible=spec["eligible"],
            path=EligibilityPath(spec["path"]),
            reason=spec["reason"],
            legal_reference=spec["legal_reference"],
            conditions=tuple(spec.get("conditions", ())),
            alternatives=tuple(spec.get("alternatives", ())),
        )
    missing = set(StructureType) - set(rules)
    if missing:
        raise ValueError(f"Régime {data['id']} : aucune règle pour {sorted(t.value for t in missing)}")
    for condition in conditions.values():
        if condition.departement_list and condition.departement_list not in lists:
            raise ValueError(f"Liste de départements inconnue : {condition.departement_list}")
    notes = {key: Reason(spec["text"], spec["legal_reference"]) for key, spec in data.get("notes", {}).items()}
    return Regime(
        id=data["id"],
        name=data["name"],
        summary=data.get("summary", ""),
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        legal_references=tuple(data.get("legal_references", ())),
        departement_lists=lists,
        conditions=conditions,
        rules=rules,
        notes=notes,
        not_eligible_alternatives=tuple(data.get("not_eligible_alternatives", ())),
    )


def _condition_met(condition: Condition, answers: Answers, regime: Regime) -> bool:
    if condition.departement_list:
        return normalize_code(answers.departement) in regime.departements(condition.departement_list)
    if condition.key == "ess_conditions":
        return answers.ess_conditions_met
    if condition.key == "social_utility":
        return any(p in SOCIAL_UTILITY_PURPOSES for p in answers.social_utility)
    raise ValueError(f"Condition sans évaluation : {condition.key}")


def _format(text: str, answers: Answers) -> str:
    return text.replace("{departement}", departement_label(answers.departement))


def evaluate(answers: Answers, regime: Regime) -> Result:
    """Pure: the answer for this structure under this regime, with every reason and its reference."""
    rule = regime.rules[answers.structure_type]
    reasons = [Reason(_format(rule.reason, answers), rule.legal_reference, met=rule.eligible)]
    alternatives: list[str] = list(rule.alternatives)
    eligible = rule.eligible
    for key in rule.conditions:
        condition = regime.conditions[key]
        if _condition_met(condition, answers, regime):
            reasons.append(Reason(_format(condition.met, answers), condition.legal_reference))
        else:
            eligible = False
            reasons.append(Reason(_format(condition.failed, answers), condition.legal_reference, met=False))
            alternatives.extend(a for a in condition.alternatives if a not in alternatives)
    if not eligible:
        alternatives.extend(a for a in regime.not_eligible_alternatives if a not in alternatives)

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
    )
