"""WSGI entry point: ``gunicorn wsgi:app`` (set APP_ENV=production in production)."""

import gc

from app import create_app

app = create_app()

# What start-up built (modules, mappers, configuration) lives as long as the worker: frozen out of the
# cyclic garbage collector, whose full passes then stop a worker for a few milliseconds instead of
# ~80 ms, during which every registration waiting for the seat lock waited too (issue 6 §6 b).
gc.collect()
gc.freeze()
