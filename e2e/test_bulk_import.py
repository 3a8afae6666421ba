"""Bulk import of the agency registry through the CLI: 10,000 rows, then the same file again."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from lienthong.launcher.platform import Platform

ROWS = 10_000


def write_registry(path: Path) -> None:
    """A province (H45), 99 departments, 99 units in each, and 99 sub-units of the first unit: 10,000 rows."""
    rows = [("000.00.00.H45", "Ủy ban nhân dân tỉnh thử nghiệm", "UBND")]
    rows += [(f"000.00.{d:02d}.H45", f"Sở số {d}", f"S{d}") for d in range(1, 100)]
    rows += [
        (f"000.{u:02d}.{d:02d}.H45", f"Phòng {u} của Sở {d}", f"P{u}S{d}") for d in range(1, 100) for u in range(1, 100)
    ]
    rows += [(f"{s:03d}.01.01.H45", f"Tổ {s}", f"T{s}") for s in range(1, 100)]
    assert len(rows) == ROWS
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "short_name", "address", "email", "contact"])
        for code, name, short in reversed(rows):  # children first in the file: the CLI orders them
            writer.writerow([code, name, short, "Tỉnh thử nghiệm", "", ""])


def lienthong(platform: Platform, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", *args],
        env=platform.env() | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_same_10000_rows_twice_changes_nothing_the_second_time(
    platform: Platform, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.csv"
    write_registry(registry)

    first = lienthong(platform, "agencies", "import", str(registry))
    assert f"{ROWS} rows: {ROWS} were created, 0 were updated, 0 unchanged" in first
    second = lienthong(platform, "agencies", "import", str(registry))
    assert f"{ROWS} rows: 0 were created, 0 were updated, {ROWS} unchanged" in second

    lines = registry.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("Tổ 99", "Tổ chín mươi chín")
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dry = lienthong(platform, "agencies", "import", str(registry), "--dry-run")
    assert "would be updated: 099.01.01.H45 (name)" in dry
    assert f"{ROWS} rows: 0 would be created, 1 would be updated, {ROWS - 1} unchanged" in dry

    exported = lienthong(platform, "agencies", "export")
    assert sum(1 for line in exported.splitlines() if line.endswith(",active") and ".H45," in line) == ROWS
    found = lienthong(platform, "agencies", "search", "to 99")
    assert "099.01.01.H45" in found


def test_mailboxes_are_provisioned_in_bulk_and_counted(platform: Platform, tmp_path: Path) -> None:
    lienthong(platform, "agencies", "add", "000.00.00.H48", "Ủy ban nhân dân tỉnh thử nghiệm", "UBND")
    sheet = tmp_path / "mailboxes.csv"
    sheet.write_text(
        "address,agency_code,holder\n"
        "vanthu@h48.gov.vn,000.00.00.H48,\n"
        "nguyen.van.a@h48.gov.vn,000.00.00.H48,Nguyễn Văn A\n"
        "tran.thi.b@h48.gov.vn,000.00.00.H48,Trần Thị B\n",
        encoding="utf-8",
    )
    assert "3 rows: 3 provisioned, 0 already active" in lienthong(platform, "mail", "import", str(sheet))
    assert "3 rows: 0 provisioned, 3 already active" in lienthong(platform, "mail", "import", str(sheet))
    lienthong(platform, "mail", "suspend", "tran.thi.b@h48.gov.vn", "--reason", "nghỉ phép")
    usage = lienthong(platform, "mail", "usage", "--agency", "000.00.00.H48")
    assert "mailboxes: 3 provisioned, 2 active" in usage
    listed = lienthong(platform, "mail", "mailboxes", "--agency", "000.00.00.H48")
    assert "suspended" in listed
    chosen = lienthong(platform, "mail", "prefs", "nguyen.van.a@h48.gov.vn", "--kinds", "overdue,arrived", "--digest")
    assert "nguyen.van.a@h48.gov.vn: arrived, overdue, daily digest" in chosen
    assert "arrived, overdue (digest)" in lienthong(platform, "mail", "mailboxes", "--agency", "000.00.00.H48")
