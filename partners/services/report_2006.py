"""Loads the 2006 report's partners, joint work and funding (filled in by issue 4)."""


def load_partners_2006() -> str:
    raise NotImplementedError("the 2006 partners loader is not written yet")
