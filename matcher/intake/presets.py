"""Survey-tool export conventions, detected from the header."""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.config import Preset


@dataclass(frozen=True)
class PresetRules:
    """How one survey tool writes its export."""

    preset: Preset
    list_separator: str
    #: Canonical field -> exact headers the tool always writes for it.
    columns: dict[str, list[str]] = field(default_factory=dict)
    #: Answers that mean "no answer" for identity columns (Microsoft's anonymous forms).
    anonymous: frozenset[str] = frozenset()


GOOGLE = PresetRules(
    Preset.GOOGLE,
    ", ",
    {"timestamp": ["Timestamp"], "email": ["Email Address", "Email address"]},
)
MICROSOFT = PresetRules(
    Preset.MICROSOFT,
    ";",
    {"timestamp": ["Completion time"], "email": ["Email"], "name": ["Name"]},
    frozenset({"anonymous"}),
)
GENERIC = PresetRules(Preset.GENERIC, ";")

_BY_NAME = {Preset.GOOGLE: GOOGLE, Preset.MICROSOFT: MICROSOFT, Preset.GENERIC: GENERIC}


def detect(headers: list[str], wanted: Preset) -> PresetRules:
    """The configured preset, or for ``auto`` the one whose signature the header carries."""
    if wanted is not Preset.AUTO:
        return _BY_NAME[wanted]
    lowered = [h.casefold() for h in headers]
    if lowered[:3] == ["id", "start time", "completion time"]:
        return MICROSOFT
    if lowered and lowered[0] == "timestamp":
        return GOOGLE
    return GENERIC
