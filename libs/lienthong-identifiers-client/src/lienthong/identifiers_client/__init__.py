"""The one client other services use to look agencies up in the identifiers service (documents, signing, email)."""

from lienthong.identifiers_client.client import AgencyInfo, AgencyLookup, AgencyRegistry, BlockingAgencyRegistry

__all__ = ["AgencyInfo", "AgencyLookup", "AgencyRegistry", "BlockingAgencyRegistry"]
