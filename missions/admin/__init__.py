"""Admin of the missions app, one module per concept (each registers its own models)."""

from . import activities, imports, legal, reference, tools  # noqa: F401 -- importing registers the ModelAdmins
