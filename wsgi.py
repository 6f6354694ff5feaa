"""WSGI entry point: ``gunicorn wsgi:app`` (set APP_ENV=production in production)."""

import gc

from app import create_app
from app.territories import communes

app = create_app()
communes.load()  # the official communes and postal codes, read once here rather than by a first visitor

# What start-up built (modules, mappers, configuration) lives as long as the worker: frozen out of the
# cyclic garbage collector, whose full passes would otherwise walk it all again and again, pausing the
# worker (and every registration waiting for the seat lock) far longer than the work they do.
gc.collect()
gc.freeze()
