"""Loads the 2006 report's activities and tools from fixtures/report_2006/ (filled in by issue 2)."""


def load_missions_2006() -> str:
    raise NotImplementedError("the 2006 activities loader is not written yet")
