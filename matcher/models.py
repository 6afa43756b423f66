"""One pydantic model per concept, shared by the CLI, the API and the outputs."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    PEER = "peer"
    REVERSE_MENTOR = "reverse_mentor"
    REVERSE_MENTEE = "reverse_mentee"
    #: A member of a mentoring circle (a small group that meets regularly).
    CIRCLE = "circle"


class MeetingFormat(StrEnum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    EITHER = "either"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Issue(BaseModel):
    """A problem found in the input, located precisely enough to fix it."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    file: str
    row: int | None = Field(None, description="Spreadsheet row (the header is row 1).")
    column: str | None = None
    value: str | None = None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = f": value {self.value!r}" if self.value is not None else ""
        return f"{self.severity.value}: {where}{value}: {self.message}"


class Expertise(BaseModel):
    model_config = ConfigDict(frozen=True)

    topic: str
    level: int | None = Field(None, ge=1, le=5)


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    row: int


class Participant(BaseModel):
    """A person after column mapping and normalisation (ARCHITECTURE.md's canonical fields)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    email: str | None = None
    roles: tuple[Role, ...]
    goals: tuple[str, ...] = ()
    expertise: tuple[Expertise, ...] = ()
    seniority: int | None = None
    seniority_label: str | None = None
    department: str | None = None
    location: str | None = None
    timezone: str | None = None
    utc_offset: float | None = Field(None, description="Hours east of UTC, from timezone.")
    languages: tuple[str, ...] = ()
    capacity: int | None = Field(None, ge=0)
    demand: int | None = Field(None, ge=0)
    format: MeetingFormat = MeetingFormat.EITHER
    preferred: tuple[str, ...] = Field((), description="Ids of people this person asked for.")
    avoid: tuple[str, ...] = Field((), description="Ids of people never to pair with.")
    manager: str | None = None
    category: str | None = Field(None, description="Kind of mentor or mentee, if any.")
    category_demand: dict[str, int] = Field(
        default_factory=dict, description="Mentors wanted of each kind."
    )
    category_capacity: dict[str, int] = Field(
        default_factory=dict, description="Mentees taken of each kind."
    )
    commitments: int | None = Field(
        None, ge=0, description="Most partners or groups over all tracks together."
    )
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Opt-in demographic answers: cohort-level balance only, never explained.",
    )
    sources: tuple[SourceRef, ...] = ()


class Member(BaseModel):
    id: str
    name: str
    role: Role


class PairResult(BaseModel):
    """One matched pair; ``components`` are score points that add up to ``score``."""

    a: str
    b: str
    score: float = Field(description="0-100")
    components: dict[str, float]
    reasons: list[str]
    change: Literal["kept", "new"] | None = Field(
        None, description="Rematch only: a pair of the previous run kept, or a new one."
    )


class Cohort(BaseModel):
    id: str
    track: str
    members: list[Member]
    pairs: list[PairResult]
    score: float = Field(description="Mean pair score, 0-100.")


class Circle(BaseModel):
    """A mentoring circle: a theme, its members (one may lead as mentor), and each
    member's fit to the theme (0-100)."""

    id: str
    theme: str
    members: list[Member]
    fit: dict[str, float]
    reasons: list[str]


class Unmatched(BaseModel):
    id: str
    name: str
    role: Role
    reason: str


class SolverReport(BaseModel):
    method: str
    status: str
    objective: float
    bound: float | None
    gap: float | None
    wall_time: float


class TrackSummary(BaseModel):
    """One track's figures. 'Left' people ask (mentees, learners, peers), 'right' offer."""

    track: str
    left: int
    right: int
    candidate_pairs: int
    pairs: int
    left_matched: int
    left_unmatched: int
    demand_total: int
    demand_met: int
    mean_score: float | None
    min_score: float | None
    objective: str = Field("coverage", description="What the track was solved for.")
    p10_score: float | None = Field(None, description="10th percentile of the pair scores.")
    blocking_pairs: int | None = Field(
        None,
        description="Candidate pairs who would both rather have each other than what they "
        "got (a place free, or a strictly higher score than their worst partner); None "
        "where not defined (circles, kinds of mentor).",
    )
    unmatched_reasons: dict[str, int]
    disabled_components: list[str]
    solver: SolverReport

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> float | None:
        """Share of the places asked for that were filled (0-1); None when none asked."""
        return round(self.demand_met / self.demand_total, 4) if self.demand_total else None


class Summary(BaseModel):
    people: int
    pairs: int
    tracks: list[TrackSummary]
    stage_seconds: dict[str, float]

    def track(self, name: str) -> TrackSummary:
        """The summary of one track (KeyError if it did not run)."""
        for item in self.tracks:
            if item.track == name:
                return item
        raise KeyError(name)


class Alternate(BaseModel):
    """One of a person's next-best partners (not the ones they got), for staged review."""

    track: str
    id: str
    rank: int = Field(ge=1)
    partner_id: str
    partner_name: str
    score: float = Field(description="0-100")


class Fix(BaseModel):
    """A small change to the input that the re-solve shows would place more people."""

    track: str
    kind: str = Field(description="e.g. raise_capacity, relax_rule")
    change: str = Field(description="The change, in plain words.")
    placed: int = Field(description="How many more requested places it fills.")
    newly_matched: list[str] = Field(default_factory=list, description="Ids now matched.")


class TopicBalance(BaseModel):
    """Supply and demand for one goal topic in one track."""

    track: str
    topic: str
    demand: int = Field(description="People asking who list the topic as a goal.")
    offering: int = Field(description="People offering who list it as expertise.")
    capacity: int = Field(description="Places those offering people have in all.")
    covered: int = Field(description="Askers whose match covers the topic.")
    short: bool = Field(description="Fewer places offer it than people want it.")


class RemovedPair(BaseModel):
    """A pair of the previous run that a rematch did not keep."""

    track: str
    a: str
    a_name: str
    b: str
    b_name: str
    reason: str


class MatchResult(BaseModel):
    cohorts: list[Cohort]
    circles: list[Circle] = []
    unmatched: list[Unmatched]
    summary: Summary
    warnings: list[Issue] = []
    alternates: list[Alternate] = []
    fixes: list[Fix] = []
    topics: list[TopicBalance] = []
    removed: list[RemovedPair] = Field(
        default_factory=list, description="Rematch only: previous pairs not kept, and why."
    )
