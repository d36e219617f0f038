"""Worlds of rewarding places: one building, and per episode a start plus what each tile holds.

The gallery's examples (``gmg_teach/gallery/``) are all of this shape. An episode of a :class:`PlaceWorld` is

    start[b]            the agent's first tile
    features[b, t, k]   the indices of the (at most K) features active on tile t: what the agent sees there
                        (-1: none). The example names the features ("cheese", "tile 23", "leader", ...)
    reward[b, t]        the reward for stepping onto tile t
    terminal[b, t]      whether stepping onto tile t ends the episode

Batches of episodes step together with a few lines of indexing (:meth:`PlaceEpisodes.step`), exactly as the
gymnasium envs step one. Nothing here is a distance: the measuring stick (``maze_distances``) is for placing things
and measuring outcomes, never for the agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from .levels import maze_distances
from .tables import next_state_table


@dataclass(eq=False)
class PlaceWorld:
    """A building: its walls, the move table, its floor tiles, and (the measuring stick) all-pairs maze distances."""

    walls: np.ndarray

    def __post_init__(self):
        self.walls = np.asarray(self.walls, bool)
        self.moves = next_state_table(self.walls)
        self.floor = np.flatnonzero(~self.walls.ravel())
        self._distance = None

    @property
    def n_tiles(self) -> int:
        return self.walls.size

    @property
    def width(self) -> int:
        return self.walls.shape[1]

    def tile(self, row: int, col: int) -> int:
        return int(row) * self.width + int(col)

    @property
    def distance(self) -> np.ndarray:
        """``(tiles, tiles)`` maze distances (-1 for walls): for placing objects and measuring, never for agents."""
        if self._distance is None:
            d = np.full((self.n_tiles, self.n_tiles), -1, np.int32)
            for t in self.floor:
                d[t] = maze_distances(self.walls, divmod(int(t), self.width)).ravel()
            self._distance = d
        return self._distance

    def on_path(self, a, b) -> np.ndarray:
        """``(batch, tiles)``: tiles on a shortest path from tile ``a[i]`` to tile ``b[i]``, both ends included."""
        d = self.distance
        a, b = np.asarray(a), np.asarray(b)
        return (d[a] >= 0) & (d[a] + d[b] == d[a, b][:, None])


@dataclass(eq=False)
class PlaceEpisodes:
    """A batch of episodes of one :class:`PlaceWorld` (arrays described in the module docstring)."""

    world: PlaceWorld
    start: np.ndarray
    features: np.ndarray
    reward: np.ndarray
    terminal: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def step(self, tile, action):
        """Move every episode's agent: ``(next_tile, reward, terminated)``."""
        nxt = self.world.moves[tile, action].astype(np.int64)
        rows = np.arange(len(nxt))
        return nxt, self.reward[rows, nxt], self.terminal[rows, nxt]

    def replace(self, which: np.ndarray, fresh: "PlaceEpisodes") -> None:
        """Put ``fresh`` episodes in the places ``which`` (boolean) of this batch."""
        for name in ("start", "features", "reward", "terminal"):
            getattr(self, name)[which] = getattr(fresh, name)

    def subset(self, which) -> "PlaceEpisodes":
        return PlaceEpisodes(self.world, self.start[which], self.features[which], self.reward[which],
                             self.terminal[which])


class PlaceEnv(gym.Env):
    """The gymnasium side of a :class:`PlaceWorld` example: one episode of ``self._sample(rng)`` at a time.

    Subclasses set ``world``, ``max_steps``, ``render_mode``, the spaces, and define ``_sample(rng)`` (one episode),
    ``_obs()`` and ``_marks(obs)`` (``{tile: letter}`` for the text render; the agent is drawn ``A``).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    @staticmethod
    def check_render_mode(render_mode) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi'; got {render_mode!r}.")

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode = self._sample(self.np_random)
        self.tile, self.steps = int(self.episode.start[0]), 0
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0-3 (up, right, down, left); got {action!r}.")
        nxt, reward, terminated = self.episode.step(np.array([self.tile]), np.array([int(action)]))
        self.tile, self.steps = int(nxt[0]), self.steps + 1
        return self._obs(), float(reward[0]), bool(terminated[0]), self.steps >= self.max_steps, {}

    def render(self):
        if self.render_mode != "ansi":
            return None
        art = np.where(self.world.walls, "#", ".").astype("<U1")
        for tile, letter in self._marks(self._obs()).items():
            art[divmod(int(tile), self.world.width)] = letter
        art[divmod(self.tile, self.world.width)] = "A"
        return "\n".join("".join(row) for row in art) + "\n"
