"""Admin of the reports app, one module per concept (each registers its own models)."""

from . import indicators, reporting  # noqa: F401 -- importing registers the ModelAdmins
