"""Jinja filters and globals shared by every template."""

from flask import Flask

from app import antivirus, territories
from app.applications.uploads import downloadable
from app.formatting import JINJA_FILTERS, time_range_fr
from app.static_assets import dsfr_url


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        dsfr_url=dsfr_url,
        time_range_fr=time_range_fr,
        get_departement=territories.get_departement,
        departement_label=territories.departement_label,
        site_name=app.config["SITE_NAME"],
        document_downloadable=downloadable,
        antivirus_enabled=lambda: antivirus.is_enabled(app.config),
    )
