"""WSGI entry point: ``gunicorn wsgi:app`` (set APP_ENV=production in production)."""
from app import create_app

app = create_app()
