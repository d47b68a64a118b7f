"""Attacks on the plan's promises (issue #15): each test names the rule (R-…) it tries to break."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _english_messages(app) -> Iterator[None]:  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        yield
