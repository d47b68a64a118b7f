"""Prepare a server process before its first request (called by gunicorn.conf.py's post_worker_init).

Without it the first requests each worker serves pay for parsing the BPMN diagrams and compiling the
templates (seconds in all, spread over the first users of the day); done here, those long-lived
objects are also frozen out of the garbage collector with the rest of the app.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def warm_up(app: Flask) -> int:
    """Parse the diagrams of bpmn/ and compile every template; return how many templates."""
    from processes import engine

    with app.app_context():
        engine.load_specs(Path(app.config["BPMN_DIR"]))
        names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
        for name in names:
            app.jinja_env.get_template(name)
    return len(names)
