"""gunicorn settings read automatically from the working directory (`make serve-prod`, the load test).

Command-line options (--workers, --bind) still take precedence over this file.
"""

from __future__ import annotations

import gc


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's worker object
    """Keep the cyclic garbage collector off the long-lived objects of a loaded worker.

    After the app is imported (routes, templates, parsed BPMN specs, SQLAlchemy mappers), those
    objects live as long as the worker. `gc.freeze()` moves them out of the collector's generations,
    and a higher first threshold makes collections rarer, so a full collection no longer walks
    them in the middle of a request: measured on a task completion, it removed the 100-250 ms
    outliers of the full collections (docs/benchmarks.md, "Load").
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    worker.log.debug("gc frozen: %d objects", gc.get_freeze_count())
