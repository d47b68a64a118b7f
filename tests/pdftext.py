"""Read generated PDFs in tests: their text (pypdf), and a guard for the CJK font they embed."""

from __future__ import annotations

import io
import os

import pytest
from flask import Flask
from pypdf import PdfReader

from processes.reports_pdf import FontMissing, font_path


def require_cjk_font(app: Flask) -> None:
    """Skip on a developer machine without the CJK font; fail in CI, which installs it (.ci/run)."""
    with app.app_context():
        try:
            font_path()
        except FontMissing:
            if os.environ.get("CI"):
                raise
            pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")


def pdf_text(data: bytes) -> str:
    """Return the text of every page, in order."""
    assert data.startswith(b"%PDF-"), data[:40]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    """Return the text without any whitespace (line breaks may fall inside a long value)."""
    return "".join(text.split())
