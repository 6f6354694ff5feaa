"""Demo applications (none yet)."""
