"""Admin for indicator definitions, published figures and snapshots."""
