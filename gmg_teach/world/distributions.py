"""The level distributions, as data: one building, and which colours the exit sign and the apples may take.

Every distribution lives in the same *building*: one maze layout made from ``layout`` (a seed), so an agent that
learns its way around can use what it learned in every episode. Per episode the start, the object placements (dead
ends) and the colours change. The distributions differ only in colours; that is the whole shift::

    train    exit sign green, no other green object   ("go to the exit" == "go to the green thing")
    deploy   exit sign not green, >= 1 green apple    (the two goals now point different ways)
    diverse  every colour drawn independently          (the decorrelated control)
    mixture  a fraction alpha of deploy levels, the rest train levels

``renovation`` (a number of walls moved, see :func:`~gmg_teach.world.levels.renovate`) gives the same distribution
in the renovated building: a shift of the agent's skill, not of its goal.

Levels are made from seeds: the same (distribution, seed) is always the same level. Every configuration (start,
placements, colours) falls in one of two halves, ``train`` or ``held_out``, by a fixed hash of the configuration
(:func:`configuration_split`). Training draws from one half and evaluation from the other, so an evaluation episode
is never one the agent met in training.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .levels import Level, LevelError, MazeObject, cell_tiles, check_size, dead_ends, generate_maze, renovate
from .palette import Colour, Kind

ALL_COLOURS = tuple(Colour)
NOT_GREEN = tuple(c for c in Colour if c != Colour.GREEN)
DISTRIBUTION_NAMES = ("train", "deploy", "diverse", "mixture")
SPLITS = ("train", "held_out")
DEFAULT_MIXTURE_ALPHA = 0.05
"""The alpha of the registered ``gmg_teach/ColourMaze-mixture-v0`` id when none is given."""


@lru_cache(maxsize=64)
def building(size: int = 9, layout: int = 0, renovation: int = 0) -> np.ndarray:
    """The walls of building ``layout`` (a seed), with ``renovation`` walls moved. Read-only; cached."""
    check_size(size, 1)
    walls = generate_maze(size, np.random.default_rng([int(layout), 0]))
    if renovation:
        walls = renovate(walls, renovation, np.random.default_rng([int(layout), 1]))
    walls.setflags(write=False)
    return walls


@lru_cache(maxsize=64)
def _placements(size: int, layout: int, renovation: int) -> tuple[np.ndarray, np.ndarray]:
    """Tile numbers of the building's dead ends (where objects go) and of its cells (where episodes start)."""
    walls = building(size, layout, renovation)
    width = walls.shape[1]
    ends = np.array([r * width + c for r, c in dead_ends(walls)])
    cells = np.array([r * width + c for r, c in cell_tiles(walls)])
    return ends, cells


def configuration_key(level: Level) -> bytes:
    """What makes an episode's configuration *as the agent can tell it*: the start, and each object's tile, kind and
    colour, objects in tile order (the order of the observation). Two levels that differ only in the order their
    objects are listed look the same to the agent, so they get the same key and fall in the same half."""
    objects = sorted(level.objects, key=lambda o: o.position)
    parts = [*level.start] + [int(v) for o in objects for v in (*o.position, o.kind, o.colour)]
    return np.array(parts, dtype=np.int16).tobytes()


def configuration_split(level: Level) -> str:
    """``"train"`` or ``"held_out"``: a fixed hash of the configuration decides, whatever the seed."""
    return SPLITS[zlib.crc32(configuration_key(level)) & 1]


def _check_number(name: str, value, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}; got {value!r}.")
    if not lo <= float(value) <= hi:
        raise ValueError(f"{name} must be from {lo:g} to {hi:g}; got {value}.")


@dataclass(frozen=True)
class Distribution:
    """A named level distribution in one building.

    Attributes:
        name: one of ``DISTRIBUTION_NAMES``.
        alpha: for ``mixture`` only, the fraction of distinguishing (deploy-coloured) levels, in [0, 1].
        size: maze size in cells per side (the tile grid is ``2*size+1`` square).
        n_apples: apples per level (at least 1).
        layout: the building's seed: which maze every episode is played in.
        renovation: walls moved in the building (0: the building as built).
    """

    name: str
    alpha: float | None = None
    size: int = 9
    n_apples: int = 2
    layout: int = 0
    renovation: int = 0

    def __post_init__(self):
        if self.name not in DISTRIBUTION_NAMES:
            raise ValueError(
                f"Unknown distribution {self.name!r}. Choose one of: {', '.join(DISTRIBUTION_NAMES)}."
            )
        if self.name == "mixture":
            if self.alpha is None:
                raise ValueError("The 'mixture' distribution needs alpha, the fraction of deploy levels in [0, 1].")
            _check_number("alpha", self.alpha, 0.0, 1.0)
        elif self.alpha is not None:
            raise ValueError(f"alpha only applies to the 'mixture' distribution, not to {self.name!r}.")
        check_size(self.size, self.n_apples)
        for name in ("layout", "renovation"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0; got {value!r}.")

    @property
    def label(self) -> str:
        label = f"mixture(alpha={self.alpha:g})" if self.name == "mixture" else self.name
        return label + (f", renovated({self.renovation})" if self.renovation else "")

    @property
    def walls(self) -> np.ndarray:
        return building(self.size, self.layout, self.renovation)

    def _colours(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Colours ``(n, 1 + n_apples)`` for [exit sign, apple 1, ...] of ``n`` episodes."""
        k = self.n_apples
        colours = rng.integers(len(ALL_COLOURS), size=(n, k + 1))  # diverse: all independent
        not_green = np.asarray(NOT_GREEN)[rng.integers(len(NOT_GREEN), size=(n, k + 1))]
        if self.name == "mixture":
            deploy = rng.random(n) < self.alpha
            train = ~deploy
        else:
            train = np.full(n, self.name == "train")
            deploy = np.full(n, self.name == "deploy")
        colours[train, 0] = Colour.GREEN
        colours[train, 1:] = not_green[train, 1:]
        colours[deploy, 0] = not_green[deploy, 0]
        green_apple = 1 + rng.integers(k, size=n)
        colours[deploy, green_apple[deploy]] = Colour.GREEN
        return colours

    def sample(self, n: int, rng: np.random.Generator, split: str | None = None) -> "Episodes":
        """``n`` episode configurations as arrays; with ``split``, only configurations of that half."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (the number of episodes) must be a whole number >= 1; got {n!r}.")
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None; got {split!r}.")
        ends, cells = _placements(self.size, self.layout, self.renovation)
        n_obj = self.n_apples + 1
        if len(ends) < n_obj:
            raise LevelError(f"This building has {len(ends)} dead ends, too few for 1 exit and {self.n_apples} apples.")
        parts = []
        while sum(len(p.start) for p in parts) < n:
            m = n if split is None else 2 * n + 8
            # Objects in distinct dead ends (a perfect maze's leaves: no object ever stands in another's way).
            tiles = ends[np.argsort(rng.random((m, len(ends))), axis=1)[:, :n_obj]]
            # The start: a uniformly random cell that holds no object.
            free = ~(cells[None, :, None] == tiles[:, None, :]).any(axis=2)
            start = cells[np.argmax(rng.random((m, len(cells))) * free, axis=1)]
            kinds = np.tile(np.array([Kind.EXIT] + [Kind.APPLE] * self.n_apples), (m, 1))
            episodes = Episodes(self, start, tiles, kinds, self._colours(m, rng))
            if split is not None:
                episodes = episodes.subset(episodes.split() == split)
            parts.append(episodes)
        return Episodes.concatenate(parts).subset(slice(0, n))

    def level(self, seed: int) -> Level:
        """The level with this seed. Deterministic: same seed, same level."""
        return self.sample(1, np.random.default_rng(seed)).level(0, seed=int(seed))

    def levels(self, n: int, seed: int, split: str | None = None) -> list[Level]:
        """``n`` levels from one seed stream (see :meth:`sample`)."""
        episodes = self.sample(n, np.random.default_rng(seed), split)
        return [episodes.level(i) for i in range(n)]


@dataclass(frozen=True, eq=False)
class Episodes:
    """Episode configurations in one building, as arrays (tiles numbered ``row * width + column``).

    Attributes:
        distribution: where they were drawn from (its walls are the building).
        start: ``(n,)`` start tile.
        object_tile, object_kind, object_colour: ``(n, objects)``; object 0 is the exit sign.
    """

    distribution: Distribution
    start: np.ndarray
    object_tile: np.ndarray
    object_kind: np.ndarray
    object_colour: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def keys(self) -> list[bytes]:
        """Each configuration's key (see :func:`configuration_key`)."""
        width = self.distribution.walls.shape[1]
        sr, sc = np.divmod(self.start, width)
        order = np.argsort(self.object_tile, axis=1, kind="stable")  # tile order, as the agent sees them
        tile, kind, colour = (np.take_along_axis(a, order, axis=1)
                              for a in (self.object_tile, self.object_kind, self.object_colour))
        orow, ocol = np.divmod(tile, width)
        obj = np.stack([orow, ocol, kind, colour], axis=2).reshape(len(self), -1)
        rows = np.concatenate([sr[:, None], sc[:, None], obj], axis=1).astype(np.int16)
        return [row.tobytes() for row in rows]

    def split(self) -> np.ndarray:
        """``"train"`` or ``"held_out"`` per configuration."""
        return np.array([SPLITS[zlib.crc32(k) & 1] for k in self.keys()])

    def subset(self, index) -> "Episodes":
        return Episodes(self.distribution, self.start[index], self.object_tile[index], self.object_kind[index],
                        self.object_colour[index])

    @staticmethod
    def concatenate(parts: list["Episodes"]) -> "Episodes":
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        return Episodes(parts[0].distribution, cat("start"), cat("object_tile"), cat("object_kind"),
                        cat("object_colour"))

    def level(self, i: int, seed: int | None = None) -> Level:
        """Episode ``i`` as a :class:`Level`."""
        walls = self.distribution.walls
        width = walls.shape[1]
        objects = tuple(
            MazeObject(Kind(int(k)), Colour(int(c)), tuple(int(v) for v in divmod(int(t), width)))
            for k, c, t in zip(self.object_kind[i], self.object_colour[i], self.object_tile[i])
        )
        start = tuple(int(v) for v in divmod(int(self.start[i]), width))
        return Level(walls, start, objects, seed=seed, distribution=self.distribution.label)


def get_distribution(name: str | Distribution, alpha: float | None = None, **kwargs) -> Distribution:
    """Look up a distribution by name (``train``, ``deploy``, ``diverse``, ``mixture`` with ``alpha``).

    Keyword arguments (``size``, ``n_apples``, ``layout``, ``renovation``) go to :class:`Distribution`.
    """
    if isinstance(name, Distribution):
        return name
    return Distribution(name, alpha=alpha, **kwargs)
