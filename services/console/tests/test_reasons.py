"""The verification report's reasons as the console shows them: Vietnamese first, the service's words kept."""

from lienthong.console.application.reasons import ALL_PASSED, PASSED, SUB_INDICATIONS, explained, overall


def test_a_passed_signature_and_report_read_in_vietnamese_only() -> None:
    assert explained(True, "", "intact, and signed with a trusted certificate") == PASSED
    assert overall(True, "every signature is intact and trusted", []) == ALL_PASSED


def test_a_failed_signature_names_its_cause_and_keeps_the_detail() -> None:
    shown = explained(False, "HASH_FAILURE", "the signed bytes were changed after signing")
    assert shown == "nội dung đã ký bị thay đổi sau khi ký (the signed bytes were changed after signing)"


def test_the_overall_reason_reads_its_leading_code_or_else_the_first_failure() -> None:
    assert overall(False, "NO_SIGNATURE: the PDF carries no signature", []).startswith("tệp PDF không có chữ ký")
    assert overall(False, "a signature failed", ["REVOKED"]).startswith(SUB_INDICATIONS["REVOKED"])


def test_an_unknown_code_says_so_and_keeps_the_words() -> None:
    assert explained(False, "SOMETHING_NEW", "odd") == "lý do khác (odd)"
