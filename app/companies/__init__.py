"""« Dites-le-nous une fois »: a structure identified by its SIRET, SIREN or RNA in the API Recherche
d'entreprises (Annuaire des entreprises), and what its answer proposes for this site's questions.

- ``identifiers``: SIRET, SIREN, RNA as typed; ``client``: the HTTP client (timeouts, Retry-After, circuit
  breaker); ``services.look_up``: cache then API; ``facts``: the API's answer → ``RegistryFacts``;
  ``legal_forms``: Insee's legal forms and the family each belongs to; ``web``: what the pages share.
What the facts mean for eligibility (structure type, département, ESS answers proposed; mismatches) is
``app/eligibility/proposals.py``; the pages (checker, wizard, back office) live in their own packages.
"""

from app.companies import jobs  # noqa: F401  registers the cache purge with the worker
