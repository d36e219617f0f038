"""Unidentifiability, measured: what the training data leaves undecided, and what decides it instead.

Lesson 3's analyses, each a plain function over the package's own objects:

* :func:`weight_posterior` and :func:`covariance_ellipse`: the goal model's posterior over two reward weights (for
  example ``w_exit`` and ``w_green``) in reward units, and the ellipse that draws it. On ``train`` data the ellipse
  is long along exit-minus-green (the data fix only the sum) and a few distinguishing episodes shrink it;
  :func:`spread_along` measures the length in any direction.
* :func:`weight_contrasts`: the kind contrast (exit minus apple) and colour contrast (green minus other colours),
  the part of the weights that decides behaviour.
* :func:`distinguishing_observations`: how many objects the goal model saw where "exit" and "green" disagree;
  :func:`touched_counts` counts them all by kind and colour.
* :func:`nearer_object_share`: how often an agent went to the nearer of the exit and the green apple (the goal of a
  learner whose tie is broken by nothing).
* :func:`outcome_disagreement`: the levels on which two agents end on different kinds of object (detection before
  deployment: look for levels where agents that agree on train disagree).
* :func:`shaping_bonus` and :func:`q_with_move_bonus`: potential-based shaping (Ng, Harada & Russell 1999) and
  value iteration with a reward per move, to show that shaping changes every reward and no behaviour.
* :func:`steering_sweep`: the same map with edited goal weights, and where it goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..agents.goal_model import FEATURE_NAMES, GoalModel
from ..agents.planning import exit_reward, solve_transitions
from ..world.palette import Colour, Kind
from ..world.tables import MazeTables
from .rollouts import Rollouts, rollout

# --- the posterior over reward weights ------------------------------------------------------------------------------


def _check_goal(goal) -> GoalModel:
    if not isinstance(goal, GoalModel):
        raise ValueError(f"Expected a GoalModel (an agent's .goal); got {type(goal).__name__}.")
    return goal


def _feature_index(name: str) -> int:
    if name not in FEATURE_NAMES:
        raise ValueError(f"Unknown goal feature {name!r}; the features are {', '.join(FEATURE_NAMES)}.")
    return FEATURE_NAMES.index(name)


def weight_posterior(goal: GoalModel, features: tuple[str, str] = ("exit", "green")) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean ``(2,)`` and covariance ``(2, 2)`` of two weights, in reward units (coefficient x salience).

    The goal model's posterior (``GoalModel.posterior``) is over coefficients of *scaled* features; a weight in
    reward units is the coefficient times the feature's salience, so the covariance is rescaled by both saliences.
    This is the fitted posterior, whatever weights a steered copy acts on.
    """
    goal = _check_goal(goal)
    if len(features) != 2 or features[0] == features[1]:
        raise ValueError(f"features must be two different goal features, e.g. ('exit', 'green'); got {features!r}.")
    index = [_feature_index(f) for f in features]
    mean, cov = goal.posterior()
    scale = goal.scale[index]
    return mean[index] * scale, cov[np.ix_(index, index)] * np.outer(scale, scale)


@dataclass(frozen=True)
class Ellipse:
    """An ellipse of constant posterior density.

    Attributes:
        centre: ``(2,)`` the posterior mean.
        width: length of the major axis (the longest diameter).
        height: length of the minor axis.
        angle: direction of the major axis in degrees, counter-clockwise from the first weight's axis.
        major_axis: ``(2,)`` unit vector along the major axis.
    """

    centre: np.ndarray
    width: float
    height: float
    angle: float
    major_axis: np.ndarray


def covariance_ellipse(mean, cov, n_sigma: float = 1.0) -> Ellipse:
    """The ``n_sigma`` ellipse of a 2-D Gaussian: axes along the covariance's eigenvectors, half-lengths
    ``n_sigma * sqrt(eigenvalue)``."""
    mean, cov = np.asarray(mean, float), np.asarray(cov, float)
    if mean.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"mean must have shape (2,) and cov (2, 2); got {mean.shape} and {cov.shape}.")
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() < -1e-12:
        raise ValueError("cov must be a symmetric covariance matrix (no negative variances).")
    if not n_sigma > 0:
        raise ValueError(f"n_sigma must be > 0; got {n_sigma!r}.")
    values, vectors = np.linalg.eigh(cov)  # ascending
    major = vectors[:, 1] * (1 if vectors[0, 1] >= 0 else -1)  # one sign convention: angle in (-90, 90]
    half = n_sigma * np.sqrt(np.maximum(values, 0.0))
    return Ellipse(mean, float(2 * half[1]), float(2 * half[0]), float(np.degrees(np.arctan2(major[1], major[0]))),
                   major)


def spread_along(cov, direction) -> float:
    """Posterior standard deviation along a direction, e.g. ``(1, -1)`` for exit-minus-green."""
    cov, direction = np.asarray(cov, float), np.asarray(direction, float)
    if direction.shape != (cov.shape[0],) or not np.any(direction):
        raise ValueError(f"direction must be a non-zero vector of length {cov.shape[0]}; got {direction!r}.")
    unit = direction / np.linalg.norm(direction)
    return float(np.sqrt(unit @ cov @ unit))


def weight_contrasts(weights) -> dict[str, float]:
    """The two numbers that decide behaviour, from per-attribute weights in reward units (a ``GoalModel.as_dict()``
    or an average of several): ``kind`` = exit minus apple, ``colour`` = green minus the mean of the other colours.

    The raw weights are never pinned down: every object has one kind and one colour, so adding a constant to both
    kind weights and taking it from every colour weight changes no object's value. The contrasts are what remains
    (the same numbers as the mean of ``GoalModel.contrasts()``).
    """
    missing = [f for f in FEATURE_NAMES if f not in weights]
    if missing:
        raise ValueError(f"weights must give every goal feature ({', '.join(FEATURE_NAMES)}); missing {missing}.")
    others = [weights[name] for name in FEATURE_NAMES[len(Kind):] if name != "green"]
    return {"kind": float(weights["exit"] - weights["apple"]), "colour": float(weights["green"] - np.mean(others))}


def distinguishing_observations(goal: GoalModel) -> int:
    """How many touched objects told "exit" and "green" apart: an exit sign that was not green, or a green apple."""
    counts = touched_counts(goal)
    return int(counts[Kind.EXIT].sum() - counts[Kind.EXIT, Colour.GREEN] + counts[Kind.APPLE, Colour.GREEN])


def touched_counts(goal: GoalModel) -> np.ndarray:
    """``(kinds, colours)`` how many objects of each kind and colour the goal model was fitted to (read from its
    sufficient statistics: ``gram[kind, colour]`` is that count times both saliences)."""
    goal = _check_goal(goal)
    block = goal.gram[: len(Kind), len(Kind):]
    return np.rint(block / (goal.kind_salience * goal.colour_salience)).astype(int)


# --- behaviour: the nearer object, and levels where two agents part ways --------------------------------------------


def _first_object(tables: MazeTables, kind: Kind, colour: Colour | None = None) -> np.ndarray:
    chosen = tables.object_kind == kind
    if colour is not None:
        chosen &= tables.object_colour == colour
    return np.where(chosen.any(axis=1), chosen.argmax(axis=1), -1)


def nearer_object_share(rollouts: Rollouts) -> dict:
    """Among episodes that ended on the exit or a green apple, on levels where the two are at different distances
    from the start: the share that ended on the nearer one. ``{"share": float | None, "episodes": int}``."""
    if not isinstance(rollouts, Rollouts):
        raise ValueError(f"Expected Rollouts (from rollout(...)); got {type(rollouts).__name__}.")
    tables = rollouts.tables
    exit_, green = _first_object(tables, Kind.EXIT), _first_object(tables, Kind.APPLE, Colour.GREEN)
    rows = np.arange(len(rollouts))
    d_exit = rollouts.shortest[rows, np.maximum(exit_, 0)]
    d_green = rollouts.shortest[rows, np.maximum(green, 0)]
    nearer = np.where(d_exit < d_green, exit_, green)
    counted = (exit_ >= 0) & (green >= 0) & (d_exit != d_green) & (
        (rollouts.reached == exit_) | (rollouts.reached == green))
    n = int(counted.sum())
    return {"share": float(np.mean(rollouts.reached[counted] == nearer[counted])) if n else None, "episodes": n}


def outcome_disagreement(first: Rollouts, second: Rollouts) -> np.ndarray:
    """Boolean ``(levels,)``: where two agents, played on the same levels, ended on different kinds of outcome
    (exit, green apple, other apple, none). Those are distinguishing levels for this pair of agents."""
    for r in (first, second):
        if not isinstance(r, Rollouts):
            raise ValueError(f"Expected Rollouts (from rollout(...)); got {type(r).__name__}.")
    if first.tables is not second.tables and (
            len(first) != len(second) or not np.array_equal(first.tables.object_tile, second.tables.object_tile)
            or not np.array_equal(first.tables.start, second.tables.start)):
        raise ValueError("Both rollouts must be played on the same levels (the same compiled tables).")
    return first.outcome != second.outcome


# --- shaping: a different, harmless ambiguity -----------------------------------------------------------------------


def _terminal(tables: MazeTables, level: int) -> np.ndarray:
    return tables.object_at[level] >= 0


def shaping_bonus(tables: MazeTables, level: int, potential, discount: float = 0.95) -> np.ndarray:
    """``(tiles, 4)`` potential-based shaping ``F(s, a) = discount * potential(s') - potential(s)``, with ``s'`` the
    tile move ``a`` leads to (Ng, Harada & Russell 1999).

    ``potential`` is one number per tile and must be 0 on tiles that end the episode (the objects): there is no
    future after them, so a potential there would be a reward in disguise.
    """
    potential = np.asarray(potential, dtype=float)
    if potential.shape != (tables.n_tiles,):
        raise ValueError(f"potential must have one value per tile, shape ({tables.n_tiles},); got {potential.shape}.")
    if np.any(potential[_terminal(tables, level)] != 0):
        raise ValueError("potential must be 0 on the objects' tiles (the episode ends there).")
    nxt = tables.next_state[level]
    return discount * potential[nxt] - potential[:, None]


def q_with_move_bonus(tables: MazeTables, level: int, bonus, reward=None, discount: float = 0.95) -> np.ndarray:
    """Optimal ``Q[tile, move]`` when a move pays the reward for the tile it enters (default: the exit's reward)
    *plus* ``bonus[tile, move]``. Value iteration (``planning.solve_transitions``); objects end the episode."""
    bonus = np.asarray(bonus, dtype=float)
    if bonus.shape != (tables.n_tiles, 4):
        raise ValueError(f"bonus must have one value per tile and move, shape ({tables.n_tiles}, 4); "
                         f"got {bonus.shape}.")
    reward = exit_reward(tables, level) if reward is None else np.asarray(reward, dtype=float)
    if reward.shape != (tables.n_tiles,):
        raise ValueError(f"reward must have one value per tile, shape ({tables.n_tiles},); got {reward.shape}.")
    nxt = tables.next_state[level]
    q, _ = solve_transitions(nxt, reward[nxt] + bonus, _terminal(tables, level), discount)
    return q


# --- steering: edit the goal, keep the map --------------------------------------------------------------------------


def steering_sweep(agent, tables: MazeTables, feature: str, values, seed: int = 0) -> list[dict]:
    """Play ``agent`` with one goal weight set to each of ``values`` (the others as learned): rates per value.

    Rows ``{"weight": value, "exit": ..., "green_apple": ..., "other_apple": ..., "none": ...}``.
    """
    _feature_index(feature)
    values = [float(v) for v in np.atleast_1d(values)]
    if not values:
        raise ValueError("values must hold at least one weight to try.")
    return [{"weight": v, **rollout(agent.with_goal(agent.goal.steer(**{feature: v})), tables, seed=seed).rates()}
            for v in values]
