from wtforms import StringField
from wtforms.validators import Length, Optional

from app.forms import BaseForm


class ReferentSearchForm(BaseForm):
    """GET search on /referents: no CSRF token (nothing is changed), bookmarkable URL."""

    class Meta:
        csrf = False

    q = StringField(
        "Rechercher un département",
        validators=[Optional(), Length(max=100)],
        description="Numéro ou nom du département, par exemple : 33 ou Gironde",
    )
