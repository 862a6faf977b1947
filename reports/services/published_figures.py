"""Loads indicator definitions and the report's published figures (filled in by issue 5)."""


def load_published_figures() -> str:
    raise NotImplementedError("the published-figures loader is not written yet")
