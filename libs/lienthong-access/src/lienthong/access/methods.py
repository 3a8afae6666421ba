"""Who may call each RPC of lienthong, and for which agency: the coarse half of the policy, pure.

Every RPC of every service in proto/ has exactly one rule here (a test enumerates the generated
descriptors); a method without one is refused. A rule names
- the agency roles that may call it for their own agency, with the request field that names the agency
  acted for (empty field: the caller's own agency; the use case fills it in),
- the roles that may call it for any agency (operators run the platform; auditors inspect it),
- the lienthong services that may call it (`service:<name>`, e.g. documents asking signing for a seal),
- or that it is public: the registry of identifier codes is published (QĐ 20/2020) and anyone may verify
  a signature.

Checks that need the document (is the caller its sender or recipient? is it confidential?) come after, in
the use cases, with `lienthong.access.documents`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lienthong.access.principals import Identity, Principal, Role, ServicePrincipal, parse_principal
from lienthong.errors import PermissionDenied

ANY_SERVICE = "*"


@dataclass(frozen=True)
class Rule:
    """Who may call one RPC (see the module's docstring)."""

    own: frozenset[Role] = frozenset()
    any_agency: frozenset[Role] = frozenset()
    services: frozenset[str] = frozenset()
    agency_field: str = ""
    public: bool = False

    def callers(self) -> str:
        """The callers allowed, in words, for the reason of a denial."""
        if self.public:
            return "anyone"
        parts = [f"{role.value}s of the agency" for role in sorted(self.own, key=_order)]
        parts += [f"{role.value}s" for role in sorted(self.any_agency, key=_order)]
        parts += [
            "any lienthong service" if name == ANY_SERVICE else f"service:{name}" for name in sorted(self.services)
        ]
        return ", ".join(parts) or "no one"


def _order(role: Role) -> int:
    return list(Role).index(role)


STAFF = frozenset({Role.CLERK, Role.OFFICER, Role.LEADER})  # who handles an agency's documents
READERS = STAFF | {Role.AUDITOR}
LEADER = frozenset({Role.LEADER})
OPERATOR = frozenset({Role.OPERATOR})
AUDITORS = frozenset({Role.AUDITOR})
INSPECTORS = frozenset({Role.OPERATOR, Role.AUDITOR})

_DOCS = "/lienthong.documents.v1.DocumentsService/"
_RECORDS = "/lienthong.documents.v1.RecordsService/"
_AUDIT = "/lienthong.audit.v1.AuditService/"
_IDS = "/lienthong.identifiers.v1.IdentifiersService/"
_SIGNING = "/lienthong.signing.v1.SigningService/"
_EMAIL = "/lienthong.email.v1.EmailService/"
_REPORTING = "/lienthong.reporting.v1.ReportingService/"
_OPERATIONS = "/lienthong.operations.v1.OperationsService/"


def _all(prefix: str, names: str, rule: Rule) -> dict[str, Rule]:
    return {prefix + name: rule for name in names.split()}


RULES: Mapping[str, Rule] = {
    # documents: staff change their own agency's documents (which ones: the use cases check the parties)
    **_all(_DOCS, "CreateOutgoing", Rule(own=STAFF, agency_field="sender_code")),
    **_all(_DOCS, "SendDocument", Rule(own=STAFF, agency_field="document.sender_code")),
    **_all(
        _DOCS,
        "SubmitOutgoing RegisterOutgoing SignOutgoing SendOutgoing RecallOutgoing ExportEdxml ExportStatusEdxml "
        "StartIncoming AssignIncoming CompleteIncoming AnswerRecall ImportEdxml",
        Rule(own=STAFF),
    ),
    # the email service records a reply to a notification (ĐỒNG Ý / TỪ CHỐI) for the agency's văn thư
    **_all(_DOCS, "AcceptIncoming RefuseIncoming", Rule(own=STAFF, services=frozenset({"email"}))),
    **_all(_DOCS, "ApproveOutgoing ReturnOutgoing SignAsLeader", Rule(own=LEADER)),
    # reading: the parties of a document, and auditors (unless it is confidential)
    **_all(_DOCS, "GetOutgoing GetContent GetAttachment GetHistory", Rule(own=STAFF, any_agency=AUDITORS)),
    **_all(_DOCS, "ListOutgoing", Rule(own=READERS, agency_field="sender_code")),
    **_all(_DOCS, "ListIncoming WatchIncoming", Rule(own=READERS, agency_field="recipient_code")),
    **_all(_DOCS, "SearchDocuments", Rule(own=READERS, agency_field="agency_code")),
    # records (hồ sơ) of an agency
    **_all(_RECORDS, "OpenRecord", Rule(own=STAFF, agency_field="agency_code")),
    **_all(_RECORDS, "FileDocument CloseRecord", Rule(own=STAFF)),
    **_all(_RECORDS, "ExportRecord", Rule(own=READERS)),
    **_all(_RECORDS, "ListRecords", Rule(own=READERS, agency_field="agency_code")),
    # every service's audit log: auditors; a document's parties read its history (the service decides)
    **_all(_AUDIT, "StreamHistory GetStateAt DiffStates", Rule(own=STAFF, any_agency=AUDITORS)),
    # re-computing a whole log's hash chain: auditors, and the ICT department that runs the platform
    **_all(_AUDIT, "VerifyChain", Rule(any_agency=INSPECTORS)),
    # the registry of identifier codes is public; operators keep it
    **_all(
        _IDS,
        "GetAgency ListAgencies ResolveAgency SearchAgencies ExportAgencies GetAgencyHistory",
        Rule(public=True),
    ),
    **_all(
        _IDS,
        "RegisterAgency UpdateAgency LockAgency UnlockAgency DissolveAgency ReorganiseAgencies ImportAgencies",
        Rule(any_agency=OPERATOR),
    ),
    # signing: only the documents service signs for an agency, after its own checks; anyone verifies
    **_all(_SIGNING, "SignPdf SignXml", Rule(services=frozenset({"documents"}))),
    # adding a seal's validation data (B-T to B-LT) is the documents service's step after sending
    **_all(_SIGNING, "ExtendPdfToLongTerm", Rule(services=frozenset({"documents"}))),
    **_all(_SIGNING, "SignCheckpoint", Rule(services=frozenset({ANY_SERVICE}))),
    **_all(_SIGNING, "VerifyPdf VerifyXml GetCertificate GetEncryptionKey", Rule(public=True)),
    # a data key wrapped for an agency: its own members, or documents for them (custody.authorise_unwrap)
    **_all(_SIGNING, "UnwrapDataKey", Rule(own=READERS, services=frozenset({"documents"}), agency_field="agency_code")),
    **_all(
        _SIGNING,
        "IssueAgencyCertificate SuspendCertificate ReactivateCertificate RevokeCertificate "
        "IssueRequestedCertificate GetRegistrationRequest ImportCertificate ImportCrl",
        Rule(any_agency=OPERATOR),
    ),
    **_all(
        _SIGNING,
        "RequestCertificate",
        Rule(own=frozenset({Role.CLERK, Role.LEADER}), any_agency=OPERATOR, agency_field="agency_code"),
    ),
    **_all(_SIGNING, "SetSigningPolicy", Rule(own=LEADER, any_agency=OPERATOR, agency_field="agency_code")),
    **_all(
        _SIGNING,
        "GetSigningPolicy",
        Rule(own=READERS, any_agency=OPERATOR, services=frozenset({"documents"}), agency_field="agency_code"),
    ),
    # mail: operators provision mailboxes; an agency reads its own notifications and usage
    **_all(_EMAIL, "ProvisionMailbox SuspendMailbox DeleteMailbox SetMailboxPreferences", Rule(any_agency=OPERATOR)),
    **_all(
        _EMAIL,
        "ListNotifications ListMailboxes GetMailUsage",
        Rule(own=READERS, any_agency=OPERATOR, agency_field="agency_code"),
    ),
    # reports: an agency's own figures; operators and auditors any
    **_all(
        _REPORTING,
        "GetAgencyStats GetProcessingStats",
        Rule(own=STAFF, any_agency=INSPECTORS, agency_field="agency_code"),
    ),
    **_all(_REPORTING, "GetReport ExportReport", Rule(own=STAFF, any_agency=INSPECTORS, agency_field="scope_code")),
    # the certificate registry's read model: an agency's own certificates; operators and auditors any
    **_all(_REPORTING, "ListCertificates", Rule(own=STAFF, any_agency=INSPECTORS, agency_field="agency_code")),
    # how each instance's pipeline stands, and the events its read models put aside: the ICT department
    **_all(_OPERATIONS, "GetPipeline ListDeadLetters", Rule(any_agency=OPERATOR)),
}


def authorise_call(method: str, caller: Principal | str, agency_code: str = "") -> None:
    """Refuse, with the reason, a call of `method` (its full gRPC name) by `caller` (a principal, or the
    actor string the request names) for `agency_code` (the value of the rule's agency field, "" when the
    request leaves it to the caller's own agency)."""
    rule = RULES.get(method)
    if rule is None:
        raise PermissionDenied(f"{method} has no authorisation rule, so no one may call it")
    if rule.public:
        return
    name = method.rsplit("/", 1)[-1]
    if isinstance(caller, str):
        try:
            caller = parse_principal(caller)
        except PermissionDenied as unknown:
            raise PermissionDenied(f"{name} is for {rule.callers()}, and {unknown.reason}") from None
    if isinstance(caller, ServicePrincipal):
        if ANY_SERVICE in rule.services or caller.name in rule.services:
            return
        raise PermissionDenied(f"{caller} may not call {name}; it is for {rule.callers()}")
    _authorise_identity(name, rule, caller, agency_code)


def _authorise_identity(name: str, rule: Rule, identity: Identity, agency_code: str) -> None:
    if identity.role in rule.any_agency:
        return
    if identity.role not in rule.own:
        raise PermissionDenied(f"{identity} may not call {name}; it is for {rule.callers()}")
    if agency_code and agency_code != identity.agency_code:
        raise PermissionDenied(
            f"{identity} acts for agency {identity.agency_code} and may not call {name} for agency {agency_code}"
        )


@dataclass(frozen=True)
class Denial:
    """A call refused with PERMISSION_DENIED: the method, what it named (a document, record or aggregate id;
    the agency acted for), and the reason given to the caller. The access log records it."""

    method: str
    reason: str
    subject: str = ""
    agency_code: str = ""


def agency_field(method: str) -> str:
    """The request field naming the agency `method` acts for ("" when none)."""
    rule = RULES.get(method)
    return rule.agency_field if rule else ""
