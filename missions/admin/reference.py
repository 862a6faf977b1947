"""Admin for reference (registered on import)."""
