"""Who a caller is: the principal its TLS client certificate names.

A principal is `<role>@<agency identifier code>` for a person acting for an agency (roles: clerk, officer,
leader, auditor, operator), or `service:<name>` for one of the platform's services (or another program the
platform runs, such as the launcher). A certificate of the platform CA carries it as a URI subject
alternative name, `urn:lienthong:principal:<principal>`, and as its subject's common name; only the URI is
read back, so that a common name chosen for display can never grant an identity.
"""

from __future__ import annotations

import re

from cryptography import x509

ROLES = ("clerk", "officer", "leader", "auditor", "operator")
PRINCIPAL_URI_PREFIX = "urn:lienthong:principal:"
SERVICE_PREFIX = "service:"
_AGENCY_PRINCIPAL = re.compile(rf"(?:{'|'.join(ROLES)})@\d{{3}}\.\d{{2}}\.\d{{2}}\.[A-Z]\d{{2}}")
_SERVICE_PRINCIPAL = re.compile(r"service:[a-z][a-z0-9-]{0,62}")


def check_principal(principal: str) -> str:
    """`principal` unchanged if it is well formed; ValueError saying what a principal looks like otherwise."""
    if _AGENCY_PRINCIPAL.fullmatch(principal) or _SERVICE_PRINCIPAL.fullmatch(principal):
        return principal
    raise ValueError(
        f"{principal!r} is not a principal: expected <role>@<agency identifier code> "
        f"(role one of {', '.join(ROLES)}, e.g. clerk@000.00.12.H41) or service:<name>"
    )


def is_service(principal: str) -> bool:
    """Whether `principal` is a platform service, which may act on behalf of the users it serves."""
    return _SERVICE_PRINCIPAL.fullmatch(principal) is not None


def service_principal(service: str) -> str:
    """The principal of the platform service named `service`, e.g. `service:documents`."""
    return check_principal(SERVICE_PREFIX + service)


def principal_uri(principal: str) -> str:
    """The URI subject alternative name that carries `principal` in a certificate."""
    return PRINCIPAL_URI_PREFIX + check_principal(principal)


def principal_of(certificate: x509.Certificate) -> str | None:
    """The principal a certificate names in its URI subject alternative names; None if it names none
    (or more than one, which the platform CA never issues), or one that is not well formed."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    found = [
        uri.removeprefix(PRINCIPAL_URI_PREFIX)
        for uri in names.get_values_for_type(x509.UniformResourceIdentifier)
        if uri.startswith(PRINCIPAL_URI_PREFIX)
    ]
    if len(found) != 1:
        return None
    try:
        return check_principal(found[0])
    except ValueError:
        return None
