"""Notification mails rendered from Jinja2 templates: plain text and HTML, Vietnamese, RFC 2047 subjects."""

from __future__ import annotations

import email.policy
import unicodedata
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lienthong.vietnamese.calendar import VIETNAM

SUBJECT_LIMIT = 120  # characters of the trích yếu kept in the Subject; the mail itself carries it whole

_templates = Environment(
    loader=PackageLoader("lienthong.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


# kind → (template name, subject prefix)
KINDS = {
    "arrived": ("arrival", "Văn bản đến"),
    "refused": ("refused", "Văn bản bị từ chối"),
    "recall_requested": ("recall", "Yêu cầu lấy lại văn bản"),
    "due_tomorrow": ("deadline", "Văn bản đến hạn xử lý ngày mai"),
    "overdue": ("deadline", "Văn bản quá hạn xử lý"),
    "digest": ("digest", "Tổng hợp thông báo văn bản"),
}

# kind → how a digest line names it
DIGEST_LABELS = {
    "arrived": "Văn bản đến",
    "refused": "Bị từ chối",
    "recall_requested": "Yêu cầu lấy lại",
    "due_tomorrow": "Đến hạn ngày mai",
    "overdue": "Quá hạn",
}


def render_arrival_notification(
    *,
    agency_name: str,
    to_address: str,
    from_address: str,
    sender_name: str,
    code: str,
    subject: str,
    document_id: str,
    arrived_at: datetime,
    message_id: str,
) -> EmailMessage:
    """The mail telling an agency that a document arrived, ready to send (the SMTP policy encodes headers)."""
    return render_notification(
        kind="arrived",
        agency_name=agency_name,
        to_address=to_address,
        from_address=from_address,
        sender_name=sender_name,
        code=code,
        subject=subject,
        document_id=document_id,
        arrived_at=arrived_at,
        message_id=message_id,
    )


def render_notification(
    *,
    kind: str,
    agency_name: str,
    to_address: str,
    from_address: str,
    sender_name: str,
    code: str,
    subject: str,
    document_id: str,
    arrived_at: datetime,
    message_id: str,
    details: str = "",
    reply_to: str | None = None,
    items: list[dict[str, str]] | None = None,
) -> EmailMessage:
    """The mail of one kind of notification (see KINDS) to one agency, ready to send; with `reply_to`, the
    agency may answer it by replying (the text says how)."""
    template, prefix = KINDS[kind]
    context = {
        "kind": kind,
        "heading": prefix,
        "details": details,
        "reply_to": reply_to or "",
        "items": [item | {"label": DIGEST_LABELS.get(item.get("kind", ""), "")} for item in items or []],
        "agency_name": agency_name,
        "sender_name": sender_name,
        "code": code,
        "subject": subject,
        "document_id": document_id,
        "arrived_at": arrived_at.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y"),
    }
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = from_address
    message["To"] = to_address
    headline = f"{_one_line(code)} — {_shortened(_one_line(subject))}" if code else _shortened(_one_line(subject))
    message["Subject"] = f"{prefix}: {headline}"
    message["Date"] = format_datetime(arrived_at.astimezone(VIETNAM))
    message["Message-ID"] = message_id
    if reply_to:
        message["Reply-To"] = reply_to
    message["X-Lienthong-Document-Id"] = document_id
    message.set_content(_templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(_templates.get_template(f"{template}.html").render(context), subtype="html")
    return message


def _one_line(text: str) -> str:
    # A trích yếu may span lines, and a header may not (EmailMessage raises on CR or LF). NFC so a
    # decomposed letter is one character and shortening cannot strip its tone mark.
    return " ".join(unicodedata.normalize("NFC", text).split())


def _shortened(subject: str) -> str:
    if len(subject) <= SUBJECT_LIMIT:
        return subject
    cut = subject[: SUBJECT_LIMIT - 1]
    # At a word boundary when there is one near the end, so no Vietnamese word is cut in half.
    if " " in cut[-20:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"
