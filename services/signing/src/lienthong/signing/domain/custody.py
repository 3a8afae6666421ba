"""Who may have an agency's document data key unwrapped (the cipher custodian's rule), pure.

A data key wrapped for agency X is opened for a caller acting for X itself (`<role>@X`), or for a platform
service trusted to act for people (the documents service) when it says which member of X it acts for.
Where the caller's name comes from (the client certificate; a service names the member it acts for in the
`x-lienthong-actor` header) is the transport's business, not this module's.
"""

from __future__ import annotations

import re

from lienthong.errors import InvalidArgument, PermissionDenied

AGENCY_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")

# Services that read confidential documents for the people they serve, and pass on who those are.
TRUSTED_SERVICES = frozenset({"service:documents"})


def _acts_for(actor: str, agency_code: str) -> bool:
    role, at, code = actor.strip().partition("@")
    return bool(role) and bool(at) and code == agency_code


def check_agency_code(agency_code: str) -> str:
    """`agency_code` when it is an identifier code, else INVALID_ARGUMENT."""
    if not AGENCY_CODE.fullmatch(agency_code):
        raise InvalidArgument(f"agency_code {agency_code!r} is not an identifier code like 000.00.00.H41")
    return agency_code


def authorise_unwrap(caller: str, on_behalf_of: str, agency_code: str) -> None:
    """Refuse, with the reason, anyone who may not open a key wrapped for `agency_code`."""
    if _acts_for(caller, agency_code):
        return
    if caller in TRUSTED_SERVICES:
        if _acts_for(on_behalf_of, agency_code):
            return
        raise PermissionDenied(
            f"{caller} acts on behalf of {on_behalf_of or 'nobody'}, who does not act for agency {agency_code}: "
            f"a data key wrapped for {agency_code} is opened only for its own members"
        )
    raise PermissionDenied(
        f"{caller} may not open a data key wrapped for agency {agency_code}: only that agency's members, or the "
        f"documents service on their behalf, may"
    )
