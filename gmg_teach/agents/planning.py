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
    return solve_transitions(nxt, reward[nxt], terminal, discount, tolerance, max_sweeps)


def solve_transitions(next_state, reward, terminal, discount: float, tolerance: float = 1e-10,
                      max_sweeps: int = 10_000):
    """Value iteration on bare tables: ``Q[s, a] = reward[s, a] + discount * V[next_state[s, a]]``.

    ``V`` is 0 on terminal tiles (the episode ends there) and ``max_a Q[s, a]`` elsewhere; iterated from ``V = 0``
    until it changes by less than ``tolerance``. Returns ``(Q, V)``.
    """
    next_state = np.asarray(next_state)
    reward = np.asarray(reward, dtype=float)
    terminal = np.asarray(terminal, dtype=bool)
    value = np.zeros(len(next_state))
    for _ in range(max_sweeps):
        new = np.where(terminal, 0.0, (reward + discount * value[next_state]).max(axis=1))
        change = np.max(np.abs(new - value))
        value = new
        if change < tolerance:
            break
    return reward + discount * value[next_state], value


def optimal_actions(q: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Boolean mask ``(n_tiles, 4)`` of the actions within ``tolerance`` of the best in each tile."""
    return q >= q.max(axis=1, keepdims=True) - tolerance
