"""cohort-matcher: mentorship matching by optimisation, with reasons.

The Python API: ``load_survey`` reads exports, ``run`` does the whole job,
``ProgramConfig`` describes a program.
"""

from matcher.config import ProgramConfig
from matcher.intake import InputError, Survey, load_survey
from matcher.pipeline import RunOutput, match, run

__all__ = ["InputError", "ProgramConfig", "RunOutput", "Survey", "load_survey", "match", "run"]
