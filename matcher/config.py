"""The program config (TOML), validated by pydantic. Every key is documented in
``data/sample_program.toml``; an unknown key is an error, so typos never pass silently."""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matcher.models import MeetingFormat, Role
from solvers import ASSIGNMENT_METHODS

#: Canonical participant fields a survey column can be mapped to.
FIELDS = (
    "id", "name", "email", "timestamp", "roles", "goals", "expertise", "seniority",
    "department", "location", "timezone", "languages", "capacity", "demand", "format",
    "preferred", "avoid", "manager",
)  # fmt: skip


class ConfigError(ValueError):
    """The config file is unreadable or invalid; the message names the file and key."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


HeaderList = Annotated[list[str], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Preset(StrEnum):
    AUTO = "auto"
    GOOGLE = "google"
    MICROSOFT = "microsoft"
    GENERIC = "generic"


class Source(_Strict):
    """Per-file defaults: separate mentor and mentee forms rarely ask 'which role?'."""

    match: str = Field(description="Glob on the file name, e.g. '*mentor*'.")
    roles: list[Role]


class Intake(_Strict):
    preset: Preset = Preset.AUTO
    id: Literal["email", "name", "id"] = Field(
        "email", description="Field that identifies a person; falls back to name if absent."
    )
    list_separator: str | None = Field(
        None, description="Multi-select separator; the preset's when unset."
    )
    name_list_separator: str = Field(";", description="Separator of preferred/avoid lists.")
    missing: list[str] = Field(default_factory=lambda: ["NA", "N/A", "n/a", "-", "none"])
    sources: list[Source] = Field(default_factory=list)


Combine = Literal["first", "join", "sum"]


class Seniority(_Strict):
    ladder: list[str] = Field(default_factory=list, description="Labels, junior first.")
    aliases: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aliases_point_into_ladder(self) -> Self:
        for alias, target in self.aliases.items():
            if target not in self.ladder:
                raise ValueError(f"alias {alias!r} points to {target!r}, not in the ladder")
        return self


class Answers(_Strict):
    roles: dict[str, list[Role]] = Field(default_factory=dict)
    format: dict[str, MeetingFormat] = Field(default_factory=dict)
    levels: dict[str, int] = Field(
        default_factory=dict, description="Expertise level labels, e.g. Expert = 5."
    )


class Mentoring(_Strict):
    default_capacity: int = Field(2, ge=0)
    default_demand: int = Field(1, ge=0)
    max_capacity: int = Field(10, ge=1, description="Larger answers are capped, with a warning.")
    method: str = "pruned_flow"
    objective: Literal["coverage", "total"] = "coverage"

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in ASSIGNMENT_METHODS:
            raise ValueError(f"unknown method {value!r}; known: {', '.join(ASSIGNMENT_METHODS)}")
        return value


class Weights(_Strict):
    goals: float = Field(0.40, ge=0)
    seniority: float = Field(0.20, ge=0)
    new_ties: float = Field(0.15, ge=0)
    time_overlap: float = Field(0.10, ge=0)
    preference: float = Field(0.15, ge=0)


TieDirection = Literal["different", "same", "ignore"]


class Scoring(_Strict):
    preferred_gap: int = Field(2, description="Ideal levels between mentor and mentee.")
    gap_tolerance: float = Field(
        3.0, gt=0, description="Levels away from the ideal at which seniority fit reaches 0."
    )
    department: TieDirection = "different"
    location: TieDirection = "different"
    working_hours: tuple[int, int] = (9, 17)
    reference_date: str = Field(
        "2026-01-15", description="Date at which IANA timezones are turned into offsets."
    )
    expertise_default_level: int = Field(
        4, ge=1, le=5, description="Level of a topic listed without one."
    )


class Rules(_Strict):
    min_seniority_gap: int | None = Field(1, description="Mentor at least this far above.")
    max_seniority_gap: int | None = None
    require_shared_language: bool = True
    different_department: bool = False
    different_location: bool = False
    min_score: float = Field(0.0, ge=0, le=100)


class ProgramConfig(_Strict):
    """A mentoring program: how to read its survey and what makes a good match."""

    name: str = "Mentoring program"
    intake: Intake = Intake()
    columns: dict[str, HeaderList] = Field(default_factory=dict)
    combine: dict[str, Combine] = Field(default_factory=dict)
    options: dict[str, list[str]] = Field(default_factory=dict)
    answers: Answers = Answers()
    seniority: Seniority = Seniority()
    mentoring: Mentoring = Mentoring()
    weights: Weights = Weights()
    scoring: Scoring = Scoring()
    rules: Rules = Rules()

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        for table in ("columns", "combine", "options"):
            for key in getattr(self, table):
                if key not in FIELDS:
                    raise ValueError(
                        f"[{table}] has unknown field {key!r}; fields: {', '.join(FIELDS)}"
                    )
        return self

    def combine_for(self, field: str) -> Combine:
        if field in self.combine:
            return self.combine[field]
        return "join" if field == "name" else "first"

    @classmethod
    def load(cls, path: Path | None) -> ProgramConfig:
        """Read and validate a TOML file; ``None`` gives the defaults."""
        if path is None:
            return cls()
        try:
            with path.open("rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigError(f"{path}: {problems}") from None
