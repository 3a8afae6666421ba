"""Who is signed in, as the principal the services know (`auditor@000.00.00.H41`).

- `dev`: the sign-in page stores the principal in a signed session cookie;
- `header`: an OIDC proxy in front of the console has authenticated the person and names the principal in
  the header the settings name (the proxy must strip that header from what browsers send);
- `client-cert`: a proxy terminating mutual TLS passes the person's verified client certificate, URL-encoded
  PEM, in the header the settings name; the principal is its `urn:lienthong:principal:` URI name.

A principal that is not `<role>@<identifier code>` is nobody: services are not people.
"""

from __future__ import annotations

from urllib.parse import unquote

from cryptography import x509
from starlette.requests import Request

from lienthong.access.principals import Identity, parse_identity
from lienthong.console.adapters.inbound.settings import ConsoleSettings, SignIn
from lienthong.errors import PermissionDenied
from lienthong.grpcserver.principals import principal_of

SESSION_KEY = "principal"


def signed_in(request: Request, settings: ConsoleSettings) -> Identity | None:
    """The person the request comes from, None when nobody is signed in (or what names them is not valid)."""
    text = _claimed(request, settings)
    if not text:
        return None
    try:
        return parse_identity(text)
    except PermissionDenied:
        return None


def _claimed(request: Request, settings: ConsoleSettings) -> str | None:
    if settings.sign_in is SignIn.DEV:
        value = request.session.get(SESSION_KEY)
        return value if isinstance(value, str) else None
    raw = request.headers.get(settings.trusted_header)
    if not raw:
        return None
    if settings.sign_in is SignIn.HEADER:
        return raw
    try:
        certificate = x509.load_pem_x509_certificate(unquote(raw).encode())
    except ValueError:
        return None
    return principal_of(certificate)


def check_sign_in(text: str) -> Identity:
    """The principal typed on the dev sign-in page; PermissionDenied with the Vietnamese reason otherwise."""
    try:
        return parse_identity(text)
    except PermissionDenied:
        raise PermissionDenied(
            f"“{text}” không phải là một chủ thể hợp lệ: hãy nhập <vai trò>@<mã định danh>, "
            "ví dụ auditor@000.00.00.H41 (vai trò: clerk, officer, leader, auditor, operator)"
        ) from None
