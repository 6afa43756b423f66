"""Shared fixtures: paths to the bundled and the real survey exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
REAL = ROOT.parent / "shared" / "data" / "real"

settings.register_profile("project", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("project")


@pytest.fixture
def real_data() -> Path:
    """The real exports live outside the repository (shared/data/real)."""
    if not REAL.is_dir():
        pytest.skip(f"real survey exports not present at {REAL}")
    return REAL
