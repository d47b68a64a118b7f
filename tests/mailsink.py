"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, and can refuse for a while."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """aiosmtpd handler: `messages` holds what was accepted; `failing` answers 451 to every message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failing = False
        self.refused = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        if self.failing:
            self.refused += 1
            return "451 4.3.0 Mail server temporarily unavailable"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def run_sink(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    """Start a sink and point MAIL_SERVER/MAIL_PORT at it (the body of an `smtp_sink` fixture)."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield sink
    finally:
        controller.stop()
