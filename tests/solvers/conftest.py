"""Make the repository root importable for the solver tests.

The project is not installed into the virtualenv and ``pyproject.toml`` sets no pytest
``pythonpath``, so ``.venv/bin/pytest`` (whose ``sys.path[0]`` is ``.venv/bin``) could not
import ``solvers``. Once ``pythonpath = ["."]`` is set or the project is installed, this
becomes a no-op and can be deleted.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
