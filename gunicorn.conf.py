"""gunicorn settings read automatically from the working directory (`make serve-prod`, the load test).

Command-line options (--workers, --bind) still take precedence over this file.
"""

from __future__ import annotations

import gc


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's worker object
    """Warm the worker up, then keep the cyclic garbage collector off its long-lived objects.

    After the app is imported (routes, templates, parsed BPMN specs, SQLAlchemy mappers), those
    objects live as long as the worker. `gc.freeze()` moves them out of the collector's generations,
    and a higher first threshold makes collections rarer, so a full collection no longer walks
    them in the middle of a request: measured on a task completion, it removed the 100-250 ms
    outliers of the full collections (docs/operations.md, "Load test").
    """
    from webapp.warmup import warm_up

    templates = 0
    try:
        templates = warm_up(worker.wsgi)  # the app gunicorn loaded for this worker
    except Exception:  # a request would meet the same problem and report it; the worker still serves
        worker.log.exception("warm-up failed")
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    worker.log.debug("warmed up (%d templates); gc frozen: %d objects", templates, gc.get_freeze_count())
