"""PDF documents that render Chinese: the signed self-commitment (R-TIER-2) and an event's audit
report (process audit). fpdf2 embeds a CJK TrueType font found at `PDF_FONT_PATH` (config or
environment), else at the path of a known Debian font package (README: fonts-wqy-microhei)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from models import Commitment, Event, User, db
from models.db import utcnow
from processes import audit, localtime
from processes.audit_export import Titles, bpmn_path, event_entries, intact_flags, role_title
from processes.errors import ServiceError

# TrueType CJK fonts of Debian packages, best first: fonts-wqy-microhei, fonts-wqy-zenhei,
# fonts-arphic-uming, fonts-droid-fallback.
DEBIAN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
FONT = "cjk"
DETAIL_CHARS = 300  # the audit report abbreviates long submitted data; the XLSX/CSV keep all of it


class FontMissing(ServiceError):
    """No CJK font is installed, so a PDF with Chinese text cannot be produced."""

    code, status = "pdf_font_missing", 503


def font_path() -> Path:
    """Return the CJK font to embed: `PDF_FONT_PATH` if set, else the first known Debian font present.

    :raises FontMissing: the configured file does not exist, or no known font is installed.
    """
    configured = current_app.config.get("PDF_FONT_PATH") or os.environ.get("PDF_FONT_PATH")
    if configured:
        if Path(configured).is_file():
            return Path(configured)
        raise FontMissing(_l("The PDF font %(path)s (PDF_FONT_PATH) does not exist. Install a Chinese TrueType "
                             "font, e.g. the Debian package fonts-wqy-microhei, and point PDF_FONT_PATH at it.",
                             path=configured))
    for candidate in current_app.config.get("PDF_FONT_CANDIDATES", DEBIAN_FONTS):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(_l("PDF documents need a Chinese font and none is installed. Ask the administrator to "
                         "install the Debian package fonts-wqy-microhei (or set PDF_FONT_PATH to a TrueType font)."))


class _Document(FPDF):
    """A4 with the CJK font embedded and a footer naming the document and the page."""

    def __init__(self, title: str, orientation: str = "portrait") -> None:
        super().__init__(orientation=orientation, format="A4")
        self.doc_title = title
        self.add_font(FONT, fname=str(font_path()))
        self.set_title(title)
        self.set_creator("Tanzhong")
        self.set_lang("zh-CN")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.doc_title} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def line_of(self, text: str, size: float = 10, height: float = 6) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def render(self) -> bytes:
        return bytes(self.output())


def _local(at: datetime) -> str:
    """The instant in the display zone, named (e.g. "2026-12-04 17:07 北京时间")."""
    return f"{localtime.format_local(at)} {localtime.zone_label()}"


def commitment_pdf(event: Event, commitment: Commitment) -> bytes:
    """Return the signed declaration as a PDF: its text as signed, its SHA-256, the signer's role and
    organisation (never a person's name) and the date of signing (R-TIER-2)."""
    signer = db.session.get(User, commitment.signed_by_id)
    organization = signer.organization.name if signer and signer.organization else event.organization.name
    pdf = _Document(_("Self-commitment of carbon neutrality"))
    pdf.line_of(_("Tanzhong — carbon-neutral large events in Jining") + f" · {_('Event')} #{event.id}", size=8)
    pdf.ln(4)
    lines = commitment.declaration.split("\n")
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, lines[0], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.line_of("\n".join(lines[1:]).strip("\n"), size=11, height=7)
    pdf.ln(4)
    pdf.line_of(_("Signed by: %(role)s of %(organization)s", role=_("the organizer"), organization=organization))
    pdf.line_of(_("Signed on: %(date)s", date=_local(commitment.created_at)))
    pdf.ln(3)
    pdf.line_of(_("SHA-256 of the declaration (UTF-8):"), size=9)
    pdf.line_of(commitment.sha256, size=9)
    pdf.line_of(_("Anyone can check the declaration: the SHA-256 of its text, encoded as UTF-8, equals this value, "
                  "which the platform also recorded in its tamper-evident audit trail when it was signed."), size=8,
                height=5)
    return pdf.render()


def audit_report_pdf(event: Event, titles: Titles | None = None) -> bytes:
    """Return the event's audit report: facts, the chain check, the BPMN path taken and every entry,
    actions and steps named by `titles` (with their codes, for auditors), times in the display zone."""
    titles = titles or Titles()
    entries = event_entries(event)
    intact = intact_flags(entries)
    report = audit.verify_chain()
    pdf = _Document(_("Audit report of event #%(id)d", id=event.id), orientation="landscape")
    pdf.set_font(FONT, size=15)
    title = _("Audit report")
    pdf.multi_cell(0, 9, f"{title}: {event.name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line_of(" · ".join([
        f"{_('Organizing units')}: {'、'.join(event.organizers)}",
        f"{event.starts_on.isoformat()} – {event.ends_on.isoformat()}",
        f"{_('Tier')}: {event.tier.title}", f"{_('Status')}: {event.status.title}",
    ]), size=9)
    pdf.line_of(_("Generated on %(at)s.", at=_local(utcnow())), size=9)
    if report.ok:
        pdf.line_of(_("The audit chain is intact: %(n)d entries checked.", n=report.checked), size=9)
    else:
        pdf.set_text_color(180, 0, 0)
        pdf.line_of(_("The audit chain is broken at entry %(seq)d: %(problem)s",
                      seq=report.first_broken_seq, problem=report.problem), size=9)
        pdf.set_text_color(0)
    path = [str(titles.steps.get(name, name)) for name in bpmn_path(entries)]
    path_label = _("Path taken")
    pdf.line_of(f"{path_label}: {' → '.join(path) if path else '—'}", size=9)
    pdf.ln(2)
    pdf.set_font(FONT, size=7)
    header = ("#", localtime.with_zone(_("When")), _("Who"), _("Role"), _("What"), _("Step"), _("Why"), _("Data"),
              _("Hash"), _("Intact"))
    with pdf.table(col_widths=(8, 20, 18, 20, 30, 24, 36, 70, 20, 10), text_align="LEFT", line_height=3.6,
                   first_row_as_headings=True, headings_style=FontFace(emphasis="", fill_color=(225, 235, 225)),
                   repeat_headings=1) as table:
        table.row(header)
        for e in entries:
            detail = json.dumps(e.detail or {}, ensure_ascii=False, sort_keys=True)
            table.row([
                str(e.seq), localtime.format_local(e.at, localtime.SECONDS), e.actor,
                role_title(e.role),
                f"{titles.actions.get(e.action, e.action)}\n{e.action}",
                f"{titles.steps.get(e.task, e.task)}\n{e.task}" if e.task else "",
                e.reason or "", detail if len(detail) <= DETAIL_CHARS else detail[:DETAIL_CHARS] + "…",
                e.hash[:12], _("yes") if intact[e.seq] else _("NO"),
            ])
    return pdf.render()
