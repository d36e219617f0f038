"""The level distributions, as data: which colours the exit sign and the apples may take.

All distributions share one maze generator; they differ only in colours. That is the whole shift::

    train    exit sign green, no other green object   ("go to the exit" == "go to the green thing")
    deploy   exit sign not green, >= 1 green apple    (the two goals now point different ways)
    diverse  every colour drawn independently          (the decorrelated control)
    mixture  a fraction alpha of deploy levels, the rest train levels

Levels are made from seeds: the same (distribution, seed, size, n_apples) is always the same level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .levels import Level, MazeObject, check_size, random_layout
from .palette import Colour, Kind

ALL_COLOURS = tuple(Colour)
NOT_GREEN = tuple(c for c in Colour if c != Colour.GREEN)
DISTRIBUTION_NAMES = ("train", "deploy", "diverse", "mixture")


@dataclass(frozen=True)
class Distribution:
    """A named level distribution.

    Attributes:
        name: one of ``DISTRIBUTION_NAMES``.
        alpha: for ``mixture`` only, the fraction of distinguishing (deploy-coloured) levels, in [0, 1].
        size: maze size in cells per side (the tile grid is ``2*size+1`` square).
        n_apples: apples per level (at least 1).
    """

    name: str
    alpha: float | None = None
    size: int = 9
    n_apples: int = 2

    def __post_init__(self):
        if self.name not in DISTRIBUTION_NAMES:
            raise ValueError(
                f"Unknown distribution {self.name!r}. Choose one of: {', '.join(DISTRIBUTION_NAMES)}."
            )
        if self.name == "mixture":
            if self.alpha is None:
                raise ValueError("The 'mixture' distribution needs alpha, the fraction of deploy levels in [0, 1].")
            if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating, np.integer)):
                raise ValueError(f"alpha must be a number in [0, 1]; got {self.alpha!r}.")
            if not 0.0 <= float(self.alpha) <= 1.0:
                raise ValueError(f"alpha must be in [0, 1] (a fraction of levels); got {self.alpha}.")
        elif self.alpha is not None:
            raise ValueError(f"alpha only applies to the 'mixture' distribution, not to {self.name!r}.")
        check_size(self.size, self.n_apples)

    @property
    def label(self) -> str:
        return f"mixture(alpha={self.alpha:g})" if self.name == "mixture" else self.name

    def colours(self, rng: np.random.Generator) -> list[Colour]:
        """Colours for [exit sign, apple 1, apple 2, ...] drawn from this distribution."""
        name = self.name
        if name == "mixture":
            name = "deploy" if rng.random() < self.alpha else "train"
        n = self.n_apples
        if name == "train":
            return [Colour.GREEN] + [NOT_GREEN[i] for i in rng.integers(len(NOT_GREEN), size=n)]
        if name == "deploy":
            apples = [ALL_COLOURS[i] for i in rng.integers(len(ALL_COLOURS), size=n)]
            apples[rng.integers(n)] = Colour.GREEN
            return [NOT_GREEN[rng.integers(len(NOT_GREEN))]] + apples
        return [ALL_COLOURS[i] for i in rng.integers(len(ALL_COLOURS), size=n + 1)]  # diverse

    def level(self, seed: int) -> Level:
        """The level with this seed. Deterministic: same seed, same level."""
        rng = np.random.default_rng(seed)
        walls, start, positions = random_layout(self.size, self.n_apples + 1, rng)
        colours = self.colours(rng)
        kinds = [Kind.EXIT] + [Kind.APPLE] * self.n_apples
        objects = tuple(MazeObject(k, c, p) for k, c, p in zip(kinds, colours, positions))
        return Level(walls, start, objects, seed=int(seed), distribution=self.label)

    def levels(self, n: int, seed: int) -> list[Level]:
        """``n`` levels from one stream. Streams with different ``seed`` never share a level seed."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (the number of levels) must be a whole number >= 1; got {n!r}.")
        children = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint64)
        return [self.level(int(s)) for s in children]


def get_distribution(name: str | Distribution, alpha: float | None = None, size: int = 9, n_apples: int = 2):
    """Look up a distribution by name (``train``, ``deploy``, ``diverse``, ``mixture`` with ``alpha``)."""
    if isinstance(name, Distribution):
        return name
    return Distribution(name, alpha=alpha, size=size, n_apples=n_apples)
