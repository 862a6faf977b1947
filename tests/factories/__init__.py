"""factory-boy factories, one per model, grouped by app."""

from .missions import *  # noqa: F403 -- the package is the one place tests import factories from
from .partners import *  # noqa: F403
from .reports import *  # noqa: F403
from .tracker import *  # noqa: F403
