"""Run any agent on many levels at once and keep tidy per-episode records.

An *agent* here is anything with an ``act(agent_tile, objects, rng, epsilon=0.0, level=None)`` method that takes
what the agent sees (``world/observation.py``) and returns moves: a trained
:class:`~gmg_teach.agents.learner.LearnedAgent`, a planner (which is handed ``level``, the index of the level being
played, because it is given the map), or a scripted policy. Each level is played once, greedily; the only
randomness (ties between equal values) comes from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.levels import Level
from ..world.observation import observe
from ..world.palette import COLOUR_NAMES, KIND_NAMES, Colour, Kind
from ..world.tables import UNREACHABLE, MazeTables, compile_levels

OUTCOMES = ("exit", "green_apple", "other_apple", "none")


@dataclass(eq=False)
class Rollouts:
    """One greedy episode per level.

    Attributes:
        tables: the compiled levels that were played.
        reached: index of the object each episode ended on, or -1 (step limit reached first).
        steps: steps taken in each episode.
        shortest: maze distance from the start to every object, shape ``(episodes, objects)``.
        paths: tiles visited, shape ``(episodes, max_steps + 1)``, padded with -1 after the end.
        actions: actions taken, shape ``(episodes, max_steps)``, padded with -1.
    """

    tables: MazeTables
    reached: np.ndarray
    steps: np.ndarray
    shortest: np.ndarray
    paths: np.ndarray
    actions: np.ndarray

    def __len__(self) -> int:
        return len(self.reached)

    @property
    def outcome(self) -> np.ndarray:
        """Per episode: ``exit``, ``green_apple``, ``other_apple`` or ``none``."""
        idx = np.maximum(self.reached, 0)
        rows = np.arange(len(self))
        kind = self.tables.object_kind[rows, idx]
        colour = self.tables.object_colour[rows, idx]
        labels = np.where(
            kind == Kind.EXIT, "exit", np.where(colour == Colour.GREEN, "green_apple", "other_apple")
        ).astype(object)
        labels[self.reached < 0] = "none"
        return labels

    @property
    def path_efficiency(self) -> np.ndarray:
        """Steps taken over the shortest path to the object reached (1.0 = perfect; NaN if nothing reached)."""
        best = self.shortest[np.arange(len(self)), np.maximum(self.reached, 0)]
        return np.where(self.reached >= 0, self.steps / np.maximum(best, 1), np.nan)

    def rates(self) -> dict[str, float]:
        """Share of episodes ending in each outcome."""
        outcome = self.outcome
        return {name: float(np.mean(outcome == name)) for name in OUTCOMES}

    def path(self, episode: int) -> np.ndarray:
        """The tiles visited in one episode, start included."""
        return self.paths[episode, : self.steps[episode] + 1]

    def records(self) -> list[dict]:
        """One plain dict per episode, for tables, CSV files or pandas."""
        outcome, efficiency, rows = self.outcome, self.path_efficiency, []
        for i, level in enumerate(self.tables.levels):
            r = int(self.reached[i])
            kind = colour = None
            if r >= 0:
                kind = KIND_NAMES[Kind(self.tables.object_kind[i, r])]
                colour = COLOUR_NAMES[Colour(self.tables.object_colour[i, r])]
            rows.append(
                {
                    "level_seed": level.seed,
                    "distribution": level.distribution,
                    "outcome": outcome[i],
                    "reached_kind": kind,
                    "reached_colour": colour,
                    "steps": int(self.steps[i]),
                    "shortest_path": [int(d) for d in self.shortest[i] if d < UNREACHABLE],
                    "path_efficiency": None if np.isnan(efficiency[i]) else float(efficiency[i]),
                }
            )
        return rows


def as_tables(levels) -> MazeTables:
    """Compiled tables from a Level, a list of Levels, or tables (returned as they are)."""
    if isinstance(levels, MazeTables):
        return levels
    if isinstance(levels, Level) or (isinstance(levels, (list, tuple)) and levels and isinstance(levels[0], Level)):
        return compile_levels(levels)
    raise ValueError(f"Expected a Level, a list of Levels or compiled MazeTables; got {type(levels).__name__}.")


def rollout(agent, levels, seed: int | np.random.Generator = 0, max_steps: int = 200) -> Rollouts:
    """Play one greedy episode of ``agent`` on each level (a list of levels or compiled tables)."""
    if not hasattr(agent, "act"):
        raise ValueError(f"agent must have an act(agent_tile, objects, rng) method; got {type(agent).__name__}.")
    tables = as_tables(levels)
    rng = np.random.default_rng(seed)
    n = tables.n_levels
    level = np.arange(n)
    tile = tables.start.astype(np.int64)
    paths = np.full((n, max_steps + 1), -1, dtype=np.int32)
    actions = np.full((n, max_steps), -1, dtype=np.int8)
    paths[:, 0] = tile
    reached = np.full(n, -1, dtype=np.int64)
    steps = np.zeros(n, dtype=np.int64)
    running = np.ones(n, dtype=bool)
    for t in range(max_steps):
        live = np.flatnonzero(running)
        if live.size == 0:
            break
        lv = level[live]
        agent_obs, objects_obs = observe(tile[live], tables.object_tile[lv], tables.object_kind[lv],
                                         tables.object_colour[lv])
        action = np.asarray(agent.act(agent_obs, objects_obs, rng, 0.0, level=lv))
        nxt, _, terminated, obj = tables.step(lv, tile[live], action)
        tile[live] = nxt
        actions[live, t] = action
        paths[live, t + 1] = nxt
        steps[live] += 1
        reached[live] = np.where(terminated, obj, -1)
        running[live[terminated]] = False
    shortest = tables.distance[level, :, tables.start]
    return Rollouts(tables, reached, steps, shortest, paths, actions)


def rollout_places(agent, episodes, max_steps: int, rng: np.random.Generator) -> np.ndarray:
    """Play every episode once greedily; ``(episodes, max_steps + 1)`` tiles visited, padded with -1 after the end.

    ``agent.act(tile, features, rng)`` is all that is asked of the agent.
    """
    n = len(episodes)
    paths = np.full((n, max_steps + 1), -1, np.int64)
    tile = episodes.start.astype(np.int64).copy()
    paths[:, 0] = tile
    alive = np.ones(n, bool)
    for t in range(max_steps):
        idx = np.flatnonzero(alive)
        if len(idx) == 0:
            break
        sub = episodes.subset(idx)
        action = agent.act(tile[idx], sub.features, rng)
        nxt, _, terminated = sub.step(tile[idx], action)
        tile[idx] = nxt
        paths[idx, t + 1] = nxt
        alive[idx[terminated]] = False
    return paths
