"""Privacy: opt-in answers reach no file, response, printed line or log record, except
as the suppressed aggregate the README allows ("Opt-in attributes": a value held by at
least 5 opted-in askers, named only in the report's attributes section and the
workbook's attributes sheet, counted over opted-in askers alone)."""

from __future__ import annotations

import pytest

from benchmarks.hardening import (
    COMMON,
    OPTED_COMMON,
    RARE,
    PrivacyReport,
    privacy_scan,
    scan_file,
)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> PrivacyReport:
    return privacy_scan(tmp_path_factory.mktemp("privacy"))


def test_no_sensitive_value_leaks_anywhere(scan: PrivacyReport) -> None:
    assert scan.leaks == []
    # Everything was looked at: both results folders, every API answer, every log line.
    assert scan.files >= 10
    assert scan.responses >= 14
    assert scan.log_lines > 0
    assert scan.output_lines > 0


def test_only_opted_in_askers_are_counted(scan: PrivacyReport) -> None:
    """6 people who did not opt in answered the common value too: they are not read."""
    assert len(scan.common_asked) == 4  # CLI report and workbook, API report and workbook
    assert set(scan.common_asked.values()) == {str(OPTED_COMMON)}


def test_the_scan_finds_a_planted_leak() -> None:
    """The scanner itself: a rare value in a CSV, or the common one outside the report's
    attributes section or in another sheet, is reported."""
    report = PrivacyReport()
    scan_file(report, "pairs.csv", f"id,name\n1,{RARE}\n".encode())
    scan_file(report, "participants.csv", f"id,name\n1,{COMMON}\n".encode())
    html = f'<section id="pairs"><td>{COMMON}</td></section><section id="attributes"></section>'
    scan_file(report, "report.html", html.encode())
    assert report.leaks == [
        f"pairs.csv: {RARE}",
        f"participants.csv: {COMMON}",
        f"report.html: {COMMON}",
    ]
