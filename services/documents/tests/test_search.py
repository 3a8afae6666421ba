"""Searching the registers: every filter, Vietnamese with or without diacritics, pages, from the read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import DocumentSearch
from lienthong.eventstore import event_context

SENDER, PROVINCE, OTHER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


async def issue(
    usecases: DocumentUseCases,
    subject: str,
    doc_type: DocumentType = DocumentType.CONG_VAN,
    urgency: Urgency = Urgency.NORMAL,
    recipients: tuple[str, ...] = (PROVINCE,),
    approve: bool = False,
) -> str:
    with event_context(f"clerk@{SENDER}"):
        draft = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=doc_type,
            subject=subject,
            urgency=urgency,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
        document_id = UUID(draft.id)
        if approve:
            await usecases.submit_outgoing(document_id)
            with event_context(f"leader@{SENDER}"):
                await usecases.approve_outgoing(document_id, "Đồng ý")
        await usecases.register_outgoing(document_id)
        await usecases.sign_outgoing(document_id)
        if recipients:
            await usecases.send_outgoing(document_id, list(recipients))
    return draft.id


async def found(usecases: DocumentUseCases, agency: str = SENDER, **filters: object) -> list[str]:
    with event_context(f"clerk@{agency}"):
        hits, _ = await usecases.search(DocumentSearch(agency_code=agency, **filters))  # type: ignore[arg-type]
    return [hit.subject for hit in hits]


async def test_every_filter_finds_what_it_names(usecases: DocumentUseCases) -> None:
    await issue(usecases, "Quyết Định thành lập ban chỉ đạo", DocumentType.QUYET_DINH, approve=True)  # 01/QĐ-STTTT
    await issue(usecases, "Công văn về việc báo cáo", urgency=Urgency.HOA_TOC, recipients=(PROVINCE, OTHER))  # 02
    await issue(usecases, "Công văn chưa gửi", recipients=())  # 03, signed, not sent
    with event_context(f"clerk@{PROVINCE}"):
        incoming = await usecases.incoming_of(PROVINCE)
        refused = next(row for row in incoming if row.code == "02/STTTT")
        await usecases.refuse_incoming(UUID(refused.id), "Không đúng thẩm quyền")

    decision, letter, unsent = "Quyết Định thành lập ban chỉ đạo", "Công văn về việc báo cáo", "Công văn chưa gửi"
    for words in ("quyết định", "quyet dinh", "QUYẾT ĐỊNH thành", "Quyet Dinh"):
        assert await found(usecases, query=words) == [decision]
    assert await found(usecases, number=2) == [letter]
    assert await found(usecases, notation="QĐ-STTTT") == [decision]
    assert await found(usecases, number=1, notation="STTTT") == []
    assert await found(usecases, code="03/STTTT") == [unsent]
    assert await found(usecases, doc_type="QUYET_DINH") == [decision]
    assert await found(usecases, urgency="HOA_TOC") == [letter]
    assert await found(usecases, state="signed") == [unsent]
    assert await found(usecases, status="02") == [letter]  # refused by the province
    assert await found(usecases, recipient_code=OTHER) == [letter]
    assert await found(usecases, signer=f"leader@{SENDER}") == [decision]
    assert sorted(await found(usecases, signer="0A1B")) == sorted([decision, letter, unsent])
    assert await found(usecases, sender_code=PROVINCE) == []

    # The province's side: copies, by sender, status and signer.
    assert sorted(await found(usecases, PROVINCE, sender_code=SENDER)) == sorted([decision, letter])
    assert await found(usecases, PROVINCE, status="01") == [decision]
    assert await found(usecases, PROVINCE, signer=f"leader@{SENDER}", outgoing=False) == [decision]
    assert await found(usecases, PROVINCE, state="sent") == []
    assert await found(usecases, OTHER, query="bao cao", urgency="HOA_TOC") == [letter]
    # Words of one or two letters (no trigram to look up on PostgreSQL) are found as the longer ones are.
    assert await found(usecases, query="ve viec") == [letter]
    assert await found(usecases, query="về ban") == []
    assert await found(usecases, query="ban c") == [decision]

    now = datetime.now(UTC)
    assert len(await found(usecases, from_at=now - timedelta(hours=1), to_at=now + timedelta(hours=1))) == 3
    assert await found(usecases, to_at=now - timedelta(hours=1)) == []


async def test_results_come_a_page_at_a_time_newest_first(usecases: DocumentUseCases) -> None:
    subjects = [f"Thông báo số {n}" for n in range(1, 8)]
    for subject in subjects:
        await issue(usecases, subject, DocumentType.THONG_BAO, recipients=())
    pages, offset, more = [], 0, True
    with event_context(f"clerk@{SENDER}"):
        while more:
            hits, more = await usecases.search(DocumentSearch(agency_code=SENDER, limit=3, offset=offset))
            pages.append([hit.subject for hit in hits])
            offset += 3
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(s for page in pages for s in page) == sorted(subjects)
    assert pages[0][0] == "Thông báo số 7"
