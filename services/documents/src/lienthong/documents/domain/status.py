"""Status codes of a document at its recipient (edXML status, QCVN 102:2016)."""

from __future__ import annotations

import enum


class StatusCode(enum.Enum):
    """The edXML status codes; the value is the two-digit code on the wire."""

    ARRIVED = "01"  # đã đến
    REFUSED = "02"  # từ chối
    ACCEPTED = "03"  # đã tiếp nhận
    ASSIGNED = "04"  # phân công
    IN_PROGRESS = "05"  # đang xử lý
    DONE = "06"  # hoàn thành
    RECALL_REQUESTED = "13"  # yêu cầu lấy lại
    RECALLED = "15"  # đã lấy lại
    RECALL_REFUSED = "16"  # từ chối lấy lại
