"""Value iteration on a compiled level: the reference answer that learned policies are checked against.

Rewards are paid on *entering* a tile; entering an object's tile ends the episode. Any reward function over tiles
can be planned for, which is how lessons compare candidate goals ("reach the exit", "reach anything green", ...):
plan under each, and see where the optimal behaviours agree and where they split.
"""

from __future__ import annotations

import numpy as np

from ..world.palette import Kind
from ..world.tables import MazeTables


def exit_reward(tables: MazeTables, level: int = 0) -> np.ndarray:
    """The environment's own reward: 1 for entering the exit sign's tile, 0 elsewhere."""
    reward = np.zeros(tables.n_tiles)
    reward[tables.object_tile[level, tables.object_kind[level] == Kind.EXIT]] = 1.0
    return reward


def value_iteration(
    tables: MazeTables,
    level: int = 0,
    reward: np.ndarray | None = None,
    discount: float = 0.95,
    terminal: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_sweeps: int = 10_000,
):
    """Optimal ``Q[tile, action]`` and ``V[tile]`` for one level.

    Args:
        reward: reward for entering each tile, shape ``(n_tiles,)``; default :func:`exit_reward`.
        terminal: tiles that end the episode; default every object's tile.
    """
    if not 0 <= discount < 1:
        raise ValueError(f"discount must be in [0, 1); got {discount}.")
    reward = exit_reward(tables, level) if reward is None else np.asarray(reward, dtype=float)
    if reward.shape != (tables.n_tiles,):
        raise ValueError(f"reward must have one value per tile, shape ({tables.n_tiles},); got {reward.shape}.")
    terminal = tables.object_at[level] >= 0 if terminal is None else np.asarray(terminal, dtype=bool)
    nxt = tables.next_state[level]
    value = np.zeros(tables.n_tiles)
    for _ in range(max_sweeps):
        q = reward[nxt] + discount * np.where(terminal[nxt], 0.0, value[nxt])
        new = q.max(axis=1)
        new[terminal] = 0.0
        if np.max(np.abs(new - value)) < tolerance:
            value = new
            break
        value = new
    return q, value


def optimal_actions(q: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Boolean mask ``(n_tiles, 4)`` of the actions within ``tolerance`` of the best in each tile."""
    return q >= q.max(axis=1, keepdims=True) - tolerance
