"""Q-learning over a discrete observation, batched over many levels.

Two kinds of table share one learning rule:

* ``table="joint"``: the plain Q-table, one row per *combination* of cue values. It generalizes only between
  situations its observation merges: a combination it never met in training has nothing learned in it.
* ``table="factored"``: one small table per cue, summed (linear Q-learning on one-hot features):
  ``Q(o, a) = W_green[o_green, a] + W_exit[o_exit, a]``. It scores combinations it never met from what it learned
  about each cue separately, so which cue carries more weight decides what it does when the cues disagree.

The update is the textbook one, ``W <- W + lr * (r + discount * max_a' Q(o', a') - Q(o, a))`` applied to every
weight that contributed to ``Q(o, a)``. When many levels step at once, updates that land on the same weight are
averaged (a minibatch step), so the result does not depend on the batch size blowing up the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from ..world.levels import Level
from ..world.tables import N_ACTIONS, MazeTables, compile_levels
from .observations import get_observation


@dataclass
class QLearningConfig:
    """Hyperparameters of :func:`train_q_learning`."""

    episodes: int = 5000
    """Training episodes in total (over all levels stepped in parallel)."""
    table: Literal["factored", "joint"] = "factored"
    """``factored``: one table per cue, summed. ``joint``: one plain table over all cue combinations."""
    learning_rate: float = 0.01
    """Step size of each update."""
    discount: float = 0.95
    """Discount factor gamma: reward t steps away is worth gamma**t now."""
    trace_decay: float = 0.9
    """Lambda of Q(lambda). 0 is one-step Q-learning. The cues cannot tell near from far, so one-step
    bootstrapping learns only from the last step before an object; traces carry the reward back along the path."""
    epsilon_start: float = 0.5
    """Exploration rate (chance of a random action) at the start of training."""
    epsilon_end: float = 0.05
    """Exploration rate reached after ``epsilon_decay`` of the episodes, then kept."""
    epsilon_decay: float = 0.5
    """Fraction of the episodes over which exploration falls linearly from start to end."""
    batch_size: int = 256
    """Levels stepped at the same time (1 is the classic one-episode-at-a-time loop)."""
    max_steps: int = 200
    """Episode step limit (truncation, not a terminal state: the update still bootstraps)."""
    exploring_starts: bool = False
    """Start each episode on a random floor tile instead of the level's start (covers every state)."""
    slip: float = 0.0
    """Chance that a move is replaced by a random one (a slippery floor)."""
    report_every: int = 250
    """Episodes between progress reports (history entries and the ``on_progress`` callback)."""

    def __post_init__(self):
        checks = {
            "episodes": self.episodes >= 1 and float(self.episodes).is_integer(),
            "learning_rate": 0 < self.learning_rate <= 1,
            "discount": 0 <= self.discount < 1,
            "trace_decay": 0 <= self.trace_decay <= 1,
            "epsilon_start": 0 <= self.epsilon_start <= 1,
            "epsilon_end": 0 <= self.epsilon_end <= 1,
            "epsilon_decay": 0 < self.epsilon_decay <= 1,
            "batch_size": self.batch_size >= 1 and float(self.batch_size).is_integer(),
            "max_steps": self.max_steps >= 1,
            "slip": 0 <= self.slip <= 1,
            "report_every": self.report_every >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"QLearningConfig.{name}={getattr(self, name)!r} is out of range; see its docstring.")
        if self.table not in ("factored", "joint"):
            raise ValueError(f"QLearningConfig.table must be 'factored' or 'joint'; got {self.table!r}.")

    def epsilon(self, episodes_done: int) -> float:
        frac = min(1.0, episodes_done / (self.epsilon_decay * self.episodes))
        return self.epsilon_start + (self.epsilon_end - self.epsilon_start) * frac


@dataclass(eq=False)
class QAgent:
    """A learned Q-function over an observation: ``weights[feature, action]``, features from the cue values."""

    observation: object
    sizes: tuple[int, ...]
    table: str
    weights: np.ndarray
    visits: np.ndarray
    """How often each feature row was switched on during training (unvisited rows never learned anything)."""

    @classmethod
    def empty(cls, observation, sizes, table: str = "factored") -> "QAgent":
        n_features = int(np.prod(sizes)) if table == "joint" else int(sum(sizes))
        sizes = tuple(int(s) for s in sizes)
        return cls(observation, sizes, table, np.zeros((n_features, N_ACTIONS)), np.zeros(n_features, np.int64))

    def features(self, obs: np.ndarray) -> np.ndarray:
        """Which weights rows each observation switches on: shape ``(batch, 1)`` joint, ``(batch, n_cues)``."""
        obs = np.asarray(obs, dtype=np.int64).reshape(-1, len(self.sizes))
        if self.table == "joint":
            return np.ravel_multi_index(obs.T, self.sizes)[:, None]
        return obs + np.concatenate([[0], np.cumsum(self.sizes[:-1])]).astype(np.int64)

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        return self.weights[self.features(obs)].sum(axis=1)

    def act(self, obs: np.ndarray, rng: np.random.Generator, epsilon: float = 0.0, open_moves=None) -> np.ndarray:
        """Epsilon-greedy actions among the ``open_moves`` (a ``(batch, 4)`` mask; all moves if None).

        Ties between equal Q-values are broken at random through ``rng``.
        """
        q = self.q_values(obs)
        allowed = np.ones(q.shape, dtype=bool) if open_moves is None else np.asarray(open_moves, dtype=bool)
        q = np.where(allowed, q, -np.inf)
        best = q == q.max(axis=1, keepdims=True)
        greedy = (rng.random(q.shape) * best).argmax(axis=1)
        if epsilon <= 0.0:
            return greedy
        explore = rng.random(len(q)) < epsilon
        return np.where(explore, (rng.random(q.shape) * allowed).argmax(axis=1), greedy)

    def update(self, obs, action, reward, next_obs, terminated, learning_rate: float, discount: float,
               traces: np.ndarray | None = None, trace_decay: float = 0.0) -> np.ndarray:
        """One Q-learning step on a batch of transitions; returns the TD errors.

        With ``traces`` (an array ``(batch, features, actions)`` kept by the caller, zeroed at each episode start)
        the update is Q(lambda): every weight used on the way here shares the TD error, fading by
        ``discount * trace_decay`` per step. Without, it is one-step Q-learning.
        """
        feats = self.features(obs)
        action = np.asarray(action)
        self.visits += np.bincount(feats.ravel(), minlength=len(self.visits))
        q_sa = self.weights[feats, action[:, None]].sum(axis=1)
        target = reward + discount * self.q_values(next_obs).max(axis=1) * ~np.asarray(terminated)
        td_error = target - q_sa
        if traces is None:  # one-step: only the weights used for Q(o, a) move
            index = (feats * N_ACTIONS + action[:, None]).ravel()
            total = np.bincount(index, weights=np.repeat(td_error, feats.shape[1]), minlength=self.weights.size)
            count = np.bincount(index, minlength=self.weights.size).reshape(self.weights.shape)
            total = total.reshape(self.weights.shape)
        else:
            traces *= discount * trace_decay
            rows = np.arange(len(action))[:, None]
            np.add.at(traces, (rows, feats, action[:, None]), 1.0)
            total = np.einsum("b,bfa->fa", td_error, traces)
            count = (traces > 0).sum(axis=0)
        # Updates landing on the same weight from several levels are averaged: one minibatch step per weight.
        self.weights += learning_rate * total / np.maximum(count, 1)
        return td_error


@dataclass
class TrainingResult:
    """A trained agent and its learning curve (one row per ``report_every`` episodes)."""

    agent: QAgent
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def as_tables(levels) -> MazeTables:
    if isinstance(levels, MazeTables):
        return levels
    if isinstance(levels, Level) or (isinstance(levels, (list, tuple)) and levels and isinstance(levels[0], Level)):
        return compile_levels(levels)
    raise ValueError(f"Expected a Level, a list of Levels or compiled MazeTables; got {type(levels).__name__}.")


def train_q_learning(
    levels,
    observation="cues",
    config: QLearningConfig | None = None,
    seed: int | np.random.Generator = 0,
    on_progress: Callable[[QAgent, dict], None] | None = None,
) -> TrainingResult:
    """Train a Q-learning agent on ``levels`` (each episode on a level drawn at random from them).

    Same seed, same weights, bit for bit. ``on_progress(agent, row)`` is called every ``config.report_every``
    episodes with the latest learning-curve row (for live plots).
    """
    import time

    config = config or QLearningConfig()
    tables = as_tables(levels)
    observation = get_observation(observation)
    rng = np.random.default_rng(seed)
    agent = QAgent.empty(observation, observation.sizes(tables), config.table)
    result = TrainingResult(agent)
    started = time.perf_counter()

    # --- plumbing: a batch of episodes in flight, each on its own level ---
    batch = int(min(config.batch_size, config.episodes))
    floor = np.flatnonzero(~tables.levels[0].walls.ravel()) if config.exploring_starts else None

    def new_episodes(n):
        lv = rng.integers(tables.n_levels, size=n)
        if floor is None:
            return lv, tables.start[lv]
        tiles = rng.choice(floor, size=n)
        return lv, np.where(tables.object_at[lv, tiles] >= 0, tables.start[lv], tiles)

    level, tile = new_episodes(batch)
    steps = np.zeros(batch, dtype=np.int64)
    obs = observation.observe(tables, level, tile, rng)
    traces = np.zeros((batch,) + agent.weights.shape) if config.trace_decay > 0 else None
    done_total, window_success, window_done, window_steps = 0, 0, 0, 0
    next_report = config.report_every

    while done_total < config.episodes:
        # --- the idea: act epsilon-greedily, step, and apply the Q-learning update ---
        action = agent.act(obs, rng, config.epsilon(done_total), tables.open_moves(level, tile))
        tile, reward, terminated, _ = tables.step(level, tile, action, rng, slip=config.slip)
        next_obs = observation.observe(tables, level, tile, rng)
        agent.update(obs, action, reward, next_obs, terminated, config.learning_rate, config.discount,
                     traces, config.trace_decay)

        # --- plumbing: finished episodes restart on a fresh random level ---
        steps += 1
        finished = terminated | (steps >= config.max_steps)
        if finished.any():
            n = int(finished.sum())
            done_total += n
            window_done += n
            window_success += int(reward[finished].sum())
            window_steps += int(steps[finished].sum())
            level[finished], tile[finished] = new_episodes(n)
            steps[finished] = 0
            if traces is not None:
                traces[finished] = 0.0
            next_obs[finished] = observation.observe(tables, level[finished], tile[finished], rng)
            if done_total >= next_report or done_total >= config.episodes:
                # One row per report, however many report points this step's finished episodes jumped over.
                row = {
                    "episodes": min(done_total, config.episodes),
                    "train_success": window_success / window_done,
                    "mean_steps": window_steps / window_done,
                    "epsilon": config.epsilon(done_total),
                    "seconds": time.perf_counter() - started,
                }
                result.history.append(row)
                if on_progress is not None:
                    on_progress(agent, row)
                window_success = window_done = window_steps = 0
                next_report = (done_total // config.report_every + 1) * config.report_every
        obs = next_obs
    result.seconds = time.perf_counter() - started
    return result
