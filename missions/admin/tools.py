"""Admin for tools (registered on import)."""
