from flask import Blueprint

bp = Blueprint("eligibility", __name__)

from app.eligibility import routes  # noqa: E402,F401
from app.eligibility.engine import active_regime, check_regime_setting, hosting_overview, is_outdated  # noqa: E402


@bp.record_once
def _check_setting(state) -> None:
    """A misspelt ELIGIBILITY_REGIME stops the start, instead of a 500 on every eligibility page."""
    check_regime_setting(state.app.config.get("ELIGIBILITY_REGIME"))


@bp.app_template_global()
def eligibility_regime():
    """The regime in force, for the pages that describe who can host (one source for every text)."""
    return active_regime()


bp.add_app_template_global(hosting_overview, "hosting_overview")
bp.add_app_template_global(is_outdated, "regime_outdated")
