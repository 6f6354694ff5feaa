"""Demo accounts (to come with the back office)."""
