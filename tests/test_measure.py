"""Measurement: rollouts, candidate goals and the revealed goal, on scripted trajectories whose goal is known."""

import numpy as np
import pytest

from gmg_teach import compile_levels, parse_level, rollout
from gmg_teach.measure.goals import CANDIDATE_GOALS, goal_distance, reach_exit, reach_green
from gmg_teach.measure.revealed import progress_share, revealed_goals
from gmg_teach.measure.stats import mean_ci, t_critical

# The exit (blue, B) is to the right, the green apple (g) to the left, an orange apple (o) down a side corridor;
# the top-left corner tile hides behind the green apple, so the corner goal is out of reach.
FORK = """
###########
#.g..A...B#
#####.#####
#####o#####
###########
"""
UP, RIGHT, DOWN, LEFT = range(4)


class Scripted:
    """A test agent that plays a fixed action string, whatever it sees."""

    observation = type("NoObs", (), {"observe": staticmethod(lambda t, l, s, rng: np.zeros((np.size(s), 1), int))})

    def __init__(self, actions):
        self.actions, self.t = list(actions), 0

    def act(self, obs, rng, epsilon=0.0, open_moves=None):
        a = self.actions[min(self.t, len(self.actions) - 1)]
        self.t += 1
        return np.full(len(obs), a)


def _play(actions, art=FORK):
    return rollout(Scripted(actions), compile_levels(parse_level(art)), seed=0, max_steps=len(actions))


def test_rollout_records_outcome_steps_and_efficiency():
    to_exit = _play([RIGHT] * 4)
    assert to_exit.outcome.tolist() == ["exit"]
    assert to_exit.steps.tolist() == [4] and to_exit.path_efficiency.tolist() == [1.0]
    detour = _play([LEFT, RIGHT] + [RIGHT] * 4)
    assert detour.outcome.tolist() == ["exit"] and detour.path_efficiency.tolist() == [1.5]
    to_green = _play([LEFT] * 3)
    assert to_green.outcome.tolist() == ["green_apple"]
    to_orange = _play([DOWN, DOWN])
    assert to_orange.outcome.tolist() == ["other_apple"]
    lost = _play([UP] * 3)
    assert lost.outcome.tolist() == ["none"] and np.isnan(lost.path_efficiency[0])
    record = to_green.records()[0]
    assert record["reached_kind"] == "apple" and record["reached_colour"] == "green"
    assert record["shortest_path"] == [4, 3, 2]


@pytest.mark.parametrize(
    "actions, expected",
    [
        ([RIGHT] * 4, "exit"),
        ([LEFT] * 3, "green"),
        ([DOWN, DOWN], "nearest_object"),  # the orange apple is the closest object
    ],
)
def test_revealed_goal_of_scripted_trajectories(actions, expected):
    revealed = revealed_goals(_play(actions))
    assert revealed.label[0] == expected
    assert revealed.reached_revealed()[0]


def test_revealed_goal_ties_when_candidates_coincide():
    # Training-like level: the exit sign is the only green object, so "exit" and "green" cannot be told apart.
    art = FORK.replace("g", "o").replace("B", "G")
    revealed = revealed_goals(_play([RIGHT] * 4, art))
    assert revealed.label[0] == "exit=green"
    post = revealed.posterior()[0]
    assert post[0] == pytest.approx(post[1])


def test_revealed_goal_survives_a_wrong_step():
    revealed = revealed_goals(_play([LEFT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT]))
    assert revealed.label[0] == "exit"
    assert revealed.progress[0, 0] == pytest.approx(5 / 6)


def test_goal_distance_blocks_other_objects():
    tables = compile_levels(parse_level(FORK))
    d_exit = goal_distance(tables, 0, reach_exit(tables, 0))
    start = tables.start[0]
    assert d_exit[start] == 4
    assert d_exit[tables.object_tile[0, 1]] >= 10**6  # the green apple is a dead end for the exit goal
    d_green = goal_distance(tables, 0, reach_green(tables, 0))
    assert d_green[start] == 3
    assert progress_share(d_green, np.array([start, start - 1, start - 2])) == 1.0
    assert set(CANDIDATE_GOALS) >= {"exit", "green", "nearest_object", "corner"}


def test_confidence_intervals():
    mean, lo, hi = mean_ci([0.9, 1.0, 0.95, 0.85, 1.0])
    assert mean == pytest.approx(0.94) and lo < mean < hi <= 1.0
    assert mean - lo == pytest.approx(t_critical(4) * np.std([0.9, 1.0, 0.95, 0.85, 1.0], ddof=1) / np.sqrt(5))
    assert mean_ci([1.0, 1.0]) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        mean_ci([])
