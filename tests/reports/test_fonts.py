"""The CJK font ships in the repository (reports/fonts/), with its licence, and is the one used."""

import hashlib
from pathlib import Path

from reportlab.pdfbase import pdfmetrics

from reports.services.reporting.pdf import FONT_CJK, VENDORED_FONTS, font_paths, register_fonts

ROOT = Path(__file__).resolve().parents[2]
SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"  # PROVENANCE.md


def test_the_cjk_font_is_the_vendored_file_its_provenance_describes() -> None:
    path, face = font_paths()[FONT_CJK]
    assert (path, face) == (ROOT / "reports" / "fonts" / "wqy-microhei.ttc", 0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256
    provenance = (VENDORED_FONTS / "PROVENANCE.md").read_text(encoding="utf-8")
    assert SHA256 in provenance
    assert "fonts-wqy-microhei" in provenance
    assert "Apache License" in (VENDORED_FONTS / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")
    assert "License: Apache-2.0 or GPL-3+ with Font exception" in (
        VENDORED_FONTS / "COPYRIGHT-debian"
    ).read_text(encoding="utf-8")


def test_reportlab_reads_the_chinese_glyphs_from_the_vendored_file() -> None:
    register_fonts()
    font = pdfmetrics.getFont(FONT_CJK)
    assert Path(font.face.filename) == VENDORED_FONTS / "wqy-microhei.ttc"  # type: ignore[attr-defined]  # a TTFont
    assert font.face.name == b"WenQuanYiMicroHei"  # type: ignore[attr-defined]  # the name the PDF embeds


def test_no_code_imports_the_font_wheel_it_replaced() -> None:
    sources = [
        p
        for folder in ("tracker", "missions", "partners", "reports", "benchmarks")
        for p in (ROOT / folder).rglob("*.py")
    ]
    assert [str(p) for p in sources if "paperang" in p.read_text(encoding="utf-8")] == []
