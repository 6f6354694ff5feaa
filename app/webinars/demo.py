"""Demo webinars (none yet)."""
