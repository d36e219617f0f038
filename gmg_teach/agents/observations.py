"""What the agent sees: named, swappable observation functions.

An observation turns (level, tile) into a few small whole numbers, one per *cue*. Agents never see the maze
itself, so everything they can learn is in these cues.

``Cues`` is the course's main observation: two compasses.

* the **green cue**: the first step of the shortest path to the nearest green object, and
* the **exit cue**: the first step of the shortest path to the exit sign,

each a direction (0-3 = up, right, down, left) or 4 = "none in this level". A cue can be *misread*: with
probability ``misread`` the agent sees a random wrong direction. A cue that is misread more often is less salient,
so harder to rely on: that is the knob that decides which goal a learner picks up when the two cues always agree.

Every observation has ``sizes(tables)`` (how many values each cue takes) and
``observe(tables, level, tile, rng)`` (a batch of cue vectors, shape ``(batch, n_cues)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.tables import NO_CUE, MazeTables


def _check_probability(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1; got {value!r}.")


def misread(true_step: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """With probability ``p`` replace each direction by a uniformly random *other* direction ("none" stays)."""
    if p == 0.0:
        return true_step
    wrong = (true_step + rng.integers(1, 4, size=true_step.shape)) % 4
    flip = (rng.random(true_step.shape) < p) & (true_step != NO_CUE)
    return np.where(flip, wrong, true_step)


@dataclass(frozen=True)
class Cues:
    """Two compass cues, toward the nearest green object and toward the exit sign.

    Attributes:
        green_misread: probability that the green cue shows a random wrong direction on a step.
        exit_misread: probability that the exit cue shows a random wrong direction on a step.
    """

    green_misread: float = 0.0
    exit_misread: float = 0.15

    name = "cues"
    cue_names = ("green cue", "exit cue")

    def __post_init__(self):
        _check_probability("green_misread", self.green_misread)
        _check_probability("exit_misread", self.exit_misread)

    def sizes(self, tables: MazeTables) -> tuple[int, ...]:
        return (5, 5)

    def observe(self, tables: MazeTables, level, tile, rng: np.random.Generator) -> np.ndarray:
        green = misread(tables.green_step[level, tile].astype(np.int64), self.green_misread, rng)
        exit_ = misread(tables.exit_step[level, tile].astype(np.int64), self.exit_misread, rng)
        return np.stack([green, exit_], axis=-1)

    def swapped(self) -> "Cues":
        """The same observation with the two cues' salience exchanged (the inductive-bias flip)."""
        return Cues(green_misread=self.exit_misread, exit_misread=self.green_misread)


@dataclass(frozen=True)
class LostCues(Cues):
    """The same two cues, but both always read "none": a deployment where the agent has lost its senses."""

    name = "lost cues"

    def observe(self, tables: MazeTables, level, tile, rng: np.random.Generator) -> np.ndarray:
        return np.full(np.shape(tile) + (2,), NO_CUE, dtype=np.int64)


@dataclass(frozen=True)
class Position:
    """The agent sees which tile it is on, and nothing else: classic tabular RL on one fixed level."""

    name = "position"
    cue_names = ("tile",)

    def sizes(self, tables: MazeTables) -> tuple[int, ...]:
        return (tables.n_tiles,)

    def observe(self, tables: MazeTables, level, tile, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(tile, dtype=np.int64)[..., None]


@dataclass(frozen=True)
class Blind:
    """The agent sees nothing at all: whatever it learns, it cannot find anything on purpose."""

    name = "blind"
    cue_names = ("nothing",)

    def sizes(self, tables: MazeTables) -> tuple[int, ...]:
        return (1,)

    def observe(self, tables: MazeTables, level, tile, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(np.shape(tile) + (1,), dtype=np.int64)


OBSERVATIONS = {"cues": Cues, "lost_cues": LostCues, "position": Position, "blind": Blind}


def get_observation(observation) -> Cues | LostCues | Position | Blind:
    """An observation object from itself or its name (``cues``, ``position``, ``blind``)."""
    if isinstance(observation, str):
        if observation not in OBSERVATIONS:
            raise ValueError(f"Unknown observation {observation!r}. Choose one of: {', '.join(OBSERVATIONS)}.")
        return OBSERVATIONS[observation]()
    if not hasattr(observation, "observe") or not hasattr(observation, "sizes"):
        raise ValueError(
            f"observation must be a name ({', '.join(OBSERVATIONS)}) or an object with sizes() and observe(); "
            f"got {observation!r}."
        )
    return observation
