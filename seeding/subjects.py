"""Subjects (trích yếu) of a seeded year's documents, as a province's offices write them.

A register searched for words is only measured fairly when its subjects differ the way real ones do: a few
words in nearly every subject ("về việc", "triển khai"), many words in some, and place names, programmes and
years in few. Each part of a subject is drawn from its list with weights falling as 1/rank (Zipf), so the
searches of bench/readside.py meet common words, rare words and everything between.
"""

from __future__ import annotations

import itertools
import random

ACTIONS = [
    "triển khai",
    "báo cáo",
    "hướng dẫn",
    "đề nghị",
    "tăng cường",
    "tổ chức",
    "góp ý",
    "kiểm tra",
    "thực hiện",
    "phê duyệt",
    "ban hành",
    "rà soát",
    "đôn đốc",
    "phân bổ",
    "điều chỉnh",
    "tổng kết",
    "thẩm định",
    "sơ kết",
    "bổ sung",
    "xin ý kiến",
    "cung cấp thông tin",
    "giao chỉ tiêu",
    "chấn chỉnh",
    "khen thưởng",
    "tuyên truyền",
    "đăng ký",
    "cử cán bộ tham dự",
    "gia hạn",
    "quyết toán",
    "đình chỉ",
]

MATTERS = [
    "nhiệm vụ",
    "kế hoạch",
    "công tác chuyển đổi số",
    "cải cách hành chính",
    "dự toán ngân sách",
    "công tác văn thư, lưu trữ",
    "phòng, chống thiên tai",
    "chương trình mục tiêu quốc gia xây dựng nông thôn mới",
    "an toàn thông tin mạng",
    "giải quyết thủ tục hành chính",
    "phòng cháy, chữa cháy",
    "đầu tư công",
    "giảm nghèo bền vững",
    "quản lý đất đai",
    "bảo vệ môi trường",
    "thi đua, khen thưởng",
    "tuyển dụng viên chức",
    "chữ ký số chuyên dùng",
    "dịch vụ công trực tuyến",
    "phổ biến, giáo dục pháp luật",
    "phòng, chống dịch bệnh",
    "bảo hiểm xã hội",
    "kiểm soát tài sản, thu nhập",
    "tiếp công dân",
    "quy hoạch sử dụng đất",
    "an toàn giao thông",
    "đào tạo, bồi dưỡng cán bộ",
    "hạ tầng số",
    "kinh tế tập thể",
    "di tích lịch sử văn hóa",
    "hồ sơ địa chính",
    "cơ sở dữ liệu quốc gia về dân cư",
    "vệ sinh an toàn thực phẩm",
    "chăn nuôi, thú y",
    "khuyến nông",
    "nước sạch nông thôn",
    "thuế giá trị gia tăng",
    "trợ giúp pháp lý",
    "bình đẳng giới",
    "người có công với cách mạng",
]

SCOPES = [
    "",
    "năm 2026",
    "trên địa bàn tỉnh",
    "quý I",
    "quý II",
    "quý III",
    "quý IV",
    "6 tháng đầu năm",
    "giai đoạn 2026 - 2030",
    "tại các xã miền núi",
    "của các sở, ban, ngành",
    "đợt 1",
    "đợt 2",
    "tại thành phố Nha Trang",
    "tại thành phố Cam Ranh",
    "tại thị xã Ninh Hòa",
    "tại huyện Vạn Ninh",
    "tại huyện Diên Khánh",
    "tại huyện Khánh Vĩnh",
    "tại huyện Khánh Sơn",
    "tại huyện Cam Lâm",
    "tại huyện Trường Sa",
]


def _zipf(count: int) -> list[float]:
    """Cumulative weights falling as 1/rank, for `random.choices(cum_weights=...)` (summed once, not per draw)."""
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(count)))


class Subjects:
    """Repeatable subjects: the same seed gives the same sequence, apart from the year's other draws."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._actions = _zipf(len(ACTIONS))
        self._matters = _zipf(len(MATTERS))
        self._scopes = _zipf(len(SCOPES))

    def next(self, number: int) -> str:
        """A subject such as "Về việc triển khai công tác chuyển đổi số năm 2026 (số 17)"."""
        action = self._random.choices(ACTIONS, cum_weights=self._actions)[0]
        matter = self._random.choices(MATTERS, cum_weights=self._matters)[0]
        scope = self._random.choices(SCOPES, cum_weights=self._scopes)[0]
        words = " ".join(part for part in (action, matter, scope) if part)
        return f"Về việc {words} (số {number})"

    def of_imported(self) -> str:
        """The subject of a document from outside the province, its number drawn here too."""
        return self.next(self._random.randint(1, 9999))
