"""Open data of the public section (R-DIS-1, R-PLAT-1, issue #22): the disclosures as CSV and JSON
downloads, an Atom feed of new disclosures and cancellations, a DCAT (JSON-LD) catalogue entry. Links
and ids are on PUBLIC_BASE_URL, so a harvester sees the same ones however it reached the site."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, render_template, send_file
from flask_babel import gettext as _

from models.db import utcnow
from processes import open_data
from processes.localtime import local
from processes.notifications import absolute_url
from webapp.public.routes import bp

SPOOL_BYTES = 4 * 1024 * 1024
DATASETS: dict[str, tuple[Callable[[], Iterator[dict[str, Any]]], tuple[str, ...]]] = {
    "events": (open_data.event_rows, open_data.EVENT_COLUMNS),
    "cancellations": (open_data.cancellation_rows, open_data.CANCELLATION_COLUMNS),
}


def _licence() -> str:
    return current_app.config.get("OPEN_DATA_LICENCE") or open_data.LICENCE


def _download(chunks: Iterator[str], name: str, mimetype: str) -> Response:
    """The text written to a spooled file (memory up to a few MB, then disk), sent as an attachment."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - send_file closes it
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))
    out.seek(0)
    response = send_file(out, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Access-Control-Allow-Origin"] = "*"  # harvesters may fetch it from anywhere
    return response


def _json_lines(dataset: str) -> Iterator[str]:
    rows, _columns = DATASETS[dataset]
    head = {"dataset": dataset, "licence": _licence(), "generated_at": local(utcnow()).isoformat(timespec="seconds"),
            "catalog": absolute_url("public.open_data_catalog")}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ['
    for i, row in enumerate(rows()):
        yield ("," if i else "") + json.dumps(row, ensure_ascii=False)
    yield "]}"


@bp.route("/data")
def open_data_index():  # noqa: ANN201
    """What can be downloaded, under which licence, and when it last changed."""
    return render_template("public/open_data.html", licence=_licence(), updated=open_data.updated_at())


@bp.route("/data/<any(events, cancellations):dataset>.csv")
def open_data_csv(dataset: str):  # noqa: ANN201
    """Every public event, or every disclosed cancellation, as CSV (UTF-8)."""
    rows, columns = DATASETS[dataset]
    return _download(open_data.csv_lines(rows(), columns), f"{dataset}.csv", "text/csv")  # werkzeug adds the charset


@bp.route("/data/<any(events, cancellations):dataset>.json")
def open_data_json(dataset: str):  # noqa: ANN201
    """The same as JSON: {"dataset", "licence", "generated_at", "catalog", "items": [...]}."""
    return _download(_json_lines(dataset), f"{dataset}.json", "application/json")


@bp.route("/data/feed.atom")
def open_data_feed():  # noqa: ANN201
    """An Atom feed of new disclosures (plans published, events disclosed) and cancellations."""
    body = render_template("public/feed.xml", entries=open_data.feed_entries(), updated=open_data.updated_at(),
                           licence=_licence(), absolute_url=absolute_url,
                           title=_("Carbon neutrality of large events in Jining: new disclosures and cancellations"),
                           author=_("Jining Ecology and Environment Bureau"))
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/data/catalog.jsonld")
def open_data_catalog():  # noqa: ANN201
    """The DCAT catalogue entry of the disclosures (JSON-LD), with the open licence and the update date."""
    urls = {"catalog": absolute_url("public.open_data_catalog"),
            "landing": absolute_url("public.open_data_index"),
            "events_csv": absolute_url("public.open_data_csv", dataset="events"),
            "events_json": absolute_url("public.open_data_json", dataset="events"),
            "cancellations_csv": absolute_url("public.open_data_csv", dataset="cancellations"),
            "cancellations_json": absolute_url("public.open_data_json", dataset="cancellations"),
            "feed": absolute_url("public.open_data_feed")}
    body = open_data.catalog(urls, licence=_licence(), modified=open_data.updated_at().date())
    response = Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
