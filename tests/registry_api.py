"""A real HTTP server on loopback that plays the API Recherche d'entreprises for the tests.

Its answers follow the API's OpenAPI description (repository annuaire-entreprises-data-gouv-fr/search-api,
``app/doc/open-api.yml``): ``GET /search?q=…`` answers a ``payload`` (``results``, ``total_results``,
``page``, ``per_page``, ``total_pages``) whose ``result`` items carry every documented property of the
legal unit, a ``siege`` with every property of the ``siege`` schema, ``matching_etablissements`` with those
of the ``etablissement`` schema (for a SIRET search: that establishment only; for a SIREN search: none),
and ``complements``. ``minimal=true`` with ``include=`` keeps only the secondary fields asked for, as the
API does; ``dirigeants`` (natural persons) are in the data so that a client forgetting ``minimal`` would
be caught.

Cases, by identifier (``CASES``): an association with its RNA (also found by ``q=<RNA>``), a commune, a
SCOP, a mutuelle, a fondation, an ESS SAS that is also an SIAE, a société à mission, a plain SARL, an
establishment closed (« F ») of an active company, an individual entrepreneur, a partly non-diffusible
company, a CEDEX head office, a Corsican and an overseas one; and behaviours: ``RATE_LIMITED`` (429 with
Retry-After), ``SLOW`` (answers after ``slow_seconds``, past the client's timeout), ``MALFORMED``
(invalid JSON), ``SERVER_ERROR`` (500). Any other valid identifier is not found (empty ``results``).

``server.requests`` records each request (path, query, headers) so tests can count what reached the API.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SECONDARY_FIELDS = ("complements", "dirigeants", "finances", "matching_etablissements", "siege", "score", "tva")

# --- identifiers (valid check digits) ------------------------------------------------------------------
ASSOCIATION_SIREN, ASSOCIATION_SIRET, ASSOCIATION_RNA = "443061841", "44306184100013", "W332011234"
ASSOCIATION_OTHER_SIRET = "44306184100021"  # a second establishment, in Dordogne
PUBLIC_SIREN, PUBLIC_SIRET = "213300635", "21330063500017"
SCOP_SIREN, SCOP_SIRET = "512345679", "51234567900017"
MUTUELLE_SIREN, MUTUELLE_SIRET = "775678907", "77567890700012"
FONDATION_SIREN, FONDATION_SIRET = "302323456", "30232345600012"
ESS_SAS_SIREN, ESS_SAS_SIRET = "812345122", "81234512200012"
MISSION_SIREN, MISSION_SIRET = "887654325", "88765432500018"
SARL_SIREN, SARL_SIRET = "498765437", "49876543700013"
CLOSED_SIREN, CLOSED_SIRET, CLOSED_OPEN_SIRET = "532198769", "53219876900020", "53219876900012"
INDIVIDUAL_SIREN, INDIVIDUAL_SIRET = "800111221", "80011122100019"
NON_DIFFUSIBLE_SIREN, NON_DIFFUSIBLE_SIRET = "833222110", "83322211000011"
CEDEX_SIREN, CEDEX_SIRET = "219744117", "21974411700017"
CORSICA_SIREN, CORSICA_SIRET = "520202029", "52020202900010"
REUNION_SIREN, REUNION_SIRET = "797979796", "79797979600019"
NOT_FOUND_SIREN, NOT_FOUND_SIRET = "900000019", "90000001900019"
RATE_LIMITED_SIREN = "900000027"
SLOW_SIREN = "900000035"
MALFORMED_SIREN = "900000043"
SERVER_ERROR_SIREN = "900000050"
RETRY_AFTER_SECONDS = 120


def etablissement(siret: str, **values) -> dict:
    """An establishment with every property of the ``etablissement`` schema."""
    record = {
        "activite_principale": "94.99Z",
        "activite_principale_naf25": "94.99Y",
        "ancien_siege": False,
        "annee_tranche_effectif_salarie": "2023",
        "adresse": "",
        "caractere_employeur": "O",
        "code_postal": None,
        "commune": "",
        "date_creation": "2010-03-01",
        "date_debut_activite": "2010-03-01",
        "date_fermeture": None,
        "epci": None,
        "est_siege": False,
        "etat_administratif": "A",
        "geo_id": None,
        "latitude": "44.84",
        "libelle_commune": "",
        "liste_enseignes": None,
        "liste_finess": None,
        "liste_id_bio": [],
        "liste_idcc": [],
        "liste_id_organisme_formation": [],
        "liste_rge": [],
        "liste_uai": [],
        "longitude": "-0.57",
        "nom_commercial": None,
        "region": "75",
        "siret": siret,
        "statut_diffusion_etablissement": "O",
        "tranche_effectif_salarie": "11",
    }
    record.update(values)
    return record


def siege(siret: str, **values) -> dict:
    """A head office with every property of the ``siege`` schema (an establishment plus address parts)."""
    record = etablissement(siret, est_siege=True)
    del record["ancien_siege"]  # not a property of the siege schema
    record.update(
        {
            "activite_principale_registre_metier": None,
            "cedex": None,
            "code_pays_etranger": None,
            "complement_adresse": None,
            "coordonnees": "44.84,-0.57",
            "date_mise_a_jour": None,
            "date_mise_a_jour_insee": "2026-09-01T02:00:00",
            "departement": None,
            "distribution_speciale": None,
            "geo_adresse": None,
            "indice_repetition": None,
            "libelle_cedex": None,
            "libelle_commune_etranger": None,
            "libelle_pays_etranger": None,
            "libelle_voie": "",
            "numero_voie": "",
            "dernier_numero_voie": None,
            "type_voie": "",
        }
    )
    record.update(values)
    return record


def complements(**values) -> dict:
    record = {
        "collectivite_territoriale": None,
        "convention_collective_renseignee": False,
        "liste_idcc": [],
        "liste_finess_juridique": [],
        "egapro_renseignee": False,
        "est_achats_responsables": False,
        "est_alim_confiance": False,
        "est_association": False,
        "est_avocat": False,
        "est_bio": False,
        "est_entrepreneur_individuel": False,
        "est_entrepreneur_spectacle": False,
        "est_ess": False,
        "est_finess": False,
        "est_organisme_formation": False,
        "est_qualiopi": False,
        "liste_id_organisme_formation": [],
        "est_rge": False,
        "est_service_public": None,
        "est_administration": False,
        "est_l100_3": None,
        "est_siae": False,
        "est_societe_mission": False,
        "est_uai": False,
        "est_patrimoine_vivant": False,
        "bilan_ges_renseigne": False,
        "identifiant_association": None,
        "statut_entrepreneur_spectacle": None,
        "type_siae": None,
    }
    record.update(values)
    return record


def result(siren: str, name: str, nature: str, head_office: dict, others: tuple = (), **values) -> dict:
    """A legal unit with every property of the ``result`` schema; ``others``: its other establishments
    (returned in ``matching_etablissements`` when their SIRET is searched)."""
    record = {
        "siren": siren,
        "nom_complet": name,
        "nom_raison_sociale": name,
        "sigle": None,
        "nombre_etablissements": 1 + len(others),
        "nombre_etablissements_ouverts": 1 + sum(1 for e in others if e["etat_administratif"] == "A"),
        "siege": head_office,
        "activite_principale": head_office["activite_principale"],
        "activite_principale_naf25": head_office["activite_principale_naf25"],
        "categorie_entreprise": "PME",
        "caractere_employeur": "O",
        "annee_categorie_entreprise": "2023",
        "date_creation": "2010-03-01",
        "date_fermeture": None,
        "date_mise_a_jour": "2026-09-01T03:34:50",
        "date_mise_a_jour_insee": "2026-09-01T03:34:50",
        "date_mise_a_jour_rne": "2026-08-30T02:15:30",
        "dirigeants": [
            {
                "nom": "DIRIGEANTE-PRIVEE",
                "prenoms": "Camille",
                "annee_de_naissance": "1970",
                "date_de_naissance": "1970-05",
                "qualite": "Présidente",
                "nationalite": "Française",
                "type_dirigeant": "personne physique",
            }
        ],
        "etat_administratif": "A",
        "nature_juridique": nature,
        "section_activite_principale": "S",
        "tranche_effectif_salarie": "11",
        "annee_tranche_effectif_salarie": "2023",
        "statut_diffusion": "O",
        "matching_etablissements": [],
        "finances": {"2024": {"ca": 120000, "resultat_net": 3000}},
        "complements": complements(),
        "tva": [],
        "_others": list(others),  # this server's own bookkeeping, removed from answers
    }
    record.update(values)
    return record


def _bordeaux_siege(siret: str, number: str, street_type: str, street: str, **values) -> dict:
    return siege(
        siret,
        adresse=f"{number} {street_type} {street} 33000 BORDEAUX",
        numero_voie=number,
        type_voie=street_type,
        libelle_voie=street,
        code_postal="33000",
        commune="33063",
        libelle_commune="BORDEAUX",
        departement="33",
        **values,
    )


ASSOCIATION = result(
    ASSOCIATION_SIREN,
    "RESSOURCERIE DU LIBOURNAIS",
    "9220",
    siege(
        ASSOCIATION_SIRET,
        adresse="15 AVENUE GALLIENI 33500 LIBOURNE",
        numero_voie="15",
        type_voie="AVENUE",
        libelle_voie="GALLIENI",
        code_postal="33500",
        commune="33243",
        libelle_commune="LIBOURNE",
        departement="33",
    ),
    others=(
        etablissement(
            ASSOCIATION_OTHER_SIRET,
            adresse="2 PLACE DU MARCHE 24100 BERGERAC",
            code_postal="24100",
            commune="24037",
            libelle_commune="BERGERAC",
        ),
    ),
    complements=complements(est_association=True, est_ess=True, identifiant_association=ASSOCIATION_RNA),
)
PUBLIC = result(
    PUBLIC_SIREN,
    "COMMUNE DE BORDEAUX",
    "7210",
    _bordeaux_siege(PUBLIC_SIRET, "", "PL", "PEY BERLAND", activite_principale="84.11Z"),
    complements=complements(est_collectivite_territoriale=True, est_administration=True),
)
SCOP = result(
    SCOP_SIREN,
    "LES MENUISIERS ASSOCIES",
    "5458",
    _bordeaux_siege(SCOP_SIRET, "4", "RUE", "DES FAURES", activite_principale="16.23Z"),
    complements=complements(est_ess=True),
)
MUTUELLE = result(
    MUTUELLE_SIREN,
    "MUTUELLE SOLIDAIRE DU SUD-OUEST",
    "8210",
    _bordeaux_siege(MUTUELLE_SIRET, "30", "COURS", "DE LA MARNE", activite_principale="65.12Z"),
    complements=complements(est_ess=True),
)
FONDATION = result(
    FONDATION_SIREN,
    "FONDATION POUR L'INSERTION",
    "9300",
    _bordeaux_siege(FONDATION_SIRET, "12", "QUAI", "DE BACALAN"),
    complements=complements(est_ess=True),
)
ESS_SAS = result(
    ESS_SAS_SIREN,
    "RECYCLERIE DES CHARTRONS",
    "5710",
    _bordeaux_siege(ESS_SAS_SIRET, "8", "RUE", "NOTRE-DAME", activite_principale="38.32Z"),
    complements=complements(est_ess=True, est_siae=True, type_siae="EI"),
)
MISSION = result(
    MISSION_SIREN,
    "CAFES RESPONSABLES",
    "5710",
    siege(
        MISSION_SIRET,
        adresse="40 RUE DE LA REPUBLIQUE 69002 LYON 2EME",
        numero_voie="40",
        type_voie="RUE",
        libelle_voie="DE LA REPUBLIQUE",
        code_postal="69002",
        commune="69382",
        libelle_commune="LYON 2EME",
        departement="69",
    ),
    complements=complements(est_societe_mission=True),
)
SARL = result(
    SARL_SIREN,
    "GARAGE DU PORT",
    "5499",
    _bordeaux_siege(SARL_SIRET, "101", "QUAI", "DES CHARTRONS", activite_principale="45.20A"),
)
CLOSED = result(
    CLOSED_SIREN,
    "BOULANGERIE SOLIDAIRE",
    "5710",
    _bordeaux_siege(CLOSED_OPEN_SIRET, "3", "RUE", "DU MIRAIL"),
    others=(
        etablissement(
            CLOSED_SIRET,
            adresse="7 RUE SAINTE-CATHERINE 33000 BORDEAUX",
            code_postal="33000",
            commune="33063",
            libelle_commune="BORDEAUX",
            etat_administratif="F",
            date_fermeture="2025-06-30",
        ),
    ),
    complements=complements(est_ess=True),
)
INDIVIDUAL = result(
    INDIVIDUAL_SIREN,
    "JEAN-PIERRE ENTREPRENEUR-PRIVE",
    "1000",
    _bordeaux_siege(INDIVIDUAL_SIRET, "5", "IMP", "DES LILAS"),
    nom_raison_sociale=None,
    complements=complements(est_entrepreneur_individuel=True),
)
NON_DIFFUSIBLE = result(
    NON_DIFFUSIBLE_SIREN,
    "ATELIER PARTAGE",
    "9220",
    siege(
        NON_DIFFUSIBLE_SIRET,
        adresse="[NON-DIFFUSIBLE]",
        numero_voie="[NON-DIFFUSIBLE]",
        type_voie="[NON-DIFFUSIBLE]",
        libelle_voie="[NON-DIFFUSIBLE]",
        code_postal="[NON-DIFFUSIBLE]",
        commune="33063",
        libelle_commune="BORDEAUX",
        departement="33",
        statut_diffusion_etablissement="P",
    ),
    statut_diffusion="P",
    sigle="[NON-DIFFUSIBLE]",
    complements=complements(est_association=True),
)
CEDEX = result(
    CEDEX_SIREN,
    "COMMUNE DE SAINT-PAUL",
    "7210",
    siege(
        CEDEX_SIRET,
        adresse="HOTEL DE VILLE CS 51015 97496 SAINT-PAUL CEDEX",
        complement_adresse="HOTEL DE VILLE",
        distribution_speciale="CS 51015",
        code_postal=None,
        cedex="97496",
        libelle_cedex="SAINT-PAUL CEDEX",
        commune="97415",
        libelle_commune="SAINT-PAUL",
        departement="974",
        region="04",
    ),
    complements=complements(est_collectivite_territoriale=True),
)
CORSICA = result(
    CORSICA_SIREN,
    "COOPERATIVE DU CAP",
    "5460",
    siege(
        CORSICA_SIRET,
        adresse="1 ROUTE DU PORT 20200 BASTIA",
        code_postal="20200",
        commune="2B033",
        libelle_commune="BASTIA",
        departement="2B",
        region="94",
    ),
    complements=complements(est_ess=True),
)
REUNION = result(
    REUNION_SIREN,
    "ASSOCIATION LES CASES CREOLES",
    "9220",
    siege(
        REUNION_SIRET,
        adresse="2 RUE DE PARIS 97400 SAINT-DENIS",
        code_postal="97400",
        commune="97411",
        libelle_commune="SAINT-DENIS",
        departement="974",
        region="04",
    ),
    complements=complements(est_association=True, est_ess=True, identifiant_association="W9R1234567"),
)

UNITS = [
    ASSOCIATION,
    PUBLIC,
    SCOP,
    MUTUELLE,
    FONDATION,
    ESS_SAS,
    MISSION,
    SARL,
    CLOSED,
    INDIVIDUAL,
    NON_DIFFUSIBLE,
    CEDEX,
    CORSICA,
    REUNION,
]
BEHAVIOURS = {
    RATE_LIMITED_SIREN: "rate_limited",
    SLOW_SIREN: "slow",
    MALFORMED_SIREN: "malformed",
    SERVER_ERROR_SIREN: "server_error",
}


def _public_view(unit: dict, establishment: dict | None, query: dict[str, str]) -> dict:
    """A unit as the API shows it: its searched establishment, secondary fields per minimal/include."""
    answer = {key: value for key, value in unit.items() if key != "_others"}
    answer["matching_etablissements"] = [establishment] if establishment is not None else []
    if query.get("minimal") == "true":
        wanted = {part.strip() for part in query.get("include", "").split(",") if part.strip()}
        for name in SECONDARY_FIELDS:
            if name not in wanted:
                answer.pop(name, None)
    return answer


def search(query: dict[str, str]) -> list[dict]:
    """The ``results`` of ``/search`` for a query (direct search by SIREN/SIRET, or an RNA in ``q``)."""
    q = query.get("q", "").strip().upper()
    found = []
    for unit in UNITS:
        establishments = [unit["siege"], *unit["_others"]]
        if q.isdigit() and len(q) == 14:
            for establishment in establishments:
                if establishment["siret"] == q:
                    found.append(_public_view(unit, establishment, query))
        elif (q.isdigit() and len(q) == 9 and unit["siren"] == q) or (
            q and unit["complements"]["identifiant_association"] == q
        ):
            found.append(_public_view(unit, None, query))
    return found


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class RegistryApiServer:
    """``with RegistryApiServer() as api: api.url …``; ``api.requests`` lists what it received."""

    slow_seconds: float = 5.0
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet test output
                pass

            def do_GET(self):
                parsed = urlparse(self.path)
                query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
                owner.requests.append(RecordedRequest(parsed.path, query, dict(self.headers.items())))
                if parsed.path != "/search":
                    return self._send(404, {"erreur": "Page inconnue."})
                q = query.get("q", "").strip()
                behaviour = BEHAVIOURS.get(q)
                if behaviour == "rate_limited":
                    return self._send(429, {"erreur": "Trop de requêtes."}, {"Retry-After": str(RETRY_AFTER_SECONDS)})
                if behaviour == "server_error":
                    return self._send(500, {"erreur": "Erreur interne."})
                if behaviour == "malformed":
                    return self._send_raw(200, b'{"results": [{"siren": "900000043", "nom_complet": ')
                if behaviour == "slow" and owner._stop.wait(owner.slow_seconds):
                    return None
                if not q:
                    return self._send(400, {"erreur": "Veuillez indiquer au moins un paramètre de recherche."})
                results = search(query)
                per_page = int(query.get("per_page", "10"))
                return self._send(
                    200,
                    {
                        "results": results[:per_page],
                        "total_results": len(results),
                        "page": int(query.get("page", "1")),
                        "per_page": per_page,
                        "total_pages": 1 if results else 0,
                    },
                )

            def _send(self, status: int, body: dict, headers: dict | None = None):
                self._send_raw(status, json.dumps(body, ensure_ascii=False).encode(), headers)

            def _send_raw(self, status: int, body: bytes, headers: dict | None = None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> RegistryApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RegistryApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def searched(self) -> list[str]:
        """The ``q`` of every ``/search`` request received, in order."""
        return [r.query.get("q", "") for r in self.requests if r.path == "/search"]
