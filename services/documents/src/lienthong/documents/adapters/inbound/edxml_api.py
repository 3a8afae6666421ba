"""The edXML RPCs of the documents service: protobuf in, exchange use case, protobuf out."""

from __future__ import annotations

from lienthong.documents.adapters.inbound.api import Context, DocumentsServicer, _attachment, _status
from lienthong.documents.adapters.inbound.edxml.model import Layout
from lienthong.documents.adapters.inbound.edxml.results import ResultCode
from lienthong.documents.application.edxml_exchange import EdxmlExchange
from lienthong.documents.application.usecases import DocumentUseCases, parse_id
from lienthong.documents.v1 import documents_pb2 as pb
from lienthong.errors import InvalidArgument, NotFound


class EdxmlDocumentsServicer(DocumentsServicer):
    """`lienthong.documents.v1.DocumentsService` with edXML export and import."""

    def __init__(self, usecases: DocumentUseCases, exchange: EdxmlExchange) -> None:
        super().__init__(usecases)
        self._exchange = exchange

    async def ExportEdxml(self, request: pb.ExportEdxmlRequest, context: Context) -> pb.ExportEdxmlResponse:
        edxml = await self._exchange.export_document(
            parse_id(request.document_id, "document_id"),
            list(request.recipient_codes),
            xades=request.xades,
            layout=_layout(request.layout),
        )
        return pb.ExportEdxmlResponse(edxml=edxml)

    async def ExportStatusEdxml(
        self, request: pb.ExportStatusEdxmlRequest, context: Context
    ) -> pb.ExportStatusEdxmlResponse:
        edxml = await self._exchange.export_status(
            parse_id(request.incoming_id, "incoming_id"), layout=_layout(request.layout)
        )
        return pb.ExportStatusEdxmlResponse(edxml=edxml)

    async def ImportEdxml(self, request: pb.ImportEdxmlRequest, context: Context) -> pb.ImportEdxmlResponse:
        imported = await self._exchange.import_message(request.edxml)
        if imported.outgoing_id:
            return pb.ImportEdxmlResponse(
                kind=pb.EDXML_KIND_STATUS,
                result_code=ResultCode.SUCCESS.value,
                outgoing_id=imported.outgoing_id,
                status=_status(imported.status),
            )
        return pb.ImportEdxmlResponse(
            kind=pb.EDXML_KIND_DOCUMENT, result_code=ResultCode.SUCCESS.value, incoming_ids=imported.incoming_ids
        )

    async def GetAttachment(self, request: pb.GetAttachmentRequest, context: Context) -> pb.GetAttachmentResponse:
        """Also the files of a copy imported from edXML, which has no outgoing document here."""
        try:
            return await super().GetAttachment(request, context)
        except NotFound:
            found = await self._exchange.imported_attachment(
                parse_id(request.document_id, "document_id"), request.sha256
            )
            if found is None:
                raise
            return pb.GetAttachmentResponse(attachment=_attachment(found[0]), content=found[1])


_LAYOUTS = {
    pb.EDXML_LAYOUT_UNSPECIFIED: Layout.AXIS,
    pb.EDXML_LAYOUT_AXIS: Layout.AXIS,
    pb.EDXML_LAYOUT_ENVELOPE: Layout.ENVELOPE,
}


def _layout(layout: pb.EdxmlLayout.ValueType) -> Layout:
    if layout not in _LAYOUTS:
        raise InvalidArgument(
            f"layout {layout} is not an EdxmlLayout: AXIS ({pb.EDXML_LAYOUT_AXIS}) or ENVELOPE "
            f"({pb.EDXML_LAYOUT_ENVELOPE})"
        )
    return _LAYOUTS[layout]
