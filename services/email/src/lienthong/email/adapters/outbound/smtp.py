"""Sending one message over SMTP (standard library), with 4xx and 5xx answers told apart."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage


class DeliveryError(Exception):
    """The SMTP server did not take the message; `code` is its answer (0 when it did not answer)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}" if code else message)
        self.code = code
        self.message = message


class TemporaryDeliveryError(DeliveryError):
    """Try again later: a 4xx answer, or the server could not be reached."""


class PermanentDeliveryError(DeliveryError):
    """Do not try again: a 5xx answer."""


def _classified(code: int, text: bytes | str) -> DeliveryError:
    message = text.decode(errors="replace") if isinstance(text, bytes) else text
    return (PermanentDeliveryError if code >= 500 else TemporaryDeliveryError)(code, message)


def send_message(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    starttls: bool = False,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10,
    ca_file: str | None = None,
) -> None:
    """Send `message`; raise TemporaryDeliveryError or PermanentDeliveryError when it is not accepted.

    With `starttls` the server's certificate is verified against the system's CAs, or `ca_file`.
    """
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            if starttls:
                client.starttls(context=ssl.create_default_context(cafile=ca_file))
            if username:
                client.login(username, password or "")
            refused = client.send_message(message)
            if refused:
                code, text = next(iter(refused.values()))
                raise _classified(code, text)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise _classified(code, text) from error
    except smtplib.SMTPResponseException as error:
        raise _classified(error.smtp_code, error.smtp_error) from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryDeliveryError(0, f"cannot deliver to {host}:{port}: {error}") from error
