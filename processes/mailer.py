"""Send the email outbox after the commit that queued it: SMTP from the MAIL_* settings, retries
with exponential back-off, never an exception into the caller for a mail problem.

Each message is claimed with a short lease before sending (several servers or a cron run at the
same moment never send it twice; a crash mid-send releases it when the lease ends).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app
from sqlalchemy import select, update

from models import EmailOutbox, db
from models.db import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a claimed message is not picked again before this
MAX_BACKOFF = timedelta(hours=6)
BATCH = 200


def enabled() -> bool:
    """Email is on when MAIL_SERVER is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: MAIL_RETRY_SECONDS, doubling, at most 6 hours."""
    first = timedelta(seconds=int(current_app.config.get("MAIL_RETRY_SECONDS", 60)))
    return min(first * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def send_pending(now: datetime | None = None) -> int:
    """Send every queued message that is due; return how many were sent.

    Call it after the commit of the work that queued the messages: it commits its own progress.
    SMTP and network failures are recorded on the message (retried later), never raised.
    """
    if not enabled():
        return 0
    now = (now or utcnow()).astimezone(UTC)
    claimed = _claim(now)
    if not claimed:
        return 0
    sent = 0
    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP server %s unavailable: %s", current_app.config["MAIL_SERVER"], exc)
        for row in claimed:
            _failed(row, exc, now)
        db.session.commit()
        return 0
    try:
        for index, row in enumerate(claimed):
            try:
                connection.send_message(_message(row))
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, exc, now)
                db.session.commit()
                if _connection_lost(exc):
                    for rest in claimed[index + 1:]:
                        _failed(rest, exc, now)
                    db.session.commit()
                    break
                continue
            row.status, row.sent_at, row.attempts, row.last_error = "sent", utcnow(), row.attempts + 1, None
            db.session.commit()
            sent += 1
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return sent


def _connection_lost(exc: BaseException) -> bool:
    """A network error or a dropped connection (as opposed to the server refusing one message)."""
    return isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException)


def _claim(now: datetime) -> list[EmailOutbox]:
    """Lease the due messages to this run (committed), oldest first."""
    ids = db.session.execute(select(EmailOutbox.id).where(
        EmailOutbox.status == "queued", EmailOutbox.next_attempt_at <= now)
        .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id).limit(BATCH)).scalars().all()
    mine = []
    for message_id in ids:
        result = db.session.execute(update(EmailOutbox).where(
            EmailOutbox.id == message_id, EmailOutbox.status == "queued", EmailOutbox.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            mine.append(message_id)
    db.session.commit()
    return list(db.session.execute(select(EmailOutbox).where(EmailOutbox.id.in_(mine))
                                   .order_by(EmailOutbox.id)).scalars()) if mine else []


def _failed(row: EmailOutbox, exc: BaseException, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8)):
        row.status = "failed"
    else:
        row.next_attempt_at = now + backoff(row.attempts)


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), config.get("MAIL_TIMEOUT", 10)
    if config.get("MAIL_USE_SSL"):
        connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                    context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except (OSError, smtplib.SMTPException):
        connection.close()
        raise
    return connection


def _message(row: EmailOutbox) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = row.recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain=_domain(message["From"]))
    message.set_content(row.body_text)  # (clears Content-* headers: set them after)
    message["Content-Language"] = "en" if row.locale.startswith("en") else "zh-CN"
    return message


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"


def retry_failed() -> int:
    """Put messages that gave up back in the queue (after fixing the mail setup); the caller commits."""
    result = db.session.execute(update(EmailOutbox).where(EmailOutbox.status == "failed")
                                .values(status="queued", attempts=0, next_attempt_at=utcnow())
                                .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0
