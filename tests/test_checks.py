"""Every exercise check passes its reference solution, fails the untouched stub and fails planted bugs.

The planted bugs are the mistakes students actually make (np.argmax without tie-breaking, bootstrapping from a
terminal state, forgetting a green exit sign is green, ...). Each must be caught with a hint, not a traceback.
A last test runs each solution notebook top to bottom with the small budget (GMG_TEACH_FAST=1).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gmg_teach.agents.planning import exit_reward, optimal_actions, value_iteration
from gmg_teach.grading import checks
from gmg_teach.grading import references as ref
from gmg_teach.grading.feedback import CheckFailed
from gmg_teach.measure.goals import goal_distance
from gmg_teach.measure.rollouts import rollout
from gmg_teach.world.palette import Colour

ROOT = Path(__file__).resolve().parents[1]


def stub(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()


# --- Assignment 01 bugs -----------------------------------------------------------------------------------------


def eg_argmax_ties(q, open_moves, epsilon, rng):  # no random tie-breaking
    allowed = np.flatnonzero(open_moves)
    if rng.random() < epsilon:
        return int(rng.choice(allowed))
    return int(allowed[np.argmax(np.asarray(q)[allowed])])


def eg_ignores_walls(q, open_moves, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(4))
    best = np.flatnonzero(q == np.max(q))
    return int(rng.choice(best))


def eg_explores_everywhere(q, open_moves, epsilon, rng):  # greedy part right, exploration may walk into walls
    if rng.random() < epsilon:
        return int(rng.integers(4))
    return ref.reference_epsilon_greedy(q, open_moves, 0.0, rng)


def eg_global_random(q, open_moves, epsilon, rng):  # ignores the generator it is given
    return ref.reference_epsilon_greedy(q, open_moves, epsilon, np.random.default_rng())


def qu_bootstraps_terminal(q, s, a, r, s2, done, lr, gamma):
    q[s, a] += lr * (r + gamma * q[s2].max() - q[s, a])
    return q


def qu_sarsa_like(q, s, a, r, s2, done, lr, gamma):  # uses Q[s', a] instead of the max
    q[s, a] += lr * (r + (0 if done else gamma * q[s2, a]) - q[s, a])
    return q


def qu_max_from_zero(q, s, a, r, s2, done, lr, gamma):  # max(0, ...) slips in
    q[s, a] += lr * (r + (0 if done else gamma * max(0.0, q[s2].max())) - q[s, a])
    return q


def qu_in_place_no_return(q, s, a, r, s2, done, lr, gamma):
    q[s, a] += lr * (r + (0 if done else gamma * q[s2].max()) - q[s, a])


def gr_green_apples_only(rollouts):
    return rollouts.rates()["green_apple"]


def gr_negative_index(rollouts):
    rows = np.arange(len(rollouts.reached))
    return float(np.mean(rollouts.tables.object_colour[rows, rollouts.reached] == Colour.GREEN))


def gr_count_not_rate(rollouts):
    return float(ref.reference_green_object_rate(rollouts) * len(rollouts.reached))


def dr_control_on_train(train_levels, diverse_levels, deploy_levels, config, seed):
    return ref.reference_deployment_rates(train_levels, train_levels, deploy_levels, config, seed)


def dr_measured_on_train(train_levels, diverse_levels, deploy_levels, config, seed):
    return ref.reference_deployment_rates(train_levels, diverse_levels, train_levels[:60], config, seed)


def dr_swapped(train_levels, diverse_levels, deploy_levels, config, seed):
    rates = ref.reference_deployment_rates(train_levels, diverse_levels, deploy_levels, config, seed)
    return {"proxy": rates["control"], "control": rates["proxy"]}


# --- Assignment 02 bugs -----------------------------------------------------------------------------------------


def pe_inverted(tables, level, path):
    value = ref.reference_path_efficiency(tables, level, path)
    return 1.0 / value if not np.isnan(value) else value


def pe_from_start_tile(tables, level, path):  # measures the shortest path from the level's start, not path[0]
    obj = tables.object_at[level, path[-1]]
    if obj < 0:
        return float("nan")
    return (len(path) - 1) / tables.distance[level, obj, tables.start[level]]


def pe_always_exit(tables, level, path):
    if tables.object_at[level, path[-1]] < 0:
        return float("nan")
    return (len(path) - 1) / tables.distance[level, 0, path[0]]


def pe_zero_for_nothing(tables, level, path):
    value = ref.reference_path_efficiency(tables, level, path)
    return 0.0 if np.isnan(value) else value


def rg_no_ties(tables, level, path, goals):
    shares = ref.progress_shares(tables, level, path, goals)
    return max(shares, key=shares.get)


def rg_farther(tables, level, path, goals):  # sign slip: counts the steps that got *farther* from the goal
    shares = {}
    for name, goal in goals.items():
        d = goal_distance(tables, level, goal(tables, level))[path]
        shares[name] = float(np.mean(d[1:] > d[:-1]))
    top = max(shares.values())
    return "=".join(n for n, s in shares.items() if s >= top - 1e-9)


def rg_manhattan(tables, level, path, goals):  # straight-line distance instead of maze distance
    w = tables.shape[1]
    shares = {}
    for name, goal in goals.items():
        targets = np.flatnonzero(goal(tables, level))
        tr, tc = np.divmod(targets, w)
        pr, pc = np.divmod(np.asarray(path), w)
        d = np.min(np.abs(pr[:, None] - tr) + np.abs(pc[:, None] - tc), axis=1)
        shares[name] = float(np.mean(d[1:] < d[:-1]))
    top = max(shares.values())
    return "=".join(n for n, s in shares.items() if s >= top - 1e-9)


def cc_swapped_offdiagonal(measurement, intended_goal="exit", **kw):
    cell = ref.reference_classify_cell(measurement, intended_goal, **kw)
    swap = {ref.GOAL_MISGENERALIZATION: ref.CAPABILITY_FAILURE, ref.CAPABILITY_FAILURE: ref.GOAL_MISGENERALIZATION}
    return swap.get(cell, cell)


def cc_strict(measurement, intended_goal="exit", min_success=0.5, max_efficiency=2.0, min_goal_share=0.5):
    capable = measurement["reached_revealed_goal"] > min_success and measurement["path_efficiency"] < max_efficiency
    kept = measurement["goal_share"][intended_goal] > min_goal_share
    return [[ref.NEITHER_GENERALIZES, ref.CAPABILITY_FAILURE], [ref.GOAL_MISGENERALIZATION, ref.BOTH_GENERALIZE]][
        capable][kept]


def cc_ignores_efficiency(measurement, intended_goal="exit", **kw):
    return ref.reference_classify_cell(dict(measurement, path_efficiency=1.0), intended_goal, **kw)


def cc_always_exit(measurement, intended_goal="exit", **kw):
    return ref.reference_classify_cell(measurement, "exit", **kw)


def sr_no_shift(agent, levels, seed):
    return rollout(agent, levels, seed=seed)


class _Rotated:
    """Rotated controls: every intended move comes out a quarter turn clockwise."""

    def __init__(self, agent):
        self.agent, self.observation = agent, agent.observation

    def act(self, obs, rng, epsilon=0.0, open_moves=None):
        return (self.agent.act(obs, rng, epsilon, None) + 1) % 4


def sr_rotated_controls(agent, levels, seed):
    return rollout(_Rotated(agent), levels, seed=seed)


def sr_truncated(agent, levels, seed):
    return rollout(agent, levels, seed=seed, max_steps=5)


def sr_other_levels(agent, levels, seed):
    from gmg_teach.world.distributions import get_distribution

    return rollout(agent, get_distribution("deploy").levels(len(levels), seed=999), seed=seed, slip=0.6)


def sr_returns_rates(agent, levels, seed):
    return rollout(agent, levels, seed=seed, slip=0.6).rates()


# --- Assignment 03 bugs -----------------------------------------------------------------------------------------


def vi_one_sweep(next_state, reward, terminal, discount):
    v = np.zeros(len(next_state))
    q = reward + discount * v[next_state]
    v = np.where(terminal, 0.0, q.max(axis=1))
    return reward + discount * v[next_state], v


def vi_terminal_not_zero(next_state, reward, terminal, discount):
    v = np.zeros(len(next_state))
    for _ in range(2000):
        q = reward + discount * v[next_state]
        v = q.max(axis=1)
    return q, v


def vi_mean(next_state, reward, terminal, discount):
    v = np.zeros(len(next_state))
    for _ in range(2000):
        q = reward + discount * v[next_state]
        v = np.where(terminal, 0.0, q.mean(axis=1))
    return q, v


def cg_last_tile_only(rollouts, goals, discount=0.95):
    return [name for name, goal in goals.items()
            if all(goal(rollouts.tables, i)[rollouts.path(i)[-1]] or not goal(rollouts.tables, i).any()
                   for i in range(len(rollouts)))]


def cg_argmax(rollouts, goals, discount=0.95):
    out = []
    for name, goal in goals.items():
        ok = True
        for i in range(len(rollouts)):
            q, _ = value_iteration(rollouts.tables, i, goal(rollouts.tables, i).astype(float), discount)
            tiles, actions = ref.episode_moves(rollouts, i)
            ok &= bool(np.all(q[tiles].argmax(axis=1) == actions))
        if ok:
            out.append(name)
    return out


def cg_any_episode(rollouts, goals, discount=0.95):
    out = []
    for name, goal in goals.items():
        for i in range(len(rollouts)):
            q, _ = value_iteration(rollouts.tables, i, goal(rollouts.tables, i).astype(float), discount)
            tiles, actions = ref.episode_moves(rollouts, i)
            if optimal_actions(q)[tiles, actions].all():
                out.append(name)
                break
    return out


def sh_terminal_potential_kept(next_state, reward, potential, terminal, discount):
    return reward + discount * potential[next_state] - potential[:, None]


def sh_sign_flipped(next_state, reward, potential, terminal, discount):
    phi = np.where(terminal, 0.0, potential)
    return reward - discount * phi[next_state] + phi[:, None]


def sh_no_discount(next_state, reward, potential, terminal, discount):
    phi = np.where(terminal, 0.0, potential)
    return reward + phi[next_state] - phi[:, None]


def sp_argmax(next_state, reward_a, reward_b, terminal, discount):
    q_a, _ = ref.reference_value_iteration(next_state, reward_a, terminal, discount)
    q_b, _ = ref.reference_value_iteration(next_state, reward_b, terminal, discount)
    return bool(np.all((q_a.argmax(axis=1) == q_b.argmax(axis=1))[~terminal]))


def sp_values(next_state, reward_a, reward_b, terminal, discount):
    _, v_a = ref.reference_value_iteration(next_state, reward_a, terminal, discount)
    _, v_b = ref.reference_value_iteration(next_state, reward_b, terminal, discount)
    return bool(np.allclose(v_a, v_b))


def sp_terminal_rows_too(next_state, reward_a, reward_b, terminal, discount):
    q_a, _ = ref.reference_value_iteration(next_state, reward_a, terminal, discount)
    q_b, _ = ref.reference_value_iteration(next_state, reward_b, terminal, discount)
    return bool(np.all((q_a >= q_a.max(1, keepdims=True) - 1e-6) == (q_b >= q_b.max(1, keepdims=True) - 1e-6)))


def dl_training_level():
    return "#######\n#o.A.G#\n#######"


def dl_green_apple_nearest():
    return """
        ###########
        #g.A......#
        ##.######.#
        #O.......y#
        ###########
    """


def dl_invalid():
    return "#####\n#A..#\n#####"


# --- the table: every check against its reference, the stub and its planted bugs ----------------------------------

EXERCISES = {
    "epsilon_greedy": (checks.check_epsilon_greedy, ref.reference_epsilon_greedy,
                       [eg_argmax_ties, eg_ignores_walls, eg_explores_everywhere, eg_global_random]),
    "q_update": (checks.check_q_update, ref.reference_q_update,
                 [qu_bootstraps_terminal, qu_sarsa_like, qu_max_from_zero, qu_in_place_no_return]),
    "green_object_rate": (checks.check_green_object_rate, ref.reference_green_object_rate,
                          [gr_green_apples_only, gr_negative_index, gr_count_not_rate]),
    "deployment_rates": (checks.check_deployment_rates, ref.reference_deployment_rates,
                         [dr_control_on_train, dr_measured_on_train, dr_swapped]),
    "path_efficiency": (checks.check_path_efficiency, ref.reference_path_efficiency,
                        [pe_inverted, pe_from_start_tile, pe_always_exit, pe_zero_for_nothing]),
    "revealed_goal": (checks.check_revealed_goal, ref.reference_revealed_goal,
                      [rg_no_ties, rg_farther, rg_manhattan]),
    "classify_cell": (checks.check_classify_cell, ref.reference_classify_cell,
                      [cc_swapped_offdiagonal, cc_strict, cc_ignores_efficiency, cc_always_exit]),
    "shifted_rollout": (checks.check_shifted_rollout, ref.reference_shifted_rollout,
                        [sr_no_shift, sr_rotated_controls, sr_truncated, sr_other_levels, sr_returns_rates]),
    "value_iteration": (checks.check_value_iteration, ref.reference_value_iteration,
                        [vi_one_sweep, vi_terminal_not_zero, vi_mean]),
    "consistent_goals": (checks.check_consistent_goals, ref.reference_consistent_goals,
                         [cg_last_tile_only, cg_argmax, cg_any_episode]),
    "shaped_reward": (checks.check_shaped_reward, ref.reference_shaped_reward,
                      [sh_terminal_potential_kept, sh_sign_flipped, sh_no_discount]),
    "same_optimal_policy": (checks.check_same_optimal_policy, ref.reference_same_optimal_policy,
                            [sp_argmax, sp_values, sp_terminal_rows_too]),
    "distinguishing_level": (checks.check_distinguishing_level, ref.reference_distinguishing_level,
                             [dl_training_level, dl_green_apple_nearest, dl_invalid]),
}

BUGS = [(name, bug) for name, (_, _, bugs) in EXERCISES.items() for bug in bugs]


@pytest.mark.parametrize("harder", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_passes(name, harder, capsys):
    check, reference, _ = EXERCISES[name]
    assert check(reference, harder=harder) is None  # nbgrader reads a returned number as partial credit
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"✓ {name}: ") and line.endswith("checks passed"), line
    passed, total = line.split(": ")[1].split()[0].split("/")
    assert passed == total and int(total) >= 3


@pytest.mark.parametrize("name", list(EXERCISES))
def test_stub_fails_with_a_hint(name):
    check, _, _ = EXERCISES[name]
    with pytest.raises(CheckFailed, match="not written this yet"):
        check(stub)


@pytest.mark.parametrize("name,bug", BUGS, ids=[f"{n}-{b.__name__}" for n, b in BUGS])
def test_planted_bug_fails_with_a_hint(name, bug):
    check, _, _ = EXERCISES[name]
    with pytest.raises(CheckFailed) as failure:
        check(bug)
    message = str(failure.value)
    assert message.startswith(f"{name}: ") and ("\n  - " in message or "your code raised" in message), message
    assert "Traceback" not in message and "not written this yet" not in message


def test_exceptions_in_student_code_become_one_line():
    def crashes(*args, **kwargs):
        return np.zeros(3)[7]

    with pytest.raises(CheckFailed, match="raised IndexError"):
        checks.check_path_efficiency(crashes)


@pytest.mark.parametrize("deploy_seed", [3, 52])
def test_deployment_check_material_shows_the_effect(deploy_seed):
    """The deployment check is only honest if the reference run really shows goal misgeneralization."""
    _, rates = checks._reference_deployment_rates(0, deploy_seed)
    assert rates["proxy"]["green_apple"] >= 0.8 and rates["proxy"]["exit"] <= 0.1
    assert rates["control"]["exit"] >= 0.8


@pytest.mark.parametrize("seed", [0, 40])
def test_shift_check_control_is_competent_without_a_shift(seed):
    """The shift check needs a control agent that lands in 'both generalize' when nothing is shifted."""
    levels = list(checks._levels("deploy", 60, seed + 9))
    measured = ref.measure_generalization(rollout(checks._control_agent(seed), levels, seed=seed))
    assert ref.reference_classify_cell(measured) == ref.BOTH_GENERALIZE, measured


def test_reference_level_distinguishes_and_training_level_does_not():
    from gmg_teach.measure.goals import CANDIDATE_GOALS
    from gmg_teach.world.levels import parse_level

    good, bad = parse_level(ref.reference_distinguishing_level()), parse_level(dl_training_level())
    for a, b in [("exit", "green"), ("exit", "nearest_object"), ("green", "nearest_object")]:
        assert ref.level_distinguishes(good, CANDIDATE_GOALS[a], CANDIDATE_GOALS[b])
        assert not ref.level_distinguishes(bad, CANDIDATE_GOALS[a], CANDIDATE_GOALS[b])


def test_reference_shaping_keeps_the_optimal_policy_on_a_trained_level():
    """Potential-based shaping: its optimal moves equal those planned for the unshaped reward by the package."""
    tables = checks._tables("train", 3, 4)
    next_state, terminal = tables.next_state[0], tables.object_at[0] >= 0
    reward = checks._tile_reward_table(tables, 0, exit_reward(tables, 0))
    shaped = ref.reference_shaped_reward(next_state, reward, np.random.default_rng(0).normal(size=tables.n_tiles),
                                         terminal, 0.95)
    q_package, _ = value_iteration(tables, 0, discount=0.95)
    q_shaped, _ = ref.reference_value_iteration(next_state, shaped, terminal, 0.95)
    same = optimal_actions(q_package)[~terminal] == optimal_actions(q_shaped, 1e-6)[~terminal]
    assert same.all()


@pytest.mark.parametrize("notebook", ["01_the_maze", "02_capabilities_vs_goals", "03_unidentifiability"])
def test_solution_notebook_runs_top_to_bottom(notebook):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "solutions" / f"{notebook}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit without outputs"
    os.environ["GMG_TEACH_FAST"] = "1"  # inherited by the kernel
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "✓" in text
