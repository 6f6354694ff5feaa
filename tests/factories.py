"""Builders for tests (factory functions returning persisted, flushed objects).

One section per feature; add to your own section with a targeted edit.
"""
from __future__ import annotations

# --- accounts (back office) -------------------------------------------------------------------

# --- webinars ---------------------------------------------------------------------------------

# --- applications -----------------------------------------------------------------------------
