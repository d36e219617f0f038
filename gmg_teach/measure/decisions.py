"""Where the paths split: decision tiles, the agent's policy as a field, and P(exit | decision tile).

In a perfect maze the path from anywhere to the exit and the path to the green apple share a stretch, then split.
The tiles on the path *between* the exit and the green apple are the **decision tiles**: standing on one, a step
towards the exit is a step away from the green apple. Where an episode first steps onto that path is its decision
tile, and which way it turns there is the choice the goal makes. Everything here uses the measuring stick (maze
distances from the compiled tables); agents are only asked which move they would make.
"""

from __future__ import annotations

import numpy as np

from ..world.observation import observe
from ..world.palette import Colour, Kind
from ..world.tables import UNREACHABLE, MazeTables
from .rollouts import Rollouts


def _object(tables: MazeTables, level: int, kind: Kind | None = None, colour: Colour | None = None) -> int:
    chosen = tables.object_tile[level] >= 0
    if kind is not None:
        chosen &= tables.object_kind[level] == kind
    if colour is not None:
        chosen &= tables.object_colour[level] == colour
    found = np.flatnonzero(chosen)
    if len(found) == 0:
        raise ValueError(f"Level {level} has no {'' if colour is None else Colour(colour).name.lower() + ' '}"
                         f"{'object' if kind is None else Kind(kind).name.lower()}.")
    return int(found[0])


def decision_tiles(tables: MazeTables, level: int = 0) -> np.ndarray:
    """Boolean ``(tiles,)``: the tiles on the path between the exit sign and the (first) green apple, both ends
    excluded. Raises ValueError on a level with no green apple (a train level: nothing to decide)."""
    exit_ = _object(tables, level, kind=Kind.EXIT)
    green = _object(tables, level, kind=Kind.APPLE, colour=Colour.GREEN)
    d_exit = tables.distance[level, exit_].astype(np.int64)
    d_green = tables.distance[level, green].astype(np.int64)
    both = (d_exit < UNREACHABLE) & (d_green < UNREACHABLE) & (d_exit > 0) & (d_green > 0)
    if not both.any():
        return both
    total = d_exit + d_green
    return both & (total == total[both].min())  # on a shortest exit-to-green path


def policy_field(agent, tables: MazeTables, level: int = 0, rng: np.random.Generator | None = None) -> np.ndarray:
    """``(tiles,)`` the agent's greedy move from every floor tile of ``level`` with its objects where they are
    (-1 on walls and object tiles). Ties are broken through ``rng`` (default seed 0)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    walls = tables.levels[level].walls.ravel()
    tiles = np.flatnonzero(~walls & (tables.object_at[level] < 0))
    n = len(tiles)
    rows = np.full(n, level)
    agent_obs, objects = observe(tiles, tables.object_tile[rows], tables.object_kind[rows], tables.object_colour[rows])
    field = np.full(tables.n_tiles, -1, dtype=np.int64)
    field[tiles] = np.asarray(agent.act(agent_obs, objects, rng, 0.0, level=rows))
    return field


def first_decision_tiles(rollouts: Rollouts) -> np.ndarray:
    """``(episodes,)`` each episode's decision tile: the first tile of its path on the exit-green path, or -1 for an
    episode that never steps onto it (a level with no green apple, or a path that ends elsewhere without crossing
    it)."""
    tables = rollouts.tables
    first = np.full(len(rollouts), -1, dtype=np.int64)
    for i in range(len(rollouts)):
        try:
            on_path = decision_tiles(tables, i)
        except ValueError:
            continue
        path = rollouts.path(i)
        hits = np.flatnonzero(on_path[path])
        if len(hits):
            first[i] = int(path[hits[0]])
    return first


def share_by_decision_tile(paths, on_path, went) -> dict[int, tuple[int, float]]:
    """Each episode's decision tile (the first tile of its path where ``on_path[episode]`` is True) ->
    ``(episodes, share of them with went[episode])``. Episodes that never step onto the path are left out.

    ``paths`` are per-episode sequences of tiles (-1 padding is ignored); ``on_path`` is per episode a boolean array
    over tiles. Used for P(exit | decision tile) here and P(cheese | decision tile) in lesson 4's gallery.
    """
    counts: dict[int, list[int]] = {}
    for path, marked, outcome in zip(paths, on_path, went):
        path = np.asarray(path)
        path = path[path >= 0]
        hits = np.flatnonzero(np.asarray(marked)[path])
        if len(hits):
            counts.setdefault(int(path[hits[0]]), []).append(int(outcome))
    return {tile: (len(v), float(np.mean(v))) for tile, v in sorted(counts.items())}


def exit_probability_by_decision_tile(rollouts: Rollouts) -> dict[int, tuple[int, float]]:
    """For deploy rollouts in one building: each episode's decision tile (the first tile of its path on the
    exit-green path) -> ``(episodes, share that reached the exit)``. Episodes that never step onto it are left out
    (:func:`first_decision_tiles` gives them -1)."""
    tables = rollouts.tables
    paths, marks, went = [], [], []
    for i in range(len(rollouts)):
        try:
            on_path = decision_tiles(tables, i)
        except ValueError:
            continue
        paths.append(rollouts.path(i))
        marks.append(on_path)
        went.append(rollouts.reached[i] >= 0 and tables.object_kind[i, rollouts.reached[i]] == Kind.EXIT)
    return share_by_decision_tile(paths, marks, went)
