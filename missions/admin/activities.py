"""Admin for activities (registered on import)."""
