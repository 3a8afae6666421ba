"""What every page shares: the templates, who is signed in, the stubs acting as them, errors in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry import trace
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from lienthong.access.principals import Identity
from lienthong.audit.v1 import audit_pb2_grpc
from lienthong.console.adapters.inbound.identity import signed_in
from lienthong.console.adapters.inbound.settings import ConsoleSettings, SignIn
from lienthong.console.adapters.outbound.backends import Backends, Metadata
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.email.v1 import email_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.signing.v1 import signing_pb2_grpc

if TYPE_CHECKING:  # the asyncio stubs' types exist in the generated .pyi files only
    from lienthong.audit.v1.audit_pb2_grpc import AuditServiceAsyncStub
    from lienthong.documents.v1.documents_pb2_grpc import DocumentsServiceAsyncStub
    from lienthong.email.v1.email_pb2_grpc import EmailServiceAsyncStub
    from lienthong.identifiers.v1.identifiers_pb2_grpc import IdentifiersServiceAsyncStub
    from lienthong.reporting.v1.reporting_pb2_grpc import ReportingServiceAsyncStub
    from lienthong.signing.v1.signing_pb2_grpc import SigningServiceAsyncStub

T = TypeVar("T")
VIETNAM = timezone(timedelta(hours=7), "ICT")
PAGE_SIZE = 20
TIMEOUT = 30.0
CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")  # an identifier code (QĐ 20/2020), 000.00.12.H41
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def when(stamp: Timestamp | None) -> str:
    """A timestamp as Vietnamese read it, in Vietnam time: 25/11/2026 09:30:00."""
    if stamp is None or (not stamp.seconds and not stamp.nanos):
        return ""
    return stamp.ToDatetime(tzinfo=UTC).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


TEMPLATES.env.filters["when"] = when


class NotSignedIn(Exception):
    """The page needs someone signed in."""


class BadInput(Exception):
    """A form field that cannot be used as given; `message` (Vietnamese) says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Person:
    """The person signed in and the stubs that act as them."""

    identity: Identity
    backends: Backends

    @property
    def principal(self) -> str:
        return str(self.identity)

    @property
    def metadata(self) -> Metadata:
        return self.backends.metadata(self.principal)

    def documents(self) -> DocumentsServiceAsyncStub:
        return documents_pb2_grpc.DocumentsServiceStub(self.backends.channel("documents", self.principal))

    def audit(self, service: str) -> AuditServiceAsyncStub:
        return audit_pb2_grpc.AuditServiceStub(self.backends.channel(service, self.principal))

    def signing(self) -> SigningServiceAsyncStub:
        return signing_pb2_grpc.SigningServiceStub(self.backends.channel("signing", self.principal))

    def identifiers(self) -> IdentifiersServiceAsyncStub:
        return identifiers_pb2_grpc.IdentifiersServiceStub(self.backends.channel("identifiers", self.principal))

    def reporting(self) -> ReportingServiceAsyncStub:
        return reporting_pb2_grpc.ReportingServiceStub(self.backends.channel("reporting", self.principal))

    def email(self) -> EmailServiceAsyncStub:
        return email_pb2_grpc.EmailServiceStub(self.backends.channel("email", self.principal))

    def call(self, **kwargs: Any) -> dict[str, Any]:
        """Keyword arguments of every RPC call: who acts (when on behalf) and the deadline."""
        return {"metadata": self.metadata, "timeout": TIMEOUT, **kwargs}


def person(request: Request) -> Person:
    """The person signed in; NotSignedIn (to the sign-in page, or a 401 behind a proxy) otherwise."""
    settings: ConsoleSettings = request.app.state.settings
    identity = signed_in(request, settings)
    if identity is None:
        raise NotSignedIn()
    return Person(identity, request.app.state.backends)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings: ConsoleSettings = request.app.state.settings
    identity = signed_in(request, settings)
    span = trace.get_current_span().get_span_context()
    context |= {
        "who": str(identity) if identity else "",
        "dev_sign_in": settings.sign_in is SignIn.DEV,
        "trace_id": format(span.trace_id, "032x") if span.is_valid else "",
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


# What a gRPC status means to the person reading the page.
_STATUS_PAGES = {
    grpc.StatusCode.PERMISSION_DENIED: (403, "Không có quyền"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "Chưa xác thực"),
    grpc.StatusCode.NOT_FOUND: (404, "Không tìm thấy"),
    grpc.StatusCode.INVALID_ARGUMENT: (400, "Yêu cầu không hợp lệ"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "Không thực hiện được lúc này"),
    grpc.StatusCode.UNAVAILABLE: (503, "Dịch vụ không sẵn sàng"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "Dịch vụ trả lời quá chậm"),
}


async def rpc_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, grpc.aio.AioRpcError)
    status, title = _STATUS_PAGES.get(error.code(), (502, "Lỗi từ dịch vụ"))
    return page(
        request, "error.html", status, title=title, code=error.code().name, reason=error.details() or "", back=True
    )


async def bad_input(request: Request, error: Exception) -> Response:
    assert isinstance(error, BadInput)
    return page(request, "error.html", 400, title="Dữ liệu nhập chưa đúng", code="", reason=error.message, back=True)


async def not_signed_in(request: Request, error: Exception) -> Response:
    settings: ConsoleSettings = request.app.state.settings
    if settings.sign_in is SignIn.DEV:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(request.url_for("sign_in").include_query_params(next=target), status_code=303)
    reason = f"Proxy phía trước không gửi tiêu đề {settings.trusted_header} hợp lệ: không biết ai đang đăng nhập."
    return page(request, "error.html", 401, title="Chưa đăng nhập", code="", reason=reason, back=False)


def agency_code(text: str, default: str = "") -> str:
    """The “Cơ quan” field: an identifier code (the signed-in person's own agency when left empty)."""
    agency = text.strip() or default
    if not CODE.fullmatch(agency):
        raise BadInput(f"“Cơ quan”: “{agency}” không phải là mã định danh; ví dụ 000.00.12.H41")
    return agency


def choice(text: str, choices: Mapping[str, str], field: str) -> str:
    """A drop-down's value, one of `choices` (a hand-made URL may carry anything)."""
    if text not in choices:
        raise BadInput(f"“{field}”: “{text}” không có trong danh sách")
    return text


def page_token(text: str) -> str:
    """A “next page” link's token: the offset a service gave, or empty for the first page."""
    if text and not text.isdigit():
        raise BadInput(f"“Trang”: “{text}” không phải là trang mà bảng điều khiển đưa ra; mở lại từ trang đầu")
    return text


def page_number(text: str) -> int:
    """The “Trang” of a list shown a page at a time: 1, 2, ..."""
    try:
        number = int(text or "1")
    except ValueError:
        number = 0
    if number < 1:
        raise BadInput(f"“Trang”: “{text}” không phải là số trang; trang đầu là 1")
    return number


@dataclass(frozen=True)
class Paged:
    """One page of a list the service answered whole: its rows, where they start, and whether more follow."""

    rows: list[Any]
    number: int
    start: int
    more: bool


def paged(items: list[T], request: Request, size: int) -> Paged:
    """The page `?page=` names of `items`, `size` a page; a page past the end is refused."""
    number = page_number(request.query_params.get("page", "1"))
    start = (number - 1) * size
    if items and start >= len(items):
        last = (len(items) - 1) // size + 1
        raise BadInput(f"“Trang”: chỉ có {last} trang; trang {number} không có")
    return Paged(items[start : start + size], number, start, start + size < len(items))


def instant(text: str, field: str) -> datetime:
    """A `datetime-local` field (`2026-11-25T09:30`, Vietnam time unless an offset is given)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"“{field}”: “{text}” không phải là thời điểm hợp lệ; nhập theo dạng 2026-11-25T09:30 (giờ Việt Nam)"
        ) from None
    return moment.replace(tzinfo=VIETNAM) if moment.tzinfo is None else moment


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
