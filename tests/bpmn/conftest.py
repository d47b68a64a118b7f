"""The BPMN path tests run in memory: no Flask app and no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_tables() -> Iterator[None]:
    """Replace the suite-wide database cleanup (tests/conftest.py) so no app is created here."""
    yield
