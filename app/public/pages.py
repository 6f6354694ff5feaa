"""The public pages of the site, in one place: the site map and the tests read this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublicPage:
    endpoint: str
    title: str
    summary: str


@dataclass(frozen=True)
class PageSection:
    title: str
    pages: tuple[PublicPage, ...]


SITE_SECTIONS: tuple[PageSection, ...] = (
    PageSection(
        "Découvrir le travail d'intérêt général",
        (
            PublicPage("public.index", "Accueil", "Le TIG en bref, les chiffres clés et les prochains webinaires."),
            PublicPage(
                "public.agency", "L'agence (ATIGIP)", "Pourquoi l'agence a été créée, ses missions et ses objectifs."
            ),
            PublicPage(
                "public.hosting",
                "Accueillir une personne en TIG",
                "Qui est accueilli, vos engagements, les étapes et les questions fréquentes.",
            ),
            PublicPage(
                "public.ess_experimentation",
                "ESS et sociétés à mission",
                "Les structures de l'économie sociale et solidaire et les sociétés à mission qui peuvent accueillir, "
                "où et à quelles conditions.",
            ),
        ),
    ),
    PageSection(
        "Devenir structure d'accueil",
        (
            PublicPage(
                "eligibility.checker",
                "Tester mon éligibilité",
                "Quelques questions pour savoir si votre structure peut accueillir des TIG.",
            ),
            PublicPage(
                "applications.start",
                "Déposer une candidature",
                "Demander l'habilitation de votre structure et l'inscription de vos postes.",
            ),
            PublicPage(
                "webinars.index", "Webinaires d'information", "S'inscrire à une réunion en ligne avec un référent TIG."
            ),
            PublicPage(
                "public.referents", "Référents TIG", "Le contact du référent territorial TIG de chaque département."
            ),
        ),
    ),
    PageSection(
        "Informations légales",
        (
            PublicPage("public.legal_notice", "Mentions légales", "Éditeur, hébergement, licence des contenus."),
            PublicPage(
                "public.accessibility", "Déclaration d'accessibilité", "État de conformité au RGAA et voies de recours."
            ),
            PublicPage(
                "public.personal_data",
                "Données personnelles",
                "Quelles données nous traitons, pourquoi, combien de temps, et vos droits.",
            ),
            PublicPage("public.sitemap", "Plan du site", "La liste de toutes les pages du site."),
        ),
    ),
)
