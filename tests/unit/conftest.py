"""Service-level tests read error messages in English (pages and API pick the user's language)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _english_messages(app) -> Iterator[None]:  # noqa: ANN001
    with force_locale("en"):
        yield
