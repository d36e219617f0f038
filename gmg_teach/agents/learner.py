"""The learned agent: a map it learned (navigation) and a goal it learned (a reward model), kept apart.

It acts by generalized policy improvement (Barreto et al. 2017): for each object it can see, the estimated reward
times the navigation value of each move towards that object's tile; it takes the move that is best for some object::

    Q(s, a) = max over objects o of  r_hat(o) * Q_nav[s, a, tile(o)]

So *capabilities* (``navigation``) and *goal* (``goal``) are two separate objects a lesson can show, plot and edit:
swap the goal and the same map takes the agent elsewhere.

``train_learner`` runs many episodes at once on the fast engine. Every move is recorded into the map and replayed;
every episode that ends on an object adds one (features, reward) pair to the goal model. Exploration: with
probability ``epsilon`` a random move, otherwise the greedy one (ties broken at random, so a fresh agent wanders).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..world.distributions import Distribution, Episodes, get_distribution
from ..world.levels import N_ACTIONS
from ..world.observation import observe
from ..world.palette import Kind
from ..world.tables import next_state_table
from .goal_model import GoalModel
from .navigation import NavigationValues


@dataclass
class LearnerConfig:
    """Hyperparameters of :func:`train_learner`."""

    episodes: int = 1000
    """Training episodes in total (over all episodes run in parallel)."""
    batch_size: int = 128
    """Episodes run at the same time (1 is the classic one-episode-at-a-time loop)."""
    epsilon: float = 0.2
    """Exploration: chance of a random move instead of the greedy one."""
    discount: float = 0.95
    """Navigation discount: a tile k steps away is worth discount**(k - 1) in the map (1 one step away)."""
    replay_every: int = 2
    """Steps (of the whole batch) between replay sweeps of the map."""
    max_steps: int = 200
    """Episode step limit."""
    kind_salience: float = 1.0
    """Scale of the kind features in the goal model."""
    colour_salience: float = 3.0
    """Scale of the colour features (3x the kind: colour is the salient one, as for the proxy learner)."""
    prior_precision: float = 5.0
    """Goal model's prior strength (ridge penalty)."""
    report_every: int = 100
    """Episodes between learning-curve rows (and ``on_progress`` calls)."""

    def __post_init__(self):
        whole = lambda v: not isinstance(v, bool) and isinstance(v, (int, np.integer))  # noqa: E731
        checks = {
            "episodes": whole(self.episodes) and self.episodes >= 1,
            "batch_size": whole(self.batch_size) and self.batch_size >= 1,
            "epsilon": 0 <= self.epsilon <= 1,
            "discount": 0 < self.discount < 1,
            "replay_every": whole(self.replay_every) and self.replay_every >= 1,
            "max_steps": whole(self.max_steps) and self.max_steps >= 1,
            "kind_salience": self.kind_salience > 0,
            "colour_salience": self.colour_salience > 0,
            "prior_precision": self.prior_precision > 0,
            "report_every": whole(self.report_every) and self.report_every >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"LearnerConfig.{name}={getattr(self, name)!r} is out of range; see its docstring.")


@dataclass(eq=False)
class LearnedAgent:
    """Navigation values plus a goal model; acts by generalized policy improvement."""

    navigation: NavigationValues
    goal: GoalModel

    def object_values(self, agent_tile, objects) -> np.ndarray:
        """``(batch, objects, 4)``: estimated reward of each object times the value of each move towards it."""
        agent_tile, objects = np.asarray(agent_tile), np.asarray(objects)
        reward = self.goal.reward(objects[..., 1], objects[..., 2])
        return reward[..., None] * self.navigation.action_values(agent_tile, objects[..., 0])

    def q_values(self, agent_tile, objects) -> np.ndarray:
        """``(batch, 4)``: the best object's value for each move."""
        return self.object_values(agent_tile, objects).max(axis=1)

    def heading_for(self, agent_tile, objects) -> np.ndarray:
        """``(batch,)`` index (in ``objects``) of the object whose value drives the greedy move."""
        values = self.object_values(agent_tile, objects)
        return values.max(axis=2).argmax(axis=1)

    def act(self, agent_tile, objects, rng: np.random.Generator, epsilon: float = 0.0, level=None) -> np.ndarray:
        """Epsilon-greedy moves; ties broken at random through ``rng``. ``level`` is ignored (planners use it)."""
        q = self.q_values(agent_tile, objects)
        best = q >= q.max(axis=1, keepdims=True) - 1e-12
        greedy = (rng.random(q.shape) * best).argmax(axis=1)
        if epsilon <= 0.0:
            return greedy
        explore = rng.random(len(q)) < epsilon
        return np.where(explore, rng.integers(N_ACTIONS, size=len(q)), greedy)

    def with_goal(self, goal: GoalModel) -> "LearnedAgent":
        """The same map with another goal (steering)."""
        return LearnedAgent(self.navigation, goal)

    def learn(self, agent_tile, action, next_tile, touched_kind, touched_colour, reward, terminated) -> None:
        """Learn from a batch of transitions: record the moves; for those that ended on an object, its reward."""
        self.navigation.record(agent_tile, action, next_tile)
        terminated = np.asarray(terminated, bool)
        if terminated.any():
            self.goal.record(np.asarray(touched_kind)[terminated], np.asarray(touched_colour)[terminated],
                             np.asarray(reward)[terminated])


def new_agent(n_tiles: int, config: LearnerConfig) -> LearnedAgent:
    goal = GoalModel(config.kind_salience, config.colour_salience, config.prior_precision)
    return LearnedAgent(NavigationValues.empty(n_tiles, config.discount), goal)


@dataclass
class TrainingResult:
    """A trained agent and its learning curve (one row per ``report_every`` episodes)."""

    agent: LearnedAgent
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def train_learner(
    distribution: str | Distribution = "train",
    config: LearnerConfig | None = None,
    seed: int | np.random.Generator = 0,
    on_progress: Callable[[LearnedAgent, dict], None] | None = None,
    split: str | None = "train",
) -> TrainingResult:
    """Train a :class:`LearnedAgent` in ``distribution``'s building on episodes drawn from it.

    Training draws only configurations of the ``train`` half (see ``distributions.py``), so held-out evaluation
    episodes are never ones the agent met. Same seed, same agent, bit for bit.
    """
    config = config or LearnerConfig()
    if not isinstance(config, LearnerConfig):
        raise ValueError(f"config must be a LearnerConfig; got {type(config).__name__}.")
    dist = get_distribution(distribution)
    rng = np.random.default_rng(seed)
    moves = next_state_table(dist.walls)
    agent = new_agent(len(moves), config)
    result = TrainingResult(agent)
    started = time.perf_counter()

    # --- plumbing: a batch of episodes in flight, refilled as they end -----------------------------------------------
    batch = min(config.batch_size, config.episodes)
    queue = [dist.sample(max(batch, 512), rng, split)]  # configurations waiting to be played, drawn in chunks

    def draw(n):
        if len(queue[0]) < n:
            queue[0] = Episodes.concatenate([queue[0], dist.sample(max(n, 512), rng, split)])
        taken, queue[0] = queue[0].subset(slice(0, n)), queue[0].subset(slice(n, None))
        return taken

    episodes = draw(batch)
    tile = episodes.start.copy()
    obj_tile, obj_kind, obj_colour = episodes.object_tile.copy(), episodes.object_kind.copy(), episodes.object_colour.copy()
    steps = np.zeros(batch, dtype=np.int64)
    done, step_count = 0, 0
    window = {"episodes": 0, "success": 0, "steps": 0}
    next_report = config.report_every

    while done < config.episodes:
        # --- the idea: act, move, learn from the move and from what was touched ---------------------------------------
        agent_obs, objects_obs = observe(tile, obj_tile, obj_kind, obj_colour)
        action = agent.act(agent_obs, objects_obs, rng, config.epsilon)
        next_tile = moves[tile, action]
        hit = obj_tile == next_tile[:, None]
        terminated = hit.any(axis=1)
        which = hit.argmax(axis=1)
        rows = np.arange(batch)
        kind, colour = obj_kind[rows, which], obj_colour[rows, which]
        reward = (terminated & (kind == Kind.EXIT)).astype(float)
        agent.learn(tile, action, next_tile, kind, colour, reward, terminated)
        step_count += 1
        if step_count % config.replay_every == 0:
            agent.navigation.replay()

        # --- plumbing: finished episodes restart with a fresh configuration ---------------------------------------
        tile = next_tile
        steps += 1
        finished = terminated | (steps >= config.max_steps)
        if finished.any():
            n = int(finished.sum())
            done += n
            window["episodes"] += n
            window["success"] += int(reward[finished].sum())
            window["steps"] += int(steps[finished].sum())
            fresh = draw(n)
            tile[finished], steps[finished] = fresh.start, 0
            obj_tile[finished], obj_kind[finished], obj_colour[finished] = (
                fresh.object_tile, fresh.object_kind, fresh.object_colour)
            if done >= next_report or done >= config.episodes:
                row = {
                    "episodes": min(done, config.episodes),
                    "moves": step_count * batch,
                    "train_success": window["success"] / window["episodes"],
                    "mean_steps": window["steps"] / window["episodes"],
                    "map_coverage": agent.navigation.coverage(),
                    "seconds": time.perf_counter() - started,
                }
                result.history.append(row)
                if on_progress is not None:
                    on_progress(agent, row)
                window = {"episodes": 0, "success": 0, "steps": 0}
                next_report = (done // config.report_every + 1) * config.report_every
    result.seconds = time.perf_counter() - started
    return result

