"""A verification report's reasons in Vietnamese, for the people who read the console.

The signing service answers in English for integrators and logs: an overall reason, and per signature a
sub-indication (the EN 319 102-1 name or one of ours) with a detail. The console shows each in Vietnamese,
keeping the service's own words beside it so nothing the auditor may need is lost."""

from __future__ import annotations

# EN 319 102-1 sub-indications (and the signing service's own codes) → what they mean, in Vietnamese.
SUB_INDICATIONS = {
    "HASH_FAILURE": "nội dung đã ký bị thay đổi sau khi ký",
    "SIG_CRYPTO_FAILURE": "giá trị chữ ký không khớp với khoá của người ký",
    "FORMAT_FAILURE": "chữ ký hoặc tệp PDF sai định dạng",
    "REVOKED": "chứng thư số của người ký đã bị thu hồi",
    "REVOKED_NO_POE": "chứng thư số đã bị thu hồi hoặc tạm dừng, không có bằng chứng chữ ký có trước đó",
    "EXPIRED": "chứng thư số đã hết hạn khi ký",
    "NOT_YET_VALID": "chứng thư số chưa có hiệu lực khi ký",
    "NO_CERTIFICATE_CHAIN_FOUND": "không tìm thấy chuỗi chứng thư đến một gốc tin cậy",
    "DISALLOWED_MODIFICATION": "văn bản bị sửa đổi sau khi ký",
    "NO_SIGNATURE": "tệp PDF không có chữ ký nào",
    "NOT_SIGNED_BY_EXPECTED_AGENCY": "chữ ký hợp lệ nhưng không phải con dấu của cơ quan phải ký",
}

ALL_PASSED = "mọi chữ ký đều nguyên vẹn và được ký bằng chứng thư số tin cậy"
PASSED = "nguyên vẹn, ký bằng chứng thư số tin cậy"
UNKNOWN = "lý do khác"


def _code(sub_indication: str, reason: str) -> str:
    """The sub-indication, or else the code a reason starts with ("NO_SIGNATURE: the PDF carries…")."""
    return sub_indication or reason.split(":", 1)[0].strip()


def explained(passed: bool, sub_indication: str, reason: str) -> str:
    """One signature's verdict explained: in Vietnamese, then the service's words when they say more."""
    if passed:
        return PASSED
    said = SUB_INDICATIONS.get(_code(sub_indication, reason), UNKNOWN)
    return f"{said} ({reason})" if reason else said


def overall(passed: bool, reason: str, failed_sub_indications: list[str]) -> str:
    """The overall verdict explained: the first failing signature's cause, or the service's own code."""
    if passed:
        return ALL_PASSED
    code = _code("", reason)
    if code not in SUB_INDICATIONS and failed_sub_indications:
        code = failed_sub_indications[0]
    said = SUB_INDICATIONS.get(code, UNKNOWN)
    return f"{said} ({reason})" if reason else said
