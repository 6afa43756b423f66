"""``parse_time`` replaces ``datetime.strptime`` for the numeric timestamp formats: it
must agree with it on every text, parsed or refused (ValueError)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from matcher import ProgramConfig, load_survey
from matcher.intake.normalize import _FAST_FORMATS, _TIMESTAMP_FORMATS, _fast_pattern, parse_time


def strptime(text: str, fmt: str) -> datetime | str:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return "ValueError"


def fast(text: str, fmt: str) -> datetime | str:
    try:
        return parse_time(text, fmt)
    except ValueError:
        return "ValueError"


def test_the_usual_formats_take_the_fast_path() -> None:
    assert set(_FAST_FORMATS) == {
        "%m/%d/%Y %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    }
    assert set(_TIMESTAMP_FORMATS) > set(_FAST_FORMATS)


@pytest.mark.parametrize(
    "fmt", ["%Y%m%d %H:%M:%S", "%m/%d/%y %H:%M:%S", "%Y-%m-%d", "%H:%M:%S", "%Y-%m-%d %H:%M:%S%%"]
)
def test_formats_that_could_split_differently_are_left_to_strptime(fmt: str) -> None:
    assert _fast_pattern(fmt) is None


EDGES = [
    "1/5/2026 09:00:00", "01/05/2026 9:0:0", "12/31/2026 23:59:59", "2/29/2024 00:00:00",
    "2/29/2026 00:00:00", "2/30/2026 09:00:00", "13/1/2026 09:00:00", "0/1/2026 09:00:00",
    "1/0/2026 09:00:00", "1/32/2026 09:00:00", "1/5/2026 24:00:00", "1/5/2026 09:60:00",
    "1/5/2026 09:00:60", "1/5/2026 09:00:61", "1/5/0000 09:00:00", "1/5/2026 09:00",
    "1/ 5/2026 09:00:00", "1/5/2026  09:00:00", " 1/5/2026 09:00:00", "1/5/2026 09:00:00 ",
    "1/5/2026\t09:00:00", "\uff11/5/2026 09:00:00", "1/5/\u0662\u0660\u0662\u0666 09:00:00",
    "001/5/2026 09:00:00", "1/5/20266 09:00:00", "2026-01-05 09:00:00", "2026-1-5 9:00:00",
    "2026-01-05T09:00:00", "2026-01-05t09:00:00", "2026-13-05 09:00:00", "", "garbage",
]  # fmt: skip


@pytest.mark.parametrize("fmt", _TIMESTAMP_FORMATS)
@pytest.mark.parametrize("text", EDGES)
def test_edges_agree_with_strptime(text: str, fmt: str) -> None:
    assert fast(text, fmt) == strptime(text, fmt)


PIECES = st.sampled_from(
    ["0", "1", "5", "9", "01", "12", "13", "29", "30", "31", "32", "59", "60", "99", "000",
     "2026", "0000", "/", "-", ":", " ", "  ", "T", "t", "\t", "\u0661", "AM", "UTC"]
)  # fmt: skip


@given(st.lists(PIECES, max_size=14).map("".join), st.sampled_from(_TIMESTAMP_FORMATS))
@example("2/29/2023 12:00:00", "%m/%d/%Y %H:%M:%S")
def test_any_text_agrees_with_strptime(text: str, fmt: str) -> None:
    assert fast(text, fmt) == strptime(text, fmt)


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(sorted(_FAST_FORMATS)),
    st.booleans(),
)
def test_printed_times_agree_with_strptime(when: datetime, fmt: str, pad: bool) -> None:
    text = when.strftime(fmt)
    if not pad:  # Google writes 1/5/2026 9:00:00, without leading zeros
        text = " ".join(
            "/".join(p.lstrip("0") or "0" for p in part.split("/")) for part in text.split(" ")
        )
    assert fast(text, fmt) == strptime(text, fmt)


@pytest.mark.parametrize(
    ("first", "kept_row"),
    [
        ("12/25/2026 09:00:00", 4),  # month first: 01/02 is 2 January, before 15 January
        ("25/12/2026 09:00:00", 3),  # day first: 01/02 is 1 February, after 15 January
    ],
)
def test_ambiguous_dates_follow_the_format_of_the_stamp_before(
    tmp_path: Path, first: str, kept_row: int
) -> None:
    """The format that read the last stamp is tried first (an export uses one format
    throughout), so which resubmission wins depends on the rows before it."""
    cfg = ProgramConfig.model_validate(
        {"intake": {"preset": "generic"}, "columns": {"timestamp": "When", "roles": "Role"}}
    )
    path = tmp_path / "s.csv"
    path.write_text(
        "When,Email,Role\n"
        f"{first},z@x.org,Mentor\n"
        "01/02/2026 09:00:00,a@x.org,Mentor\n"
        "15/01/2026 09:00:00,a@x.org,Mentor\n",
        encoding="utf-8",
    )
    people = {p.id: p for p in load_survey([path], cfg).participants}
    assert [s.row for s in people["a@x.org"].sources] == [kept_row]
