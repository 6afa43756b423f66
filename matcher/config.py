"""The program config (TOML), validated by pydantic. Every key is documented in
``data/sample_program.toml``; an unknown key is an error, so typos never pass silently."""

from __future__ import annotations

import difflib
import tomllib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
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
from solvers.circles import CIRCLE_METHODS
from solvers.objectives import Goal
from solvers.pairing import PAIRING_METHODS
from solvers.solution import pick_method

#: Canonical participant fields a survey column can be mapped to.
FIELDS = (
    "id", "name", "email", "timestamp", "roles", "goals", "expertise", "seniority",
    "department", "location", "timezone", "languages", "capacity", "demand", "format",
    "preferred", "avoid", "manager", "commitments", "category",
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


class Attributes(_Strict):
    """Opt-in demographic answers: read only for people who consent, used only for
    cohort-level balance, never shown in a pair's explanation or written to logs."""

    consent: HeaderList = Field(
        default_factory=list, description="Consent question; a 'yes' answer opts in."
    )
    columns: dict[str, HeaderList] = Field(
        default_factory=dict, description="Attribute name -> question header(s)."
    )

    @model_validator(mode="after")
    def _consent_required(self) -> Self:
        if self.columns and not self.consent:
            raise ValueError("attributes.columns needs attributes.consent: answers are opt-in")
        return self


class Answers(_Strict):
    roles: dict[str, list[Role]] = Field(default_factory=dict)
    format: dict[str, MeetingFormat] = Field(default_factory=dict)
    levels: dict[str, Annotated[int, Field(ge=0, le=5)]] = Field(
        default_factory=dict, description="Expertise level labels (0-5), e.g. Expert = 5."
    )


class Mentoring(_Strict):
    default_capacity: int = Field(2, ge=0)
    default_demand: int = Field(1, ge=0)
    max_capacity: int = Field(10, ge=1, description="Larger answers are capped, with a warning.")
    method: str = "pruned_flow"
    objective: Goal = Field(
        "coverage",
        description="coverage: most places filled, then best total; total: best total; "
        "fair: the worst-off pair as good as possible, then the total; stable: no blocking "
        "pairs; people: the most people with a first partner, then places, then total.",
    )
    rankings: Literal["scores", "stated"] = Field(
        "scores",
        description="What people rank each other by, for stable and the blocking-pair "
        "count. stated: the people each named as preferred first, then the rest by score.",
    )

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        pick_method(ASSIGNMENT_METHODS, value, "assignment")  # an unknown name is a config error
        return value

    @property
    def flow_objective(self) -> Literal["coverage", "total"]:
        """What the problem itself maximises: fair, stable and people run their own
        algorithms on a coverage problem, and circles (no such variants) use coverage."""
        return "total" if self.objective == "total" else "coverage"


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
        3.0,
        ge=0.01,
        le=1000,
        description="Levels away from the ideal at which seniority fit reaches 0 "
        "(0.01-1000: smaller would overflow the division, larger makes every gap fit).",
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

    @field_validator("reference_date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date written YYYY-MM-DD") from None
        return value


class Rules(_Strict):
    min_seniority_gap: int | None = Field(1, description="Mentor at least this far above.")
    max_seniority_gap: int | None = None
    require_shared_language: bool = True
    different_department: bool = False
    different_location: bool = False
    min_score: float = Field(0.0, ge=0, le=100)


CategorySource = Literal["category", "seniority", "department"]


class Categories(_Strict):
    """Kinds of mentor, with per-kind demand (CIERA: '1 graduate and 1 faculty mentor')."""

    mentor_category: CategorySource = Field(
        "category", description="Field giving a mentor's kind (seniority: its label)."
    )
    mentee_category: CategorySource = Field(
        "category", description="Field giving a mentee's kind, for per-kind mentor capacity."
    )
    demand: dict[str, HeaderList] = Field(
        default_factory=dict, description="Kind -> header(s): how many mentors of it."
    )
    capacity: dict[str, HeaderList] = Field(
        default_factory=dict, description="Mentee kind -> header(s): how many such mentees."
    )


class Diagnosis(_Strict):
    """What a run works out beyond the matches: each person's next-best partners, and
    which small changes to the input would place more of the unmatched (each variation
    tried costs one re-solve of its track)."""

    alternates: int = Field(3, ge=0, description="Next-best partners listed per person; 0: none.")
    max_variations: int = Field(
        30, ge=0, description="Most re-solved variations per track when looking for fixes; 0: none."
    )


TrackName = Literal["mentoring", "reverse", "peer", "circles"]
#: Every track, in the default solving order.
TRACKS: tuple[TrackName, ...] = ("mentoring", "reverse", "peer", "circles")
#: Tracks whose cohorts are pairs: the ones pins, forbids and history act on.
PAIR_TRACKS: tuple[TrackName, ...] = ("mentoring", "reverse", "peer")


def _pair_spec(value: list[str]) -> list[str]:
    if len(value) not in (2, 3):
        raise ValueError(f"expected [person, partner] or [person, partner, track], got {value}")
    if len(value) == 3 and value[2] not in PAIR_TRACKS:
        raise ValueError(f"track {value[2]!r} is not one of {', '.join(PAIR_TRACKS)}")
    return value


PairSpec = Annotated[list[str], AfterValidator(_pair_spec)]


class Control(_Strict):
    """The coordinator's say: pairs that must be made and pairs never to make (ids or
    names; an optional third item names the track), and how earlier rounds weigh in."""

    pins: list[PairSpec] = Field(default_factory=list, description="[a, b] or [a, b, track].")
    forbids: list[PairSpec] = Field(default_factory=list, description="[a, b] or [a, b, track].")
    unmatched_bonus: float = Field(
        10.0, ge=0, le=100,
        description="Points (0-100 scale) the solver adds to pairs of someone left unmatched "
        "in an earlier round (--history); their shown score is unchanged.",
    )  # fmt: skip


class TrackSettings(_Strict):
    """A track's own settings; keys left out take the program's (or the track default)."""

    enabled: bool = True
    weights: dict[str, float] = Field(default_factory=dict)
    scoring: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, Any] = Field(default_factory=dict)
    mentoring: dict[str, Any] = Field(default_factory=dict)
    candidates_per_person: int = Field(
        40, ge=1, description="Peer track: each person's best peers kept as candidates."
    )
    pairing_method: str = Field("pruned_blossom", description="Peer track: the matching method.")

    @field_validator("pairing_method")
    @classmethod
    def _known_pairing(cls, value: str) -> str:
        pick_method(PAIRING_METHODS, value, "pairing")  # an unknown name is a config error
        return value


#: What makes each track differ from classic mentoring unless the config says otherwise.
TRACK_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "mentoring": {},
    # A junior teaches a senior: the teacher is at least one level below.
    "reverse": {"rules": {"min_seniority_gap": None, "max_seniority_gap": -1},
                "scoring": {"preferred_gap": -2}},
    # Peers: a similar level, within two levels either way.
    "peer": {"rules": {"min_seniority_gap": -2, "max_seniority_gap": 2},
             "scoring": {"preferred_gap": 0}},
    "circles": {},
}  # fmt: skip


class CircleSettings(TrackSettings):
    """Circles: themed groups formed with composition rules (see solvers/circles.py)."""

    min_size: int = Field(4, ge=2)
    max_size: int = Field(6, ge=2)
    max_per_department: int | None = Field(2, ge=1, description="None: no limit.")
    min_experts: int = Field(1, ge=0, description="Members with expertise in the theme.")
    mentor_per_circle: bool = Field(False, description="Exactly one mentor leads each circle.")
    min_level_spread: int | None = Field(None, ge=0, description="Seniority levels spanned.")
    themes: int = Field(20, ge=1, description="Most themes offered (the most wanted goals).")
    balance: str | None = Field(
        None, description="Opt-in attribute to balance: no value above max_share of a circle."
    )
    max_share: float = Field(0.5, gt=0, le=1)
    method: str = Field("decomposed", description="cp_sat | decomposed | greedy.")
    time_limit: float = Field(60.0, gt=0, description="Seconds for the circle solver.")

    @field_validator("method")
    @classmethod
    def _known_circle_method(cls, value: str) -> str:
        pick_method(CIRCLE_METHODS, value, "circle")  # an unknown name is a config error
        return value

    @model_validator(mode="after")
    def _sizes(self) -> Self:
        if self.min_size > self.max_size:
            raise ValueError("min_size must not exceed max_size")
        return self


class Tracks(_Strict):
    order: list[TrackName] = Field(
        default_factory=lambda: list(TRACKS),
        description="Tracks solve in this order; commitments used bound the later ones.",
    )
    default_commitments: int | None = Field(
        None, ge=0, description="Most partners per person over all tracks, if unanswered."
    )
    mentoring: TrackSettings = TrackSettings()
    reverse: TrackSettings = TrackSettings()
    peer: TrackSettings = TrackSettings()
    circles: CircleSettings = CircleSettings()


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
    tracks: Tracks = Tracks()
    categories: Categories = Categories()
    attributes: Attributes = Attributes()
    diagnosis: Diagnosis = Diagnosis()
    control: Control = Control()

    @model_validator(mode="after")
    def _tracks_valid(self) -> Self:
        for name in TRACKS:
            track = self.for_track(name)  # raises on a bad override
            objective = track.mentoring.objective
            grouped_ok = objective in ("coverage", "total")
            if name == "mentoring" and self.categories.demand and not grouped_ok:
                raise ValueError(
                    f"mentoring.objective {objective!r} is not available with per-kind demand "
                    "([categories]): use coverage or total"
                )
        return self

    def for_track(self, name: str) -> ProgramConfig:
        """The config one track runs with: the program's, then the track's defaults and
        the track's own settings on top (each section validated again)."""
        settings: TrackSettings = getattr(self.tracks, name)
        sections: dict[str, type[BaseModel]] = {
            "weights": Weights,
            "scoring": Scoring,
            "rules": Rules,
            "mentoring": Mentoring,
        }
        update: dict[str, BaseModel] = {}
        for section, model in sections.items():
            merged = getattr(self, section).model_dump()
            merged.update(TRACK_DEFAULTS[name].get(section, {}))
            merged.update(getattr(settings, section))
            try:
                update[section] = model.model_validate(merged)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"tracks.{name}.{section}.{where}: {first['msg']}") from None
        return self.model_copy(update=update)

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
        if field.startswith(("demand:", "capacity:")):
            return "sum"  # per-kind counts: branching copies of a grid add up
        if field.startswith(("attribute:", "consent")):
            return "first"
        if field in self.combine:
            return self.combine[field]
        return "join" if field == "name" else "first"

    def with_objective(self, objective: str | None) -> ProgramConfig:
        """This config with ``mentoring.objective`` replaced (``--objective``), validated
        again; ``None`` keeps it. Tracks that set their own objective keep theirs."""
        if objective is None:
            return self
        raw = self.model_dump()
        raw["mentoring"]["objective"] = objective
        try:
            return ProgramConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"--objective {objective}: {exc.errors()[0]['msg']}") from None

    @classmethod
    def load(cls, path: Path | None) -> ProgramConfig:
        """Read and validate a TOML file; ``None`` gives the defaults."""
        if path is None:
            return cls()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config: {exc.strerror}") from None
        try:
            text = data.decode("utf-8-sig")  # Windows editors save a BOM
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path}: not UTF-8 text (byte {exc.start}); save the config as UTF-8"
            ) from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(_config_problem(cls, err) for err in exc.errors())
            raise ConfigError(f"{path}: {problems}") from None


def _config_problem(model: type[BaseModel], err: Any) -> str:
    """One validation error as 'key: what is wrong (got value)'; an unknown key lists the
    keys its table allows, so a typo is fixed without opening the docs."""
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or "(top)"
    if err["type"] != "extra_forbidden":
        value = err.get("input")
        got = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
        return f"{where}: {err['msg']}{got}"
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return f"{where}: unknown key"
        model = annotation
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(loc[-1], allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{where}: unknown key; {hint}expected one of: {', '.join(allowed)}"
