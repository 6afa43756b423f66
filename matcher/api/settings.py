"""The HTTP service's settings: defaults here, then ``COHORT_MATCHER_*`` environment
variables, then ``cohort-match serve`` options (each overriding the one before)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: Every setting ``NAME`` is read from the environment variable ``COHORT_MATCHER_NAME``.
ENV_PREFIX = "COHORT_MATCHER_"


class SettingsError(ValueError):
    """A setting (usually an environment variable) has a value that cannot be used."""


class Settings(BaseModel):
    """Where runs are stored, how many solve at once, and how big an input may be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(
        "sqlite:///cohort-matcher.db", description="SQLAlchemy URL of the run store."
    )
    max_workers: int = Field(2, ge=1, description="Solves running at once (worker threads).")
    processes: int = Field(
        0,
        ge=0,
        description="Solver processes for the synchronous matches, fed from one "
        "queue (one per core); 0 solves them on the worker threads.",
    )
    max_queue: int = Field(
        32, ge=0, description="Solves waiting for a worker; beyond it requests are refused."
    )
    max_upload_bytes: int = Field(
        10_000_000, ge=0, description="Largest request body (all uploads together), bytes."
    )
    max_participants: int = Field(20_000, ge=1, description="Most people in one match.")
    time_limit: float | None = Field(
        60.0, gt=0, description="Seconds allowed to the solvers that search (None: no limit)."
    )
    retry_after: int = Field(
        10, ge=1, description="Seconds a refused client is told to wait (Retry-After)."
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``COHORT_MATCHER_*`` variables, then ``overrides`` that are not
        None (the ``serve`` options). A bad value raises ``SettingsError`` naming it."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            text = env.get(ENV_PREFIX + name.upper())
            if text is not None:
                values[name] = None if text.strip().lower() in ("", "none") else text.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(str(p) for p in e['loc']).upper()} "
                f"({'.'.join(str(p) for p in e['loc'])}): {e['msg']}"
                for e in exc.errors()
            )
            raise SettingsError(problems) from None
