"""``load_survey`` pauses the cyclic garbage collector; that is only free while intake
makes no reference cycles, and the collector must be left as it was found."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher import InputError, ProgramConfig, load_survey
from solvers.parallel import collector_paused

ROOT = Path(__file__).resolve().parents[2]
SURVEYS = [
    (ROOT / "data" / "sample_survey.csv", ROOT / "data" / "sample_program.toml"),
    (ROOT / "data" / "sample_msforms.csv", ROOT / "data" / "sample_msforms.toml"),
    (
        ROOT / "tests" / "intake" / "data" / "messy.csv",
        ROOT / "tests" / "intake" / "data" / "messy.toml",
    ),
]


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.parametrize(("survey", "config"), SURVEYS)
def test_intake_makes_no_reference_cycles(survey: Path, config: Path) -> None:
    program = ProgramConfig.load(config)
    load_survey([survey], program)  # first calls fill module caches
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        load_survey([survey], program)
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_enabled")
def test_collector_resumes_after_a_read_and_after_an_error(tmp_path: Path) -> None:
    survey, config = SURVEYS[0]
    load_survey([survey], ProgramConfig.load(config))
    assert gc.isenabled()
    with pytest.raises(InputError):
        load_survey([tmp_path / "missing.csv"], ProgramConfig.load(config))
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        survey, config = SURVEYS[0]
        load_survey([survey], ProgramConfig.load(config))
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_enabled")
def test_overlapping_pauses_resume_once_the_last_ends() -> None:
    """Threads reading surveys at once: the first to finish must not resume the collector
    under the other, and the last must resume it."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(5)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the thread's pause is still on
    release.set()
    thread.join(5)
    assert gc.isenabled()
