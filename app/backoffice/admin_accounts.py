"""« Comptes »: administrators list, invite, edit and deactivate accounts."""
