"""Reference solutions for the graded exercises: what the checks compare a student's answer with.

Each function here is named ``reference_<exercise>`` so that it can never be confused with (or shadowed by) the
student's own function of the same idea in a notebook. They are written plainly and independently of the package
shortcuts a student might reach for (for example ``Rollouts.path_efficiency``), so a check never compares a
student's function with itself.

Assignment 01, the maze:   reference_epsilon_greedy (and epsilon_greedy_probabilities), reference_q_update,
                           reference_green_object_rate, reference_deployment_rates
Assignment 02, the 2x2:    reference_path_efficiency, reference_revealed_goal, reference_classify_cell (with
                           measure_generalization and the four cell names), reference_shifted_rollout
Assignment 03, unidentif.: reference_value_iteration, reference_consistent_goals (with reach_nothing),
                           reference_shaped_reward, reference_same_optimal_policy,
                           reference_distinguishing_level (with optimal_endpoints and level_distinguishes)
"""

from __future__ import annotations

import numpy as np

from ..agents.observations import Cues
from ..agents.planning import optimal_actions, solve_transitions, value_iteration
from ..agents.q_learning import QLearningConfig, as_tables, train_q_learning
from ..measure.goals import CANDIDATE_GOALS, goal_distance
from ..measure.revealed import progress_share, revealed_goals
from ..measure.rollouts import rollout
from ..world.palette import Colour
from ..world.tables import UNREACHABLE, MazeTables

# ---------------------------------------------------------------------------------------------------------------
# Assignment 01: the maze
# ---------------------------------------------------------------------------------------------------------------


def epsilon_greedy_probabilities(q_values, open_moves, epsilon: float) -> np.ndarray:
    """The exact probability of each action under epsilon-greedy with random tie-breaking among open moves.

    With probability ``epsilon`` the agent explores: a uniformly random open move. Otherwise it is greedy: a
    uniformly random choice among the open moves whose Q-value is the highest of the open moves.
    """
    q = np.asarray(q_values, dtype=float)
    allowed = np.asarray(open_moves, dtype=bool)
    best_value = q[allowed].max()
    best = allowed & (q == best_value)
    return epsilon * allowed / allowed.sum() + (1.0 - epsilon) * best / best.sum()


def reference_epsilon_greedy(q_values, open_moves, epsilon: float, rng: np.random.Generator) -> int:
    """Epsilon-greedy action for one state (see :func:`epsilon_greedy_probabilities`)."""
    allowed = np.flatnonzero(np.asarray(open_moves, dtype=bool))
    if rng.random() < epsilon:
        return int(rng.choice(allowed))
    q = np.asarray(q_values, dtype=float)[allowed]
    best = allowed[q == q.max()]
    return int(rng.choice(best))


def reference_q_update(q_table, state, action, reward, next_state, terminated, learning_rate, discount):
    """One tabular Q-learning update, returned as a new table (the input is not changed).

    ``Q[s, a] <- Q[s, a] + lr * (r + discount * max_a' Q[s', a'] - Q[s, a])``, with no bootstrap term when the
    episode terminated on this step.
    """
    q = np.array(q_table, dtype=float, copy=True)
    future = 0.0 if terminated else discount * q[next_state].max()
    q[state, action] += learning_rate * (reward + future - q[state, action])
    return q


def reference_green_object_rate(rollouts) -> float:
    """Share of episodes that ended on a green object (a green apple *or* a green exit sign)."""
    n = len(rollouts.reached)
    green = 0
    for i in range(n):
        obj = int(rollouts.reached[i])
        if obj >= 0 and rollouts.tables.object_colour[i, obj] == Colour.GREEN:
            green += 1
    return green / n


def reference_deployment_rates(train_levels, diverse_levels, deploy_levels, config, seed) -> dict:
    """Train the proxy learner on ``train_levels`` and the control on ``diverse_levels`` (same observation,
    same config, same seed), play both greedily on ``deploy_levels``, and return their outcome rates."""
    proxy = train_q_learning(train_levels, Cues(), config, seed=seed).agent
    control = train_q_learning(diverse_levels, Cues(), config, seed=seed).agent
    return {
        "proxy": rollout(proxy, deploy_levels, seed=seed).rates(),
        "control": rollout(control, deploy_levels, seed=seed).rates(),
    }


# ---------------------------------------------------------------------------------------------------------------
# Assignment 02: capabilities vs goals
# ---------------------------------------------------------------------------------------------------------------

BOTH_GENERALIZE = "both generalize"
GOAL_MISGENERALIZATION = "goal misgeneralization"
CAPABILITY_FAILURE = "capabilities fail, goal kept"
NEITHER_GENERALIZES = "neither generalizes"
CELLS = (BOTH_GENERALIZE, GOAL_MISGENERALIZATION, CAPABILITY_FAILURE, NEITHER_GENERALIZES)


def reference_path_efficiency(tables: MazeTables, level: int, path) -> float:
    """Steps taken over the shortest maze distance from the path's first tile to the object on its last tile.

    NaN if the path did not end on an object (nothing was reached, so there is nothing to be efficient at).
    """
    path = np.asarray(path)
    obj = int(tables.object_at[level, path[-1]])
    if obj < 0:
        return float("nan")
    steps = len(path) - 1
    return steps / float(tables.distance[level, obj, path[0]])


def progress_shares(tables: MazeTables, level: int, path, candidate_goals: dict) -> dict:
    """Per candidate goal: the share of the path's steps that made the maze distance to it strictly shorter."""
    path = np.asarray(path)
    return {name: progress_share(goal_distance(tables, level, goal(tables, level)), path)
            for name, goal in candidate_goals.items()}


def reference_revealed_goal(tables: MazeTables, level: int, path, candidate_goals: dict) -> str:
    """The candidate goal(s) with the highest progress share, ties joined by '=' in the candidates' order."""
    shares = progress_shares(tables, level, path, candidate_goals)
    top = max(shares.values())
    return "=".join(name for name, share in shares.items() if share >= top - 1e-9)


def measure_generalization(rollouts, intended_goal: str = "exit") -> dict:
    """Measure one agent under one shift, from its deployment rollouts (inverse planning, see ``revealed.py``).

    Returns a dict with
      ``goal_share``: per candidate goal, the share of episodes whose revealed goal it is (an episode whose
      behaviour ties k candidates gives each of them 1/k),
      ``reached_revealed_goal``: the share of episodes that reached (one of) their revealed goal's targets,
      ``path_efficiency``: mean steps over shortest path, over the episodes that reached an object (NaN if none).
    """
    revealed = revealed_goals(rollouts)
    best = revealed.log_likelihood >= revealed.log_likelihood.max(axis=1, keepdims=True) - 1e-9
    credit = best / best.sum(axis=1, keepdims=True)
    goal_share = {name: float(credit[:, j].mean()) for j, name in enumerate(revealed.goals)}
    efficiency = rollouts.path_efficiency
    reached = efficiency[~np.isnan(efficiency)]
    return {
        "goal_share": goal_share,
        "reached_revealed_goal": float(revealed.reached_revealed().mean()),
        "path_efficiency": float(reached.mean()) if reached.size else float("nan"),
    }


def reference_classify_cell(measurement: dict, intended_goal: str = "exit", min_success: float = 0.5,
                            max_efficiency: float = 2.0, min_goal_share: float = 0.5) -> str:
    """Which cell of the 2x2 table a measurement falls in.

    Capabilities generalize when the agent reaches its revealed goal in at least ``min_success`` of episodes
    *and* its mean path efficiency is at most ``max_efficiency`` (a NaN efficiency fails). The goal generalizes
    when the intended goal's share is at least ``min_goal_share``.
    """
    efficiency = measurement["path_efficiency"]
    capable = (measurement["reached_revealed_goal"] >= min_success
               and not np.isnan(efficiency) and efficiency <= max_efficiency)
    goal_kept = measurement["goal_share"].get(intended_goal, 0.0) >= min_goal_share
    if capable:
        return BOTH_GENERALIZE if goal_kept else GOAL_MISGENERALIZATION
    return CAPABILITY_FAILURE if goal_kept else NEITHER_GENERALIZES


def reference_shifted_rollout(agent, levels, seed):
    """A shift that breaks capabilities but not goals: a slippery floor (60% of moves replaced at random)."""
    return rollout(agent, levels, seed=seed, slip=0.6)


def train_control_agent(n_levels: int = 200, episodes: int = 3000, seed: int = 0):
    """A control agent (trained on ``diverse`` levels, so it learned to go to the exit), small and fast."""
    from ..world.distributions import get_distribution

    levels = get_distribution("diverse").levels(n_levels, seed=seed + 7)
    return train_q_learning(levels, Cues(), QLearningConfig(episodes=episodes), seed=seed).agent


# ---------------------------------------------------------------------------------------------------------------
# Assignment 03: unidentifiability
# ---------------------------------------------------------------------------------------------------------------


def reference_value_iteration(next_state, reward, terminal, discount):
    """Optimal ``Q[s, a]`` and ``V[s]`` for transition rewards ``reward[s, a]`` (the package's own solver).

    ``Q[s, a] = reward[s, a] + discount * V[next_state[s, a]]``, where ``V`` is 0 on terminal tiles (the episode
    ends there) and ``max_a Q[s, a]`` elsewhere. Iterated from ``V = 0`` until it stops changing.
    """
    return solve_transitions(next_state, reward, terminal, discount, tolerance=1e-12, max_sweeps=100_000)


def reach_nothing(tables: MazeTables, level: int) -> np.ndarray:
    """The degenerate candidate (Ng & Russell): no tile pays anything, so every behaviour is optimal."""
    return np.zeros(tables.n_tiles, dtype=bool)


def episode_moves(rollouts, episode: int):
    """The tiles an episode moved from and the actions it took there."""
    steps = int(rollouts.steps[episode])
    return rollouts.paths[episode, :steps], rollouts.actions[episode, :steps].astype(np.int64)


def reference_consistent_goals(rollouts, candidate_goals: dict, discount: float = 0.95) -> list:
    """The candidates under whose reward (1 for entering a target tile) every move of every episode is optimal."""
    tables = rollouts.tables
    consistent = []
    for name, goal in candidate_goals.items():
        ok = True
        for i in range(len(rollouts.steps)):
            reward = goal(tables, i).astype(float)
            q, _ = value_iteration(tables, i, reward=reward, discount=discount)
            best = optimal_actions(q, tolerance=1e-9)
            tiles, actions = episode_moves(rollouts, i)
            if not best[tiles, actions].all():
                ok = False
                break
        if ok:
            consistent.append(name)
    return consistent


def reference_shaped_reward(next_state, reward, potential, terminal, discount):
    """Potential-based shaping (Ng, Harada & Russell 1999): ``reward[s, a] + discount * phi(s') - phi(s)``.

    The potential of a terminal tile is taken to be 0 (for both ``s`` and ``s'``), so the shaping terms of an
    episode telescope to ``-phi(start)`` whatever path it takes.
    """
    phi = np.where(np.asarray(terminal, dtype=bool), 0.0, np.asarray(potential, dtype=float))
    return np.asarray(reward, dtype=float) + discount * phi[np.asarray(next_state)] - phi[:, None]


def reference_same_optimal_policy(next_state, reward_a, reward_b, terminal, discount, tolerance=1e-6) -> bool:
    """Whether the two rewards have the same optimal actions (every best action, ties included) in every
    non-terminal tile."""
    terminal = np.asarray(terminal, dtype=bool)
    q_a, _ = reference_value_iteration(next_state, reward_a, terminal, discount)
    q_b, _ = reference_value_iteration(next_state, reward_b, terminal, discount)
    best_a = q_a >= q_a.max(axis=1, keepdims=True) - tolerance
    best_b = q_b >= q_b.max(axis=1, keepdims=True) - tolerance
    return bool((best_a == best_b)[~terminal].all())


def optimal_endpoints(tables: MazeTables, level: int, targets: np.ndarray, discount: float = 0.95) -> set:
    """The target tiles where an optimal pursuer of ``targets`` (reward 1 for entering one) can end up.

    Follows every optimal action from the start (all ties), stopping on any object or target tile.
    """
    q, _ = value_iteration(tables, level, reward=targets.astype(float), discount=discount)
    best = optimal_actions(q, tolerance=1e-9)
    start = int(tables.start[level])
    seen, frontier, ends = {start}, [start], set()
    while frontier:
        tile = frontier.pop()
        for a in np.flatnonzero(best[tile]):
            nxt = int(tables.next_state[level, tile, a])
            if nxt in seen:
                continue
            seen.add(nxt)
            if targets[nxt]:
                ends.add(nxt)
            elif tables.object_at[level, nxt] < 0:
                frontier.append(nxt)
    return ends


def level_distinguishes(level, goal_a, goal_b, discount: float = 0.95) -> bool:
    """True if optimal pursuers of the two goals can never end on the same tile of ``level``: watching where an
    agent goes then tells the two goals apart."""
    tables = as_tables([level])
    ends_a = optimal_endpoints(tables, 0, goal_a(tables, 0), discount)
    ends_b = optimal_endpoints(tables, 0, goal_b(tables, 0), discount)
    return bool(ends_a) and bool(ends_b) and not (ends_a & ends_b)


def reference_distinguishing_level() -> str:
    """A level on which "exit", "green" and "nearest_object" each lead somewhere else."""
    return """
        ###########
        #y.A......#
        ##.######.#
        #O.......g#
        ###########
    """


DISTINGUISHED_GOALS = ("exit", "green", "nearest_object")
GOALS_WITH_NOTHING = {**CANDIDATE_GOALS, "nothing": reach_nothing}

__all__ = [name for name in dir() if name.startswith(("reference_", "CELLS"))] + [
    "BOTH_GENERALIZE", "GOAL_MISGENERALIZATION", "CAPABILITY_FAILURE", "NEITHER_GENERALIZES",
    "epsilon_greedy_probabilities", "measure_generalization", "progress_shares", "reach_nothing",
    "optimal_endpoints", "level_distinguishes", "train_control_agent", "DISTINGUISHED_GOALS", "GOALS_WITH_NOTHING",
    "UNREACHABLE", "Cues", "train_q_learning",
]
