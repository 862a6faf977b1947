"""Admin for legal (registered on import)."""
