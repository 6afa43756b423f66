"""Run a block on two threads with some module constants (chunk sizes) changed.

Hypothesis runs many examples in one test call, so pytest's function-scoped
``monkeypatch`` would not put them back between examples; ``unittest.mock`` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from unittest import mock

from solvers import parallel


@contextmanager
def on_two_threads(module: ModuleType | None = None, **constants: object) -> Iterator[None]:
    """``COHORT_MATCHER_THREADS=2`` and ``module.NAME = value`` for each constant, both
    restored when the block ends."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, {parallel.ENV: "2"}))
        for name, value in constants.items():
            stack.enter_context(mock.patch.object(module, name, value))
        yield
