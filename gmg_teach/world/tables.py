"""A batch of levels compiled once into numpy tables, so agents can step many levels at once.

Tiles are numbered ``row * width + column``. For ``L`` levels of one shape (``S`` tiles each):

    next_state[l, s, a]   tile reached from s by action a (a wall means staying put)
    object_at[l, s]       index of the object on tile s, or -1
    object_kind/colour    per object (padding: -1); object 0 is always the exit sign
    distance[l, o, s]     maze distance from tile s to object o (other objects block the way), UNREACHABLE if none

Stepping is then a few lines of fancy indexing (:meth:`MazeTables.step`), whatever the batch size.

``distance`` is the *measuring stick* (path efficiency, planners): no agent reads it. What an agent may see is in
``observation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .levels import DELTAS, N_ACTIONS, Level, LevelError, maze_distances
from .palette import Kind

UNREACHABLE = 1_000_000


@dataclass(eq=False)
class MazeTables:
    levels: list[Level]
    next_state: np.ndarray
    object_at: np.ndarray
    object_kind: np.ndarray
    object_colour: np.ndarray
    object_tile: np.ndarray
    start: np.ndarray
    distance: np.ndarray

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def shape(self) -> tuple[int, int]:
        return self.levels[0].shape

    @property
    def n_tiles(self) -> int:
        return self.next_state.shape[1]

    def step(self, level, state, action):
        """Move agents on ``level`` from ``state`` by ``action`` (arrays of one length).

        Returns ``(next_state, reward, terminated, reached)`` where ``reached`` is the object index reached or -1.
        """
        nxt = self.next_state[level, state, action]
        reached = self.object_at[level, nxt]
        terminated = reached >= 0
        kind = self.object_kind[level, np.maximum(reached, 0)]
        reward = (terminated & (kind == Kind.EXIT)).astype(np.float64)
        return nxt, reward, terminated, reached

    def open_moves(self, level, state) -> np.ndarray:
        """Which of the four moves do not bump into a wall, shape ``(batch, 4)``: what the agent sees around it."""
        state = np.asarray(state)
        return self.next_state[level, state] != state[..., None]


def _open_sides(walls: np.ndarray, position: tuple[int, int]) -> int:
    h, w = walls.shape
    r, c = position
    return sum(0 <= r + dr < h and 0 <= c + dc < w and not walls[r + dr, c + dc] for dr, dc in DELTAS)


def next_state_table(walls: np.ndarray) -> np.ndarray:
    """``next_state[s, a]``: the tile reached from tile ``s`` by action ``a``; a move into a wall stays put."""
    h, w = walls.shape
    tiles = np.arange(h * w)
    rows, cols = np.divmod(tiles, w)
    next_state = np.empty((h * w, N_ACTIONS), dtype=np.int32)
    for a, (dr, dc) in enumerate(DELTAS):
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        target = np.where(inside, r2.clip(0, h - 1) * w + c2.clip(0, w - 1), tiles)
        next_state[:, a] = np.where(walls.ravel()[target] | ~inside, tiles, target)
    return next_state


def compile_levels(levels: Level | list[Level]) -> MazeTables:
    """Compile levels (all of one shape) into :class:`MazeTables`."""
    if isinstance(levels, Level):
        levels = [levels]
    levels = list(levels)
    if not levels:
        raise LevelError("compile_levels needs at least one level.")
    shapes = {lvl.shape for lvl in levels}
    if len(shapes) != 1:
        raise LevelError(f"Levels compiled together must share one shape; got shapes {sorted(shapes)}.")
    h, w = levels[0].shape
    n_tiles, n_levels = h * w, len(levels)
    n_obj = max(len(lvl.objects) for lvl in levels)

    next_state = np.stack([next_state_table(lvl.walls) for lvl in levels])
    start = np.array([lvl.start[0] * w + lvl.start[1] for lvl in levels], dtype=np.int32)

    object_at = np.full((n_levels, n_tiles), -1, dtype=np.int8)
    kind = np.full((n_levels, n_obj), -1, dtype=np.int8)
    colour = np.full((n_levels, n_obj), -1, dtype=np.int8)
    tile = np.full((n_levels, n_obj), -1, dtype=np.int32)
    distance = np.full((n_levels, n_obj, n_tiles), UNREACHABLE, dtype=np.int32)
    cache: dict = {}
    for i, lvl in enumerate(levels):
        positions = {o.position for o in lvl.objects}
        # Objects in dead ends block no path but their own, so their distance maps can be shared between levels.
        shareable = all(_open_sides(lvl.walls, p) <= 1 for p in positions)
        key = lvl.walls.tobytes() if shareable else None
        for j, obj in enumerate(lvl.objects):
            t = obj.position[0] * w + obj.position[1]
            object_at[i, t], kind[i, j], colour[i, j], tile[i, j] = j, obj.kind, obj.colour, t
            if key is None or (key, t) not in cache:
                d = maze_distances(lvl.walls, obj.position, blocked=positions - {obj.position}).ravel()
                d = np.where(d >= 0, d, UNREACHABLE)
                if key is not None:
                    cache[key, t] = d
            distance[i, j] = d if key is None else cache[key, t]
        for j, obj in enumerate(lvl.objects):  # another object's tile ends the episode: no way through it
            distance[i, [k for k in range(len(lvl.objects)) if k != j], tile[i, j]] = UNREACHABLE
    return MazeTables(
        levels=levels,
        next_state=next_state,
        object_at=object_at,
        object_kind=kind,
        object_colour=colour,
        object_tile=tile,
        start=start,
        distance=distance,
    )
