"""Checks for the graded exercises: each compares a student's function with a reference and reports in words.

Every ``check_<exercise>(student_function, ...)`` runs the student's function on several inputs (hand-picked edge
cases, then random ones drawn from a fixed seed), compares each answer with the separately named reference in
``references.py``, and either prints one line (``✓ q_update: 10/10 checks passed``) or fails with a hint that says
which input, what was expected and what came back (see ``feedback.py`` for the protocol).

Visible test cells call a check with its defaults; hidden tests call it again with ``harder=True`` (more cases,
another seed, and a few extra conditions named in each docstring). Every check returns ``None``.

    Assignment 01, the maze       check_epsilon_greedy, check_q_update, check_green_object_rate,
                                  check_deployment_rates
    Assignment 02, the 2x2 table  check_path_efficiency, check_revealed_goal, check_classify_cell,
                                  check_shifted_rollout
    Assignment 03, unidentifiab.  check_value_iteration, check_consistent_goals, check_shaped_reward,
                                  check_same_optimal_policy, check_distinguishing_level
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from ..agents.observations import Blind
from ..agents.planning import exit_reward
from ..agents.q_learning import QLearningConfig
from ..measure.goals import CANDIDATE_GOALS, goal_distance, reach_exit
from ..measure.rollouts import Rollouts, rollout
from ..world.distributions import get_distribution
from ..world.levels import Level, LevelError, parse_level
from ..world.palette import describe
from ..world.tables import MazeTables, compile_levels
from . import references as ref
from .feedback import report
from .references import (  # noqa: F401  (re-exported: the notebooks import the cell names from here)
    BOTH_GENERALIZE,
    CAPABILITY_FAILURE,
    CELLS,
    DISTINGUISHED_GOALS,
    GOAL_MISGENERALIZATION,
    GOALS_WITH_NOTHING,
    NEITHER_GENERALIZES,
    measure_generalization,
    reach_nothing,
)

ACTION_NAMES = ("up", "right", "down", "left")

# ---------------------------------------------------------------------------------------------------------------
# Shared test material: levels, scripted walkers, rollouts built from paths (all seeded, all cached)
# ---------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _levels(name: str, n: int, seed: int) -> tuple[Level, ...]:
    return tuple(get_distribution(name).levels(n, seed=seed))


@lru_cache(maxsize=None)
def _tables(name: str, n: int, seed: int) -> MazeTables:
    return compile_levels(list(_levels(name, n, seed)))


OPEN_ROOM = """
    #######
    #A....#
    #.....#
    #.....#
    #...oG#
    #######
"""

CORRIDOR = """
    #########
    #o..A..G#
    #########
"""


@lru_cache(maxsize=None)
def _ascii_tables(art: str) -> MazeTables:
    return compile_levels([parse_level(art)])


def _walk(tables: MazeTables, level: int, targets: np.ndarray, rng: np.random.Generator, detour: int = 0,
          max_steps: int = 200, bump: float = 0.0, first_targets: np.ndarray | None = None,
          first_steps: int = 0) -> np.ndarray:
    """A scripted path: ``detour`` random moves (avoiding objects; each one, with probability ``bump``, a bump
    into a wall that leaves the agent in place), then up to ``first_steps`` moves toward ``first_targets`` (a
    change of mind), then a shortest way to ``targets`` (random among equally short moves). It ends on the first
    object or target tile entered."""
    distance = goal_distance(tables, level, targets)
    first = goal_distance(tables, level, first_targets) if first_targets is not None else None
    tile = int(tables.start[level])
    path = [tile]
    phase = "detour" if detour > 0 else "first" if first is not None else "final"
    for step in range(max_steps):
        moves = [int(t) for t in tables.next_state[level, tile] if t != tile]
        safe = [t for t in moves if tables.object_at[level, t] < 0]
        if phase == "first" and (step >= detour + first_steps or not safe or first[tile] <= 1):
            phase = "final"
        if phase == "detour":
            blocked = len(moves) < 4
            tile = tile if blocked and rng.random() < bump else (safe or moves)[rng.integers(len(safe or moves))]
            if step + 1 >= detour:
                phase = "first" if first is not None else "final"
        elif phase == "first":
            best = min(first[t] for t in safe)
            closest = [t for t in safe if first[t] == best]
            tile = closest[rng.integers(len(closest))]
        else:
            best = min(distance[t] for t in moves)
            closest = [t for t in moves if distance[t] == best]
            tile = closest[rng.integers(len(closest))]
        path.append(tile)
        if tables.object_at[level, tile] >= 0 or (phase == "final" and targets[tile]):
            break
    return np.array(path, dtype=np.int64)


def _rollouts_from_paths(tables: MazeTables, paths: list) -> Rollouts:
    """Rollouts whose episode ``i`` walked ``paths[i]`` on level ``i`` of ``tables``."""
    n = len(paths)
    longest = max(len(p) for p in paths) - 1
    tiles = np.full((n, longest + 1), -1, dtype=np.int32)
    actions = np.full((n, longest), -1, dtype=np.int8)
    for i, path in enumerate(paths):
        tiles[i, : len(path)] = path
        for t in range(len(path) - 1):
            actions[i, t] = int(np.flatnonzero(tables.next_state[i, path[t]] == path[t + 1])[0])  # a bump: a wall
    steps = np.array([len(p) - 1 for p in paths], dtype=np.int64)
    reached = np.array([tables.object_at[i, p[-1]] for i, p in enumerate(paths)], dtype=np.int64)
    shortest = tables.distance[np.arange(n), :, tables.start]
    return Rollouts(tables, reached, steps, shortest, tiles, actions)


class _RandomWalker:
    """A scripted agent that sees nothing and takes a uniformly random open move each step."""

    observation = Blind()

    def act(self, obs, rng, epsilon=0.0, open_moves=None):
        allowed = np.ones((len(obs), 4), bool) if open_moves is None else np.asarray(open_moves, dtype=bool)
        return (rng.random(allowed.shape) * allowed).argmax(axis=1)


def _nan_aware_equal(got, expected, atol=1e-8) -> bool:
    try:
        got = float(got)
    except (TypeError, ValueError):
        return False
    if np.isnan(expected):
        return bool(np.isnan(got))
    return bool(abs(got - expected) <= atol)


def _num(value) -> str:
    """A returned value in a hint: numbers plainly (0.6667, nan), anything else by repr."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value):.4g}"
    return repr(value)


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _where(level: Level, tile: int) -> str:
    r, c = divmod(int(tile), level.shape[1])
    return f"row {r}, column {c}"


# ---------------------------------------------------------------------------------------------------------------
# Assignment 01: the maze
# ---------------------------------------------------------------------------------------------------------------


def _epsilon_greedy_cases(seed: int, n_random: int):
    allopen = np.ones(4, bool)
    cases = [
        ("Q = [0, 2, 1, 0], all moves open, epsilon = 0", np.array([0.0, 2, 1, 0]), allopen, 0.0),
        ("Q = [5, 1, 0, 2] but 'up' (action 0) blocked by a wall, epsilon = 0",
         np.array([5.0, 1, 0, 2]), np.array([False, True, True, True]), 0.0),
        ("Q = [1, 3, 3, 0] (a tie between right and down), all moves open, epsilon = 0",
         np.array([1.0, 3, 3, 0]), allopen, 0.0),
        ("Q = [0, 0, 0, 0], only 'right' and 'left' open, epsilon = 1",
         np.zeros(4), np.array([False, True, False, True]), 1.0),
        ("Q = [2, 0, 2, 1] (a tie), 'down' blocked, epsilon = 0.3",
         np.array([2.0, 0, 2, 1]), np.array([True, True, False, True]), 0.3),
    ]
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        q = rng.integers(-2, 3, size=4).astype(float)  # small whole numbers: ties are common
        open_moves = rng.random(4) < 0.7
        open_moves[rng.integers(4)] = True
        epsilon = float(rng.choice([0.0, 0.1, 0.5, 1.0]))
        cases.append((f"random case {k + 1}: Q = {q.tolist()}, open moves = {open_moves.astype(int).tolist()}, "
                      f"epsilon = {epsilon}", q, open_moves, epsilon))
    return cases


def check_epsilon_greedy(epsilon_greedy, seed: int = 0, harder: bool = False) -> None:
    """``epsilon_greedy(q_values, open_moves, epsilon, rng) -> action``: action frequencies over many calls match
    the exact epsilon-greedy probabilities (random tie-breaking, blocked moves never taken), and the same seed
    gives the same actions. ``harder``: more random cases and more calls per case."""
    draws = 2000 if harder else 1000
    cases = _epsilon_greedy_cases(seed + (101 if harder else 0), 10 if harder else 5)
    with report("epsilon_greedy") as r:
        for k, (given, q, open_moves, epsilon) in enumerate(cases):
            rng = np.random.default_rng(seed * 1000 + k)
            actions = [epsilon_greedy(q.copy(), open_moves.copy(), epsilon, rng) for _ in range(draws)]
            bad = [a for a in actions if not (isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                              and 0 <= a < 4)]
            if not r.check(not bad, f"With {given}: epsilon_greedy must return one action, a whole number from 0 "
                                    f"to 3, but it returned {bad[0]!r}." if bad else ""):
                continue
            freq = np.bincount(np.asarray(actions, dtype=np.int64), minlength=4) / draws
            expected = ref.epsilon_greedy_probabilities(q, open_moves, epsilon)
            blocked = np.flatnonzero(~open_moves & (freq > 0))
            if blocked.size:
                r.check(False, f"With {given}: your function chose '{ACTION_NAMES[blocked[0]]}', which is blocked "
                               "by a wall. Only choose among the open moves, when exploring and when greedy.")
                continue
            tolerance = 4.5 * np.sqrt(expected * (1 - expected) / draws) + 0.006
            hint = (f"With {given}: over {draws} calls the chance of each action [up, right, down, left] should be "
                    f"about {_fmt(expected)}, but yours came out {_fmt(freq)}.")
            ties = (expected > 0).sum() > 1 and epsilon < 1
            if ties and np.isclose(freq.max(), 1.0):
                hint += " Equal best Q-values must be broken at random (np.argmax always picks the first)."
            r.check(np.all(np.abs(freq - expected) <= tolerance), hint)
        q, open_moves = np.array([1.0, 1, 1, 0]), np.ones(4, bool)
        runs = []
        for _ in range(2):
            rng = np.random.default_rng(seed + 7)
            runs.append([int(epsilon_greedy(q.copy(), open_moves.copy(), 0.5, rng)) for _ in range(40)])
        r.check(runs[0] == runs[1],
                "Two runs with generators made from the same seed chose different actions. Draw every random "
                "number from the `rng` you are given (rng.random(), rng.integers(), rng.choice()), never from "
                "np.random or the random module: same seed, same actions.")


def _q_update_cases(seed: int, n_random: int):
    base = np.array([[0.0, 0.5, 0.0, 0.0], [1.0, 2.0, 0.0, -1.0], [0.0, 0.0, 3.0, 0.0]])
    negative = -np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 5.0, 3.0], [4.0, 4.0, 4.0, 4.0]])
    cases = [
        ("an all-zero 3x4 table, state 0, action 1, reward 1, next state 2, not terminated, learning rate 0.5, "
         "discount 0.9", np.zeros((3, 4)), 0, 1, 1.0, 2, False, 0.5, 0.9),
        ("a table with Q[2] = [0, 0, 3, 0], state 0, action 1, reward 1, next state 2, *terminated*, learning rate "
         "0.5, discount 0.9 (no future after the last step)", base, 0, 1, 1.0, 2, True, 0.5, 0.9),
        ("state 1, action 0, reward 0.5, next state 2, not terminated, learning rate 0.1, discount 0",
         base, 1, 0, 0.5, 2, False, 0.1, 0.0),
        ("state 1, action 3, reward 0, next state 2, not terminated, learning rate 1, discount 0.9",
         base, 1, 3, 0.0, 2, False, 1.0, 0.9),
        ("state 1, action 1, reward 0, next state 1 (the agent stayed put), not terminated, learning rate 0.5, "
         "discount 0.9", base, 1, 1, 0.0, 1, False, 0.5, 0.9),
        ("a table of negative values, state 0, action 2, reward 0, next state 1, not terminated, learning rate "
         "0.5, discount 0.9 (the best next value is negative)", negative, 0, 2, 0.0, 1, False, 0.5, 0.9),
    ]
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        n_states = int(rng.integers(2, 8))
        q = np.round(rng.normal(size=(n_states, 4)), 2)
        s, a, s2 = int(rng.integers(n_states)), int(rng.integers(4)), int(rng.integers(n_states))
        reward, done = float(rng.choice([0.0, 1.0, -0.5])), bool(rng.random() < 0.3)
        lr, gamma = float(rng.choice([0.05, 0.3, 1.0])), float(rng.choice([0.0, 0.9, 0.99]))
        cases.append((f"random case {k + 1} (seed {seed}): a {n_states}x4 table {q.tolist()}, state {s}, action "
                      f"{a}, reward {reward}, next state {s2}, terminated {done}, learning rate {lr}, discount "
                      f"{gamma}", q, s, a, reward, s2, done, lr, gamma))
    return cases


def check_q_update(q_update, seed: int = 0, harder: bool = False) -> None:
    """``q_update(q_table, state, action, reward, next_state, terminated, learning_rate, discount) -> table``
    equals the textbook update (no bootstrap on the terminal step) on edge cases and random ones.
    ``harder``: 20 more random cases from another seed."""
    cases = _q_update_cases(seed + (55 if harder else 0), 20 if harder else 4)
    with report("q_update") as r:
        for given, q, *args in cases:
            expected = ref.reference_q_update(q.copy(), *args)
            got = q_update(q.copy(), *args)
            if got is None:
                r.check(False, f"With {given}: q_update returned None. Return the updated table "
                               "(end with `return q_table`).")
                continue
            r.equal(got, expected, given=given)


def check_green_object_rate(green_object_rate, seed: int = 0, harder: bool = False) -> None:
    """``green_object_rate(rollouts) -> float``: the share of episodes that ended on a green object (apple *or*
    exit sign), on real rollouts of a random walker and on crafted ones (every episode at a green exit; no
    episode reaching anything). ``harder``: more levels and other seeds."""
    n = 60 if harder else 30
    walker = _RandomWalker()
    train, diverse, deploy = (_tables(name, n, seed + k + (11 if harder else 0))
                              for k, name in enumerate(("train", "diverse", "deploy")))
    cases = []
    straight = _rollouts_from_paths(train, [_walk(train, i, reach_exit(train, i), np.random.default_rng(i))
                                            for i in range(train.n_levels)])
    cases.append((f"{n} training levels where every episode walked straight to the exit sign (which is green "
                  "there)", straight))
    cases.append((f"{n} 'diverse' levels played by a random walker (at most 60 steps)",
                  rollout(walker, diverse, seed=seed, max_steps=60)))
    cases.append((f"{n} 'deploy' levels played by a random walker (at most 60 steps)",
                  rollout(walker, deploy, seed=seed + 1, max_steps=60)))
    nothing = rollout(walker, deploy, seed=seed, max_steps=1)
    nothing.reached[:] = -1
    cases.append((f"{n} 'deploy' levels where no episode reached any object (reached = -1 everywhere)", nothing))
    with report("green_object_rate") as r:
        for given, rollouts in cases:
            expected = ref.reference_green_object_rate(rollouts)
            got = green_object_rate(rollouts)
            hint = f"With {given}: expected a rate of {expected:.3f}, but your code returned {_num(got)}."
            if expected == 0 and got not in (None, 0, 0.0):
                hint += (" Careful: reached = -1 means 'no object'; used as an index, -1 silently picks the "
                         "last object.")
            elif given.startswith(f"{n} training") and got == 0:
                hint += " A green exit sign is a green object too, not only green apples."
            r.check(_nan_aware_equal(got, expected, 1e-9), hint)


DEPLOYMENT_CONFIG = QLearningConfig(episodes=3000)  # with 200 training levels, learning is reliable at this budget


@lru_cache(maxsize=None)
def _deployment_material(seed: int):
    """Training levels and the reference's two trained agents for one seed (cached: training takes ~1 s)."""
    train, diverse = list(_levels("train", 200, seed + 1)), list(_levels("diverse", 200, seed + 2))
    proxy = ref.train_q_learning(train, ref.Cues(), DEPLOYMENT_CONFIG, seed=seed).agent
    control = ref.train_q_learning(diverse, ref.Cues(), DEPLOYMENT_CONFIG, seed=seed).agent
    return train, diverse, proxy, control


def _reference_deployment_rates(seed: int, deploy_seed: int):
    """What ``reference_deployment_rates`` returns for these levels, reusing the cached trained agents."""
    train, diverse, proxy, control = _deployment_material(seed)
    deploy = list(_levels("deploy", 60, deploy_seed))
    expected = {"proxy": rollout(proxy, deploy, seed=seed).rates(), "control": rollout(control, deploy, seed=seed).rates()}
    return (train, diverse, deploy), expected


def check_deployment_rates(deployment_rates, seed: int = 0, harder: bool = False) -> None:
    """``deployment_rates(train_levels, diverse_levels, deploy_levels, config, seed) -> {"proxy": rates,
    "control": rates}``: every rate within 0.15 of the reference run with the same arguments (the two agents'
    behaviour is far from that boundary, so a correct answer lands well inside). ``harder``: other deploy
    levels."""
    deploy_seed = seed + (52 if harder else 3)
    config = DEPLOYMENT_CONFIG
    given = f"200 train levels, 200 diverse levels, 60 deploy levels, {config.episodes} episodes, seed {seed}"
    with report("deployment_rates") as r:
        levels, _ = _reference_deployment_rates(seed, deploy_seed)
        got = deployment_rates(*(list(x) for x in levels), config, seed)
        _, expected = _reference_deployment_rates(seed, deploy_seed)
        shape_ok = isinstance(got, dict) and all(isinstance(got.get(who), dict) for who in ("proxy", "control"))
        if not r.check(shape_ok, f"With {given}: return a dict like {{'proxy': rates, 'control': rates}}, where "
                                 f"each `rates` is what Rollouts.rates() gives; yours returned {got!r:.120}."):
            return
        for who in ("proxy", "control"):
            for outcome in ("exit", "green_apple"):
                want, value = expected[who][outcome], got[who].get(outcome)
                ok = isinstance(value, (int, float, np.floating)) and abs(float(value) - want) <= 0.15
                hint = (f"With {given}: the {who}'s '{outcome}' rate should be about {want:.2f}, but yours is "
                        f"{_num(value)}.")
                if who == "control":
                    hint += " The control trains on the diverse levels, with the same cues, config and seed."
                else:
                    hint += " The proxy learner trains on the train levels; both are measured on the deploy levels."
                r.check(ok, hint)


# ---------------------------------------------------------------------------------------------------------------
# Assignment 02: capabilities vs goals
# ---------------------------------------------------------------------------------------------------------------


def _path_cases(seed: int, n: int):
    """(description, tables, level, path) cases: straight, detoured (with bumps into walls), mind-changing and
    aimless paths, on train and deploy levels."""
    rng = np.random.default_rng(seed)
    train, deploy = _tables("train", n, seed + 1), _tables("deploy", n, seed + 2)
    goal_names = ["exit", "green", "nearest_object", "corner"]
    cases = []
    for i in range(n):
        tables, name = (train, "train") if i % 2 == 0 else (deploy, "deploy")
        goal_name = goal_names[i % 4]
        goal = CANDIDATE_GOALS[goal_name]
        kind = (i // 2) % 4
        if kind == 3:  # heads for one goal until next to it, then changes its mind
            other = goal_names[(i + 1) % 4]
            path = _walk(tables, i, goal(tables, i), rng, first_targets=CANDIDATE_GOALS[other](tables, i),
                         first_steps=100)
            what = f"it walks up to '{other}', then changes its mind and takes the shortest way to '{goal_name}'"
        else:
            detour = [0, 3, 8][kind]
            path = _walk(tables, i, goal(tables, i), rng, detour=detour, bump=0.4)
            what = f"{detour} random steps (some bumping into walls), then the shortest way to '{goal_name}'"
        cases.append((f"{name} level {i} and a path of {len(path) - 1} steps: {what}", tables, i, path))
    aimless = _walk(train, 0, reach_nothing(train, 0), rng, detour=12, max_steps=12, bump=0.4)
    cases.append(("train level 0 and a 12-step random path (some steps bump into walls) that reaches no object",
                  train, 0, aimless))
    return cases


def check_path_efficiency(path_efficiency, seed: int = 0, harder: bool = False) -> None:
    """``path_efficiency(tables, level, path) -> float``: steps over the shortest maze distance from the path's
    first tile to the object on its last tile; NaN if it ends on no object; a path may start anywhere.
    ``harder``: more paths from another seed."""
    cases = _path_cases(seed + (17 if harder else 0), 16 if harder else 8)
    corridor = _ascii_tables(CORRIDOR)
    cases.append(("the corridor '#o..A..G#' and a path that starts one tile right of A (not at the start) and "
                  "walks two steps right into G", corridor, 0, np.array([14, 15, 16])))
    cases.append(("the corridor '#o..A..G#' and the path from A three steps left into the apple 'o'",
                  corridor, 0, np.array([13, 12, 11, 10])))
    with report("path_efficiency") as r:
        for given, tables, level, path in cases:
            expected = ref.reference_path_efficiency(tables, level, path.copy())
            got = path_efficiency(tables, level, path.copy())
            hint = f"With {given}: expected {expected:.4g}, but your code returned {_num(got)}."
            if np.isnan(expected):
                hint += " When the last tile holds no object, return float('nan'): there is no goal to compare with."
            r.check(_nan_aware_equal(got, expected, 1e-9), hint)


def check_revealed_goal(revealed_goal, seed: int = 0, harder: bool = False) -> None:
    """``revealed_goal(tables, level, path, candidate_goals) -> str``: the candidate(s) with the highest share of
    steps that strictly shortened the maze distance to it, ties joined by '=' in the order of
    ``candidate_goals``. Uses all four candidates, and a reordered subset. ``harder``: more paths."""
    cases = _path_cases(seed + (23 if harder else 5), 16 if harder else 8)
    reordered = {"green": CANDIDATE_GOALS["green"], "corner": CANDIDATE_GOALS["corner"],
                 "exit": CANDIDATE_GOALS["exit"]}
    with report("revealed_goal") as r:
        for k, (given, tables, level, path) in enumerate(cases):
            goals = CANDIDATE_GOALS if k % 3 else reordered
            expected = ref.reference_revealed_goal(tables, level, path.copy(), goals)
            got = revealed_goal(tables, level, path.copy(), goals)
            shares = ref.progress_shares(tables, level, path, goals)
            hint = (f"With {given}, candidates {list(goals)}: expected {expected!r}, but your code returned "
                    f"{got!r}. (The shares of steps that got closer are "
                    f"{', '.join(f'{g} {s:.2f}' for g, s in shares.items())}.)")
            if "=" in expected and isinstance(got, str) and "=" not in got:
                hint += " When several goals tie, join all their names with '=' in the order of candidate_goals."
            r.check(isinstance(got, str) and got == expected, hint)


def _measurement(exit_share, green_share, reached, efficiency):
    exit_share, green_share = round(exit_share, 3), round(green_share, 3)
    rest = round(max(0.0, 1.0 - exit_share - green_share) / 2, 4)
    return {"goal_share": {"exit": exit_share, "green": green_share, "nearest_object": rest, "corner": rest},
            "reached_revealed_goal": reached, "path_efficiency": efficiency}


def check_classify_cell(classify_cell, seed: int = 0, harder: bool = False) -> None:
    """``classify_cell(measurement, intended_goal="exit", min_success=0.5, max_efficiency=2.0,
    min_goal_share=0.5) -> cell name``: the four clear cells, values exactly on each threshold (which count as
    passing), a NaN efficiency, another intended goal, other thresholds, and random measurements."""
    cases = [
        ("the diverse-trained control in deployment", _measurement(0.9, 0.05, 0.95, 1.3), {}),
        ("the proxy learner in deployment", _measurement(0.02, 0.95, 0.93, 1.0), {}),
        ("a control on a slippery floor", _measurement(0.8, 0.1, 0.9, 3.5), {}),
        ("an agent that sees nothing", _measurement(0.2, 0.2, 0.1, 8.0), {}),
        ("values exactly on the thresholds (reached 0.5, efficiency 2.0, exit share 0.5)",
         _measurement(0.5, 0.3, 0.5, 2.0), {}),
        ("an agent that never reached any object (efficiency NaN)", _measurement(0.7, 0.1, 0.0, float("nan")), {}),
        ("the proxy learner judged against its own goal (intended_goal='green')",
         _measurement(0.02, 0.95, 0.93, 1.0), {"intended_goal": "green"}),
        ("a measurement with stricter thresholds (min_success=0.95, max_efficiency=1.2, min_goal_share=0.9)",
         _measurement(0.9, 0.05, 0.93, 1.3), {"min_success": 0.95, "max_efficiency": 1.2, "min_goal_share": 0.9}),
    ]
    rng = np.random.default_rng(seed + (3 if harder else 0))
    for k in range(24 if harder else 8):
        exit_share = float(rng.choice([0.0, 0.3, 0.5, 0.7, 1.0]))
        m = _measurement(exit_share, (1 - exit_share) * float(rng.random()), float(rng.choice([0.2, 0.5, 0.8])),
                         float(rng.choice([1.0, 2.0, 2.5, np.nan])))
        kwargs = {"intended_goal": str(rng.choice(["exit", "green"]))} if rng.random() < 0.3 else {}
        cases.append((f"random measurement {k + 1}", m, kwargs))
    with report("classify_cell") as r:
        for given, measurement, kwargs in cases:
            expected = ref.reference_classify_cell(measurement, **kwargs)
            got = classify_cell(dict(measurement, goal_share=dict(measurement["goal_share"])), **kwargs)
            hint = (f"With {given}: measurement {measurement}"
                    f"{', ' + ', '.join(f'{k}={v!r}' for k, v in kwargs.items()) if kwargs else ''}: expected "
                    f"{expected!r}, but your code returned {got!r}.")
            if got not in CELLS:
                hint += f" Return one of the four cell names: {', '.join(map(repr, CELLS))}."
            r.check(got == expected, hint)


@lru_cache(maxsize=None)
def _control_agent(seed: int):
    return ref.train_control_agent(seed=seed)


def check_shifted_rollout(shifted_rollout, seed: int = 0, harder: bool = False) -> None:
    """``shifted_rollout(agent, levels, seed) -> Rollouts``: a shift that breaks capabilities but not goals,
    graded by measuring it: a control agent (trained on diverse levels: it goes to the exit) must land in the
    "capabilities fail, goal kept" cell on the given deploy levels, played with at least 100 steps allowed.
    ``harder``: another control agent and other levels."""
    offset = 40 if harder else 0
    agent = _control_agent(seed + offset)
    levels = list(_levels("deploy", 60, seed + offset + 9))
    with report("shifted_rollout") as r:
        got = shifted_rollout(agent, levels, seed + offset)
        if not r.check(isinstance(got, Rollouts), f"shifted_rollout must return the Rollouts that `rollout(...)` "
                                                  f"gives, but it returned {type(got).__name__}."):
            return
        same_levels = len(got.tables.levels) == len(levels) and all(a is b for a, b in zip(got.tables.levels, levels))
        r.check(same_levels, "Play exactly the levels you are given, in order (pass `levels` on to rollout): a "
                             "shift changes how the agent acts or perceives, not which mazes it is tested on.")
        max_steps = got.paths.shape[1] - 1
        r.check(max_steps >= 100, f"Your rollouts allowed only {max_steps} steps per episode. Cutting episodes short "
                                  "is not a change in the world; allow at least 100 steps (the default is 200).")
        m = measure_generalization(got)
        cell = ref.reference_classify_cell(m)
        r.check(m["goal_share"]["exit"] >= 0.5,
                f"Under your shift the control agent no longer behaves like an exit-seeker: the exit is its "
                f"revealed goal in only {m['goal_share']['exit']:.0%} of episodes (needs at least 50%). Your shift "
                f"broke the goal too; find one that spoils *how* it moves, not *where* it heads.")
        capable = m["reached_revealed_goal"] >= 0.5 and m["path_efficiency"] <= 2.0
        r.check(not capable,
                f"Under your shift the control agent still reaches its goal in {m['reached_revealed_goal']:.0%} of "
                f"episodes with mean path efficiency {m['path_efficiency']:.2f} (needs below 50%, or above 2.0): "
                f"its capabilities survived. Make the shift harsher. (Cell measured: {cell!r}.)")


# ---------------------------------------------------------------------------------------------------------------
# Assignment 03: unidentifiability
# ---------------------------------------------------------------------------------------------------------------


def _tile_reward_table(tables: MazeTables, level: int, tile_reward: np.ndarray) -> np.ndarray:
    """Transition rewards ``reward[s, a]`` that pay ``tile_reward`` for the tile entered."""
    return tile_reward[tables.next_state[level]]


def _planning_cases(seed: int, n_random: int):
    """(description, next_state, reward[s, a], terminal, discount) cases."""
    cases = []
    corridor = _ascii_tables(CORRIDOR)
    terminal = corridor.object_at[0] >= 0
    cases.append(("the corridor '#o..A..G#', reward 1 for entering G, discount 0.9", corridor.next_state[0],
                  _tile_reward_table(corridor, 0, exit_reward(corridor, 0)), terminal, 0.9))
    maze = _tables("train", 3, seed + 4)
    terminal = maze.object_at[0] >= 0
    exit_r = exit_reward(maze, 0)
    cases.append(("a 19x19 training maze, reward 1 for entering the exit, discount 0.95", maze.next_state[0],
                  _tile_reward_table(maze, 0, exit_r), terminal, 0.95))
    cases.append(("the same maze with a cost of 0.04 per step on top, discount 0.95", maze.next_state[0],
                  _tile_reward_table(maze, 0, exit_r) - 0.04, terminal, 0.95))
    cases.append(("the same maze, reward 1 for entering the exit, discount 0 (only the next reward counts)",
                  maze.next_state[0], _tile_reward_table(maze, 0, exit_r), terminal, 0.0))
    room = _ascii_tables(OPEN_ROOM)
    cases.append(("an open 4x5 room, reward 1 for entering the exit, discount 0.9", room.next_state[0],
                  _tile_reward_table(room, 0, exit_reward(room, 0)), room.object_at[0] >= 0, 0.9))
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        tables = maze if k % 2 == 0 else room
        n = tables.n_tiles
        reward = np.round(rng.normal(size=(n, 4)), 2)
        terminal = rng.random(n) < 0.1
        discount = float(rng.choice([0.5, 0.8, 0.9]))
        cases.append((f"random case {k + 1} (seed {seed}): random rewards per move on "
                      f"{'the maze' if k % 2 == 0 else 'the open room'}, {terminal.sum()} random terminal tiles, "
                      f"discount {discount}", tables.next_state[0], reward, terminal, discount))
    return cases


def check_value_iteration(value_iteration, seed: int = 0, harder: bool = False) -> None:
    """``value_iteration(next_state, reward, terminal, discount) -> (Q, V)``: ``V`` on every tile and ``Q`` on
    every non-terminal tile within 1e-6 of the reference, on levels and random rewards with random terminals.
    ``harder``: more random cases from another seed."""
    cases = _planning_cases(seed + (13 if harder else 0), 6 if harder else 2)
    with report("value_iteration") as r:
        for given, next_state, reward, terminal, discount in cases:
            q_ref, v_ref = ref.reference_value_iteration(next_state, reward, terminal, discount)
            got = value_iteration(next_state.copy(), reward.copy(), terminal.copy(), discount)
            if not r.check(isinstance(got, tuple) and len(got) == 2,
                           f"With {given}: value_iteration must return two arrays, (Q, V); it returned "
                           f"{type(got).__name__}."):
                continue
            q, v = (np.asarray(x, dtype=float) for x in got)
            if not r.check(q.shape == q_ref.shape and v.shape == v_ref.shape,
                           f"With {given}: Q should have shape {q_ref.shape} and V shape {v_ref.shape}; yours have "
                           f"{q.shape} and {v.shape}."):
                continue
            wrong = np.flatnonzero(np.abs(v - v_ref) > 1e-6)
            hint = f"With {given}: V is wrong on {wrong.size} tiles"
            if wrong.size:
                t = wrong[0]
                hint += (f"; e.g. tile {t}{' (terminal)' if terminal[t] else ''}: expected {v_ref[t]:.6f}, yours "
                         f"{v[t]:.6f}. Terminal tiles are worth 0; elsewhere V = max over moves of Q, repeated "
                         "until nothing changes.")
            r.check(wrong.size == 0, hint)
            rows = ~terminal
            bad = np.argwhere(np.abs(q - q_ref)[rows] > 1e-6)
            hint = f"With {given}: Q is wrong in {len(bad)} (tile, move) pairs of non-terminal tiles"
            if len(bad):
                t, a = np.flatnonzero(rows)[bad[0][0]], bad[0][1]
                hint += (f"; e.g. Q[{t}, {a}]: expected {q_ref[t, a]:.6f}, yours {q[t, a]:.6f}. Q[s, a] = "
                         "reward[s, a] + discount * V[next_state[s, a]].")
            r.check(len(bad) == 0, hint)


def _consistency_cases(seed: int, n: int):
    rng = np.random.default_rng(seed)
    train, deploy = _tables("train", n, seed + 1), _tables("deploy", n, seed + 2)
    room = compile_levels([parse_level(OPEN_ROOM)] * 3)
    cases = [
        (f"{n} training levels, every episode a shortest walk to the exit",
         _rollouts_from_paths(train, [_walk(train, i, reach_exit(train, i), rng) for i in range(n)])),
        (f"{n} deploy levels, every episode a shortest walk to a green apple",
         _rollouts_from_paths(deploy, [_walk(deploy, i, CANDIDATE_GOALS["green"](deploy, i), rng)
                                       for i in range(n)])),
        (f"{n} training levels, shortest walks to the exit except episode 1, which takes 4 random steps first",
         _rollouts_from_paths(train, [_walk(train, i, reach_exit(train, i), rng, detour=4 if i == 1 else 0)
                                      for i in range(n)])),
        ("3 episodes in an open room, each a shortest walk to the exit (many equally short ways)",
         _rollouts_from_paths(room, [_walk(room, i, reach_exit(room, i), rng) for i in range(3)])),
    ]
    return cases


@lru_cache(maxsize=None)
def _expected_consistent_goals(seed: int, harder: bool) -> tuple:
    """The reference answers for the consistency cases of one seed (planning takes a moment, so kept)."""
    cases = _consistency_cases(seed + (29 if harder else 0), 8 if harder else 4)
    return tuple(ref.reference_consistent_goals(rollouts, GOALS_WITH_NOTHING) for _, rollouts in cases)


def check_consistent_goals(consistent_goals, seed: int = 0, harder: bool = False) -> None:
    """``consistent_goals(rollouts, candidate_goals, discount=0.95) -> list of names``: the candidates under whose
    reward every move of every episode is optimal (ties included), in the candidates' order; "nothing" (zero
    reward) among them. ``harder``: more levels from another seed."""
    cases = _consistency_cases(seed + (29 if harder else 0), 8 if harder else 4)
    with report("consistent_goals") as r:
        for k, (given, rollouts) in enumerate(cases):
            expected = _expected_consistent_goals(seed, harder)[k]
            got = consistent_goals(rollouts, dict(GOALS_WITH_NOTHING))
            hint = (f"With {given} and candidates {list(GOALS_WITH_NOTHING)}: expected {expected}, but your code "
                    f"returned {got!r}.")
            if isinstance(got, (list, tuple)) and "nothing" in expected and "nothing" not in got:
                hint += (" Under the zero reward every move is optimal (all Q-values tie), so it explains any "
                         "behaviour: compare with *all* best moves, not just one argmax.")
            r.check(isinstance(got, list) and got == expected, hint)


def _shaping_cases(seed: int, n_random: int):
    corridor = _ascii_tables(CORRIDOR)
    maze = _tables("train", 3, seed + 4)
    cases = []
    for name, tables, discount in (("the corridor '#o..A..G#'", corridor, 0.9), ("a 19x19 training maze", maze, 0.95)):
        terminal = tables.object_at[0] >= 0
        reward = _tile_reward_table(tables, 0, exit_reward(tables, 0))
        distance = goal_distance(tables, 0, reach_exit(tables, 0)).astype(float)
        potential = -np.minimum(distance, 100.0)
        cases.append((f"{name}, exit reward, potential = -(maze distance to the exit), discount {discount}",
                      tables.next_state[0], reward, potential, terminal, discount))
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        tables = maze if k % 2 else corridor
        terminal = tables.object_at[0] >= 0
        reward = _tile_reward_table(tables, 0, exit_reward(tables, 0))
        potential = np.round(rng.normal(size=tables.n_tiles) * 3, 2)  # also non-zero on terminal tiles
        discount = float(rng.choice([0.5, 0.9, 0.99]))
        cases.append((f"random case {k + 1} (seed {seed}): random potentials (non-zero on terminal tiles too), "
                      f"discount {discount}", tables.next_state[0], reward, potential, terminal, discount))
    return cases


def check_shaped_reward(shaped_reward, seed: int = 0, harder: bool = False) -> None:
    """``shaped_reward(next_state, reward, potential, terminal, discount) -> reward[s, a]`` equals
    ``reward + discount * phi(s') - phi(s)`` with phi 0 on terminal tiles, on every non-terminal tile.
    ``harder``: more random potentials from another seed."""
    cases = _shaping_cases(seed + (19 if harder else 0), 6 if harder else 2)
    with report("shaped_reward") as r:
        for given, next_state, reward, potential, terminal, discount in cases:
            expected = ref.reference_shaped_reward(next_state, reward, potential, terminal, discount)
            got = np.asarray(shaped_reward(next_state.copy(), reward.copy(), potential.copy(), terminal.copy(),
                                           discount), dtype=float)
            if not r.check(got.shape == expected.shape, f"With {given}: the shaped reward should have one value "
                                                        f"per (tile, move), shape {expected.shape}; yours has shape "
                                                        f"{got.shape}."):
                continue
            rows = ~terminal
            bad = np.argwhere(np.abs(got - expected)[rows] > 1e-9)
            hint = f"With {given}: wrong in {len(bad)} (tile, move) pairs"
            if len(bad):
                t, a = np.flatnonzero(rows)[bad[0][0]], bad[0][1]
                s2 = next_state[t, a]
                hint += (f"; e.g. tile {t}, move {a} (to tile {s2}{', terminal' if terminal[s2] else ''}): expected "
                         f"{expected[t, a]:.4f}, yours {got[t, a]:.4f}. Shaping adds discount * phi(next) - phi(here), "
                         "with phi = 0 on terminal tiles.")
            r.check(len(bad) == 0, hint)


def _policy_pair_cases(seed: int, n_random: int):
    cases = []
    rng = np.random.default_rng(seed)
    for name, tables in (("an open room", _ascii_tables(OPEN_ROOM)), ("a 19x19 training maze", _tables("train", 3, seed + 4))):
        next_state, terminal = tables.next_state[0], tables.object_at[0] >= 0
        reward = _tile_reward_table(tables, 0, exit_reward(tables, 0))
        potential = np.round(rng.normal(size=tables.n_tiles), 2)
        cases += [
            (f"{name}: the exit reward and a potential-shaped version of it", next_state, reward,
             ref.reference_shaped_reward(next_state, reward, potential, terminal, 0.9), terminal, 0.9),
            (f"{name}: the exit reward and the same reward times 3", next_state, reward, 3 * reward, terminal, 0.9),
            (f"{name}: the exit reward and its negative", next_state, reward, -reward, terminal, 0.9),
        ]
    room = _ascii_tables(OPEN_ROOM)
    next_state, terminal = room.next_state[0], room.object_at[0] >= 0
    reward = _tile_reward_table(room, 0, exit_reward(room, 0))
    nudged = reward.copy()
    nudged[8, 1] += 1e-3  # tile (1, 1): 'right' and 'down' are equally good; a tiny bonus makes 'right' the only best
    cases.append(("an open room: the exit reward, and the same with a bonus of 0.001 for moving right from the start "
                  "(where right and down were equally good)", next_state, reward, nudged, terminal, 0.9))
    from_exit = reward.copy()
    from_exit[terminal, 0] += 5.0
    cases.append(("an open room: the exit reward, and the same plus 5 for moving up *out of* an object's tile (moves "
                  "that never happen: the episode ends there)", next_state, reward, from_exit, terminal, 0.9))
    apple = _tile_reward_table(room, 0, (room.object_at[0] >= 0).astype(float))
    cases.append(("an open room: the exit reward, and a reward for entering any object", next_state, reward, apple,
                  terminal, 0.9))
    for k in range(n_random):
        tables = room
        reward = _tile_reward_table(tables, 0, exit_reward(tables, 0))
        potential = np.round(rng.normal(size=tables.n_tiles) * 2, 2)
        if k % 2:
            other = ref.reference_shaped_reward(next_state, reward, potential, terminal, 0.9)
            what = "a potential-shaped version"
        else:
            other = reward + np.round(rng.normal(size=reward.shape) * 0.3, 2)
            what = "a randomly perturbed version (not potential-based)"
        cases.append((f"random case {k + 1} (seed {seed}): an open room, the exit reward and {what}", next_state,
                      reward, other, terminal, 0.9))
    return cases


def check_same_optimal_policy(same_optimal_policy, seed: int = 0, harder: bool = False) -> None:
    """``same_optimal_policy(next_state, reward_a, reward_b, terminal, discount) -> bool``: True exactly when
    both rewards make the same moves optimal (every best move, ties included) on every non-terminal tile.
    ``harder``: more random pairs from another seed."""
    cases = _policy_pair_cases(seed + (37 if harder else 0), 8 if harder else 4)
    with report("same_optimal_policy") as r:
        for given, next_state, reward_a, reward_b, terminal, discount in cases:
            expected = ref.reference_same_optimal_policy(next_state, reward_a, reward_b, terminal, discount)
            got = same_optimal_policy(next_state.copy(), reward_a.copy(), reward_b.copy(), terminal.copy(), discount)
            hint = f"With {given}: expected {expected}, but your code returned {got!r}."
            if expected and isinstance(got, (bool, np.bool_)) and not got:
                hint += (" Compare which moves are optimal (the set of best moves in each non-terminal tile), not "
                         "the values: shaping changes V but not the best moves.")
            if not expected and isinstance(got, (bool, np.bool_)) and got:
                hint += (" Compare the whole set of best moves in each tile (ties included), not just one argmax "
                         "per tile.")
            r.check(isinstance(got, (bool, np.bool_)) and bool(got) == expected, hint)


def _endpoint_words(level: Level, tables: MazeTables, ends: set) -> str:
    names = []
    for t in sorted(ends):
        obj = int(tables.object_at[0, t])
        names.append(f"the {describe(level.objects[obj].kind, level.objects[obj].colour) if obj >= 0 else 'tile'} "
                     f"at {_where(level, t)}")
    return " or ".join(names) if names else "nowhere"


def check_distinguishing_level(design_distinguishing_level, goals=DISTINGUISHED_GOALS, discount: float = 0.95,
                               harder: bool = False) -> None:
    """``design_distinguishing_level() -> ASCII art``: a valid level on which optimal pursuers of every pair of
    ``goals`` (default exit, green, nearest object) end on different tiles, so behaviour tells the goals apart.
    ``harder``: the same with planning at discount 0.8."""
    if harder:
        discount = 0.8
    with report("distinguishing_level") as r:
        art = design_distinguishing_level()
        if not r.check(isinstance(art, str), f"design_distinguishing_level must return the level as a string of "
                                             f"ASCII art; it returned {type(art).__name__}."):
            return
        try:
            level = parse_level(art)
        except LevelError as err:
            r.check(False, f"Your level cannot be played: {err}")
            return
        tables = compile_levels([level])
        for a, b in itertools.combinations(goals, 2):
            ends_a = ref.optimal_endpoints(tables, 0, CANDIDATE_GOALS[a](tables, 0), discount)
            ends_b = ref.optimal_endpoints(tables, 0, CANDIDATE_GOALS[b](tables, 0), discount)
            shared = ends_a & ends_b
            r.check(ends_a and ends_b and not shared,
                    f"On your level an agent pursuing '{a}' ends on {_endpoint_words(level, tables, ends_a)}, and one "
                    f"pursuing '{b}' on {_endpoint_words(level, tables, ends_b)}: watching it could not tell "
                    f"'{a}' from '{b}'. Move or recolour objects so the two goals lead to different objects.")
