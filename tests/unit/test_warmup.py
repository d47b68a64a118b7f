"""A server process is prepared before its first request: diagrams parsed, templates compiled."""

from __future__ import annotations

from webapp.warmup import warm_up


def test_warm_up_compiles_every_page_template_and_parses_the_diagrams(app):
    from processes.workflow_engine import specs

    compiled = warm_up(app)
    assert compiled >= 30  # every page and partial of the product
    assert any(str(key[0]).endswith("bpmn") for key in specs._CACHE)
    assert app.jinja_env.cache is not None and len(app.jinja_env.cache) >= min(compiled, app.jinja_env.cache.capacity)
