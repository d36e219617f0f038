"""An agent that learns which *places* are worth reaching: the gallery's one learner.

Lesson 1's agent values *objects* by their kind and colour. The gallery's examples need the same agent with more
general eyes: what makes a tile rewarding may be what stands on it (cheese, a pillar of some colour, a leader) or
simply *where* it is (the top-right corner). So each tile of an episode carries a few active **features**, named by
the example (``"cheese"``, ``"tile 23"``, ``"leader"``, ...), and the agent learns

* **a map** (capabilities): the same :class:`~gmg_teach.agents.navigation.NavigationValues` as lesson 1, all-goals
  Q-learning from its own moves; nothing here reads a maze distance;
* **a goal** (:class:`FeatureGoalModel`): a linear reward model over tile features, fitted by Bayesian linear
  regression (ridge) to the reward it got on every tile it stepped onto::

      r_hat(tile) = sum over the tile's active features f of  salience[f] * w[f]

and acts by generalized policy improvement over every tile it knows (Barreto et al. 2017)::

      Q(s, a) = max over tiles g of  r_hat(g) * Q_nav[s, a, g]

**Built in:** the feature vocabulary each example hands the agent, and how salient each group of features is (the
prior's tie-break, as in lesson 1). **Learned:** the map and the weights. When two features earn exactly the same
reward in training (cheese and corner, leader and pillar colour), the data fix only their sum and the prior splits
it in proportion to salience squared: the tie-break of :mod:`gmg_teach.agents.goal_model`, over more features.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..world.levels import N_ACTIONS
from .navigation import NavigationValues


@dataclass(eq=False)
class FeatureGoalModel:
    """Bayesian linear regression of the reward received on a tile on that tile's (sparse) features.

    Attributes:
        names: one name per feature (``weights`` and :meth:`as_dict` follow this order).
        salience: per feature, its scale (how much it stands out); larger takes a larger share of a tie.
        prior_precision: the prior's strength towards zero weights (ridge penalty).
        gram, moment, count: sufficient statistics of the data so far (``X^T X``, ``X^T y``, rows).
    """

    names: tuple[str, ...]
    salience: np.ndarray
    prior_precision: float = 5.0
    gram: np.ndarray | None = None
    moment: np.ndarray | None = None
    count: int = 0
    _fitted: np.ndarray | None = None

    def __post_init__(self):
        self.names = tuple(self.names)
        self.salience = np.asarray(self.salience, float)
        if self.salience.shape != (len(self.names),) or not (self.salience > 0).all():
            raise ValueError(f"salience needs one number > 0 per feature ({len(self.names)}); got {self.salience!r}.")
        if not self.prior_precision > 0:
            raise ValueError(f"prior_precision must be > 0; got {self.prior_precision!r}.")
        n = len(self.names)
        self.gram = np.zeros((n, n)) if self.gram is None else self.gram
        self.moment = np.zeros(n) if self.moment is None else self.moment

    # --- the idea -------------------------------------------------------------------------------------------------
    def record(self, active: np.ndarray, reward: np.ndarray) -> None:
        """Add rows: ``active (rows, K)`` feature indices of the tiles stepped onto (-1: none), ``reward (rows,)``."""
        active = np.asarray(active, np.int64).reshape(len(reward), -1)
        reward = np.asarray(reward, float)
        on = active >= 0
        scale = np.where(on, self.salience[np.maximum(active, 0)], 0.0)
        k = active.shape[1]
        for i in range(k):
            rows = on[:, i]
            np.add.at(self.moment, active[rows, i], scale[rows, i] * reward[rows])
            for j in range(k):
                both = rows & on[:, j]
                np.add.at(self.gram, (active[both, i], active[both, j]), scale[both, i] * scale[both, j])
        self.count += len(reward)

    def refit(self) -> None:
        """Fit the weights to the data so far (the agent acts on the last fit)."""
        self._fitted = None

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and covariance of the coefficients (per scaled feature)."""
        covariance = np.linalg.inv(self.gram + self.prior_precision * np.eye(len(self.names)))
        return covariance @ self.moment, covariance

    @property
    def weights(self) -> np.ndarray:
        """Per-feature weights in reward units (coefficient times salience): a tile is worth the sum of its own.
        Fitted on the data up to the last :meth:`refit` (or first use)."""
        if self._fitted is None:
            precision = self.gram + self.prior_precision * np.eye(len(self.names))
            self._fitted = np.linalg.solve(precision, self.moment) * self.salience
        return self._fitted

    def reward(self, active: np.ndarray) -> np.ndarray:
        """Estimated reward of tiles from their active features ``(..., K)`` (-1: none)."""
        active = np.asarray(active, np.int64)
        return np.where(active >= 0, self.weights[np.maximum(active, 0)], 0.0).sum(axis=-1)

    def as_dict(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.names, self.weights)}


@dataclass(eq=False)
class PlaceAgent:
    """A learned map plus a learned goal over tile features; acts by generalized policy improvement over tiles."""

    navigation: NavigationValues
    goal: FeatureGoalModel

    def q_values(self, tile, features) -> np.ndarray:
        """``(batch, 4)``: for each move, the best tile's estimated reward times the move's value towards it.

        ``features (batch, tiles, K)``: each tile's active feature indices in each episode (what the agent sees).
        """
        nav = self.navigation
        tile = np.asarray(tile, np.int64)
        known = np.flatnonzero(nav.column >= 0)
        if len(known) == 0:
            return np.zeros((len(tile), N_ACTIONS))
        goals = np.empty(len(known), np.int64)
        goals[nav.column[known]] = known  # goal tile of each known column, in column order
        reward = self.goal.reward(np.asarray(features)[:, goals])  # (batch, known)
        row = nav.column[tile]
        values = nav.q[np.maximum(row, 0), :, : len(known)]  # (batch, 4, known)
        q = (reward[:, None, :] * values).max(axis=2)
        return np.where((row >= 0)[:, None], q, 0.0)

    def act(self, tile, features, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
        """Epsilon-greedy moves; ties broken at random through ``rng`` (a fresh agent wanders)."""
        q = self.q_values(tile, features)
        best = q >= q.max(axis=1, keepdims=True) - 1e-12
        greedy = (rng.random(q.shape) * best).argmax(axis=1)
        if epsilon <= 0.0:
            return greedy
        explore = rng.random(len(q)) < epsilon
        return np.where(explore, rng.integers(N_ACTIONS, size=len(q)), greedy)


@dataclass
class PlaceConfig:
    """Hyperparameters of :func:`train_place_agent`."""

    episodes: int = 1000
    """Training episodes in total."""
    batch_size: int = 128
    """Episodes played at the same time."""
    epsilon: float = 0.2
    """Chance of a random move instead of the greedy one."""
    discount: float = 0.95
    """Navigation discount."""
    replay_every: int = 2
    """Steps of the whole batch between replay sweeps of the map."""
    max_steps: int = 100
    """Episode step limit."""
    prior_precision: float = 5.0
    """The goal model's prior strength."""
    refit_every: int = 10
    """Steps of the whole batch between refits of the goal's weights (a linear solve; the data keep arriving)."""

    def __post_init__(self):
        whole = lambda v: not isinstance(v, bool) and isinstance(v, (int, np.integer))  # noqa: E731
        for name in ("episodes", "batch_size", "replay_every", "max_steps", "refit_every"):
            if not whole(getattr(self, name)) or getattr(self, name) < 1:
                raise ValueError(f"PlaceConfig.{name} must be a whole number >= 1; got {getattr(self, name)!r}.")
        if not 0 <= self.epsilon <= 1 or not 0 < self.discount < 1 or not self.prior_precision > 0:
            raise ValueError("PlaceConfig: epsilon must be in [0, 1], discount in (0, 1), prior_precision > 0.")


def train_place_agent(world, sample: Callable, names: Sequence[str], salience, config: PlaceConfig | None = None,
                      seed: int | np.random.Generator = 0) -> tuple[PlaceAgent, dict]:
    """Train a :class:`PlaceAgent` on episodes ``sample(n, rng)`` of a :class:`~gmg_teach.world.places.PlaceWorld`.

    Returns the agent and a summary (training success, seconds). Same seed, same agent.
    """
    config = config or PlaceConfig()
    rng = np.random.default_rng(seed)
    agent = PlaceAgent(NavigationValues.empty(world.n_tiles, config.discount),
                       FeatureGoalModel(names, salience, config.prior_precision))
    started = time.process_time()
    batch = min(config.batch_size, config.episodes)
    episodes = sample(batch, rng)
    tile = episodes.start.copy()
    steps = np.zeros(batch, np.int64)
    done = successes = step_count = 0
    while done < config.episodes:
        # --- the idea: act, move, learn the move (map) and the reward of the tile arrived on (goal) ---------------
        action = agent.act(tile, episodes.features, rng, config.epsilon)
        next_tile, reward, terminated = episodes.step(tile, action)
        agent.navigation.record(tile, action, next_tile)
        agent.goal.record(episodes.features[np.arange(batch), next_tile], reward)
        step_count += 1
        if step_count % config.replay_every == 0:
            agent.navigation.replay()
        if step_count % config.refit_every == 0:
            agent.goal.refit()
        # --- plumbing: finished episodes restart with fresh ones -------------------------------------------------
        tile, steps = next_tile, steps + 1
        finished = terminated | (steps >= config.max_steps)
        if finished.any():
            n = int(finished.sum())
            done += n
            successes += int((reward[finished] > 0).sum())
            episodes.replace(finished, sample(n, rng))
            tile[finished], steps[finished] = episodes.start[finished], 0
    agent.goal.refit()
    return agent, {"train_success_while_learning": successes / done, "seconds": time.process_time() - started}
