"""Read generated PDFs in tests: their text (pypdf), and a guard for the CJK font they embed."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from pypdf import PdfReader

from processes.reports_pdf import FontMissing, font_path


def require_cjk_font(app: Flask) -> None:
    """Fail, saying what to install, where no CJK font exists: the product's PDFs (the self-commitment is
    always in Chinese) cannot be made there, so passing would hide a broken feature (README: requirements)."""
    with app.app_context():
        try:
            font_path()
        except FontMissing as exc:
            pytest.fail(f"{exc} — install one: apt-get install fonts-wqy-microhei (or set PDF_FONT_PATH)")


def pdf_text(data: bytes) -> str:
    """Return the text of every page, in order."""
    assert data.startswith(b"%PDF-"), data[:40]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    """Return the text without any whitespace (line breaks may fall inside a long value)."""
    return "".join(text.split())
