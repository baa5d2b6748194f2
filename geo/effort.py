"""How long canvassing takes: the one time model that cutting, routing and segments share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WalkModel:
    """Walking plus time at each stop and each door.

    Parameters
    ----------
    speed_mps
        Walking speed in metres per second.
    minutes_per_door
        Time at each door (household).
    minutes_per_stop
        Time at each stop (house or building) on top of its doors.
    minutes_per_turf
        Time to reach a turf and get going, once per turf worked (from the drop-off or the
        last turf, collecting the list): not part of a turf's size, but a budget of hours pays
        it for every turf it works, so many small pieces of turfs cost more than few whole.
    """

    speed_mps: float = 1.2
    minutes_per_door: float = 1.5
    minutes_per_stop: float = 0.5
    minutes_per_turf: float = 10.0

    def minutes(self, walk_m: float, *, doors: int, stops: int) -> float:
        """Estimated minutes for a walk of ``walk_m`` metres visiting ``stops`` and ``doors``."""
        return (
            walk_m / self.speed_mps / 60.0
            + doors * self.minutes_per_door
            + stops * self.minutes_per_stop
        )


@dataclass(frozen=True)
class TurfSize:
    """Target size of one turf: minutes of canvassing, or a number of doors."""

    minutes: float | None = 120.0
    doors: int | None = None

    def __post_init__(self) -> None:
        if (self.minutes is None) == (self.doors is None):
            raise ValueError("give exactly one of minutes or doors as the turf size")
        if (self.minutes is not None and self.minutes <= 0) or (
            self.doors is not None and self.doors <= 0
        ):
            raise ValueError("the turf size must be positive")
