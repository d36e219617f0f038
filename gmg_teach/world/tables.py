"""A batch of levels compiled once into numpy tables, so agents can step many levels at once.

Tiles are numbered ``row * width + column``. For ``L`` levels of one shape (``S`` tiles each):

    next_state[l, s, a]   tile reached from s by action a (a wall means staying put)
    object_at[l, s]       index of the object on tile s, or -1
    object_kind/colour    per object (padding: -1); object 0 is always the exit sign
    distance[l, o, s]     maze distance from tile s to object o (other objects block the way), UNREACHABLE if none
    green_step[l, s]      first action of the shortest path to the nearest green object (NO_CUE if none)
    exit_step[l, s]       first action of the shortest path to the exit sign (NO_CUE if none)

Stepping is then a few lines of fancy indexing (:meth:`MazeTables.step`), whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .levels import DELTAS, Level, LevelError, maze_distances
from .palette import Colour, Kind

UNREACHABLE = 1_000_000
NO_CUE = 4  # cue value meaning "nothing of that sort in this level"
N_ACTIONS = 4


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
    green_step: np.ndarray
    exit_step: np.ndarray

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def shape(self) -> tuple[int, int]:
        return self.levels[0].shape

    @property
    def n_tiles(self) -> int:
        return self.next_state.shape[1]

    def step(self, level, state, action, rng: np.random.Generator | None = None, slip: float = 0.0):
        """Move agents on ``level`` from ``state`` by ``action`` (arrays of one length).

        With ``slip`` > 0 each move is replaced by a uniformly random one with that probability (a slippery floor,
        used to break capabilities while leaving goals alone). Returns ``(next_state, reward, terminated,
        reached)`` where ``reached`` is the object index reached or -1.
        """
        if slip > 0.0:
            slipped = rng.random(np.shape(action)) < slip
            action = np.where(slipped, rng.integers(N_ACTIONS, size=np.shape(action)), action)
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

    def distances_to(self, level: int, targets: np.ndarray) -> np.ndarray:
        """Maze distance from every tile of ``level`` to the nearest tile in the boolean mask ``targets``.

        Objects that are not targets block the way (touching one ends the episode) and count as unreachable.
        """
        lvl = self.levels[level]
        h, w = lvl.shape
        obj_tiles = {tuple(divmod(int(t), w)) for t in self.object_tile[level] if t >= 0}
        best = np.full(h * w, UNREACHABLE, dtype=np.int64)
        for t in np.flatnonzero(targets):
            rc = divmod(int(t), w)
            d = maze_distances(lvl.walls, rc, blocked=obj_tiles - {rc}).ravel()
            best = np.minimum(best, np.where(d >= 0, d, UNREACHABLE))
        for t in obj_tiles:
            tile = t[0] * w + t[1]
            if not targets[tile]:
                best[tile] = UNREACHABLE
        return best


def first_steps(next_state: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """First action of a shortest path down ``distance`` (ties: lowest action), NO_CUE where there is none."""
    d_next = np.take_along_axis(distance[..., None], next_state, axis=-2)  # (L, S, 4)
    d_next = np.where(next_state == np.arange(next_state.shape[-2])[:, None], UNREACHABLE, d_next)
    best = d_next.argmin(axis=-1).astype(np.int8)
    has_way = (distance > 0) & (distance < UNREACHABLE)
    return np.where(has_way, best, NO_CUE).astype(np.int8)


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

    # Moves: a step into a wall (or off the grid) stays put.
    rows, cols = np.divmod(np.arange(n_tiles), w)
    walls = np.stack([lvl.walls for lvl in levels]).reshape(n_levels, n_tiles)
    next_state = np.empty((n_levels, n_tiles, N_ACTIONS), dtype=np.int32)
    for a, (dr, dc) in enumerate(DELTAS):
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        target = np.where(inside, r2.clip(0, h - 1) * w + c2.clip(0, w - 1), np.arange(n_tiles))
        blocked = walls[:, target] | ~inside
        next_state[:, :, a] = np.where(blocked, np.arange(n_tiles), target)

    object_at = np.full((n_levels, n_tiles), -1, dtype=np.int8)
    kind = np.full((n_levels, n_obj), -1, dtype=np.int8)
    colour = np.full((n_levels, n_obj), -1, dtype=np.int8)
    tile = np.full((n_levels, n_obj), -1, dtype=np.int32)
    distance = np.full((n_levels, n_obj, n_tiles), UNREACHABLE, dtype=np.int32)
    start = np.array([lvl.start[0] * w + lvl.start[1] for lvl in levels], dtype=np.int32)
    for i, lvl in enumerate(levels):
        positions = {o.position for o in lvl.objects}
        for j, obj in enumerate(lvl.objects):
            t = obj.position[0] * w + obj.position[1]
            object_at[i, t], kind[i, j], colour[i, j], tile[i, j] = j, obj.kind, obj.colour, t
            d = maze_distances(lvl.walls, obj.position, blocked=positions - {obj.position}).ravel()
            distance[i, j] = np.where(d >= 0, d, UNREACHABLE)
        for j, obj in enumerate(lvl.objects):  # another object's tile ends the episode: no way through it
            distance[i, [k for k in range(len(lvl.objects)) if k != j], tile[i, j]] = UNREACHABLE

    is_green = (colour == Colour.GREEN)[:, :, None]
    green_distance = np.where(is_green, distance, UNREACHABLE).min(axis=1)
    exit_distance = np.where((kind == Kind.EXIT)[:, :, None], distance, UNREACHABLE).min(axis=1)
    return MazeTables(
        levels=levels,
        next_state=next_state,
        object_at=object_at,
        object_kind=kind,
        object_colour=colour,
        object_tile=tile,
        start=start,
        distance=distance,
        green_step=first_steps(next_state, green_distance),
        exit_step=first_steps(next_state, exit_distance),
    )
