"""Alpha is a count: the evidence sweep over training budget and prior strength, and what the design guarantees
(the map has no colour input) versus what is measured (a new building).

The fast tests check the bookkeeping on made-up rows. The slow ones train real agents on master seeds nobody tuned
to (0 and 11): the smallest alpha that fixes the goal times the budget must stay put when the budget quadruples,
and grow with the prior's precision; in a new building the learned map must fail while a planner succeeds.
"""

import numpy as np
import pytest

from gmg_teach import compile_levels, parse_level, rollout
from gmg_teach.agents.planning import Planner
from gmg_teach.experiments import (ExperimentConfig, agent_specs, evaluate, evidence_settings, evidence_sweep,
                                   new_building_levels, smallest_fixing, train_agent)
from gmg_teach.measure.decisions import exit_probability_by_decision_tile, first_decision_tiles
from gmg_teach.measure.goals import reach_exit, reach_green


def _row(budget, prior, count, exit_):
    return {"budget": budget, "prior_precision": prior, "count": count, "alpha": count / budget, "exit": exit_}


def test_smallest_fixing_reads_the_first_alpha_above_the_threshold_per_setting():
    rows = [_row(250, 5.0, c, e) for c, e in ((2.5, 0.3), (5, 0.85), (10, 0.7), (20, 0.99))]
    rows += [_row(1000, 20.0, c, e) for c, e in ((2.5, 0.1), (5, 0.2))]
    best = {(b["budget"], b["prior_precision"]): b for b in smallest_fixing(list(reversed(rows)))}
    assert best[250, 5.0] == {"budget": 250, "prior_precision": 5.0, "alpha": 0.02, "count": 5,
                              "count_per_prior_precision": 1.0}
    assert best[1000, 20.0]["alpha"] is None and best[1000, 20.0]["count"] is None
    assert smallest_fixing(rows, threshold=0.99)[0]["alpha"] is None  # "above", not "at least"


def test_evidence_settings_are_every_budget_then_every_other_prior():
    config = ExperimentConfig(budgets=(250, 1000), prior_precisions=(1.25, 5.0, 20.0))
    assert evidence_settings(config) == [(250, 5.0), (1000, 5.0), (1000, 1.25), (1000, 20.0)]


@pytest.mark.parametrize("field, value, words", [("budgets", (0,), "training budget"),
                                                 ("prior_precisions", (0.0,), "prior precision"),
                                                 ("counts", (500.0,), "at most the smallest budget"),
                                                 ("counts", (0.0,), "count of distinguishing")])
def test_bad_evidence_settings_are_refused_in_words(field, value, words):
    with pytest.raises(ValueError, match=words):
        ExperimentConfig(**{field: value})


def test_first_decision_tiles_are_the_episodes_the_exit_probability_counts():
    level = parse_level("""
        ###########
        #O...A...g#
        #####.#####
        #####y#####
        ###########
    """)
    tables = compile_levels([level] * 3)
    to_exit, to_green = Planner(tables, reach_exit(tables)), Planner(tables, reach_green(tables))
    for planner in (to_exit, to_green):
        played = rollout(planner, tables, seed=0)
        first = first_decision_tiles(played)
        assert (first == int(tables.start[0])).all()  # the start is on the exit-green path
        by_tile = exit_probability_by_decision_tile(played)
        assert sum(n for n, _ in by_tile.values()) == int((first >= 0).sum()) == 3
    assert exit_probability_by_decision_tile(rollout(to_exit, tables, seed=0))[int(tables.start[0])] == (3, 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 11])
def test_alpha_is_a_count_not_a_fraction(seed):
    config = ExperimentConfig(seed=seed, n_seeds=3, eval_episodes=300, counts=(2.5, 5.0, 10.0, 20.0, 40.0, 80.0))
    rows = evidence_sweep(config, [(250, 5.0), (1000, 5.0), (1000, 20.0)])
    best = {(b["budget"], b["prior_precision"]): b for b in smallest_fixing(rows)}
    at_250, at_1000, strong = best[250, 5.0], best[1000, 5.0], best[1000, 20.0]
    assert None not in (at_250["count"], at_1000["count"], strong["count"]), best
    # A fraction would need the same alpha at both budgets; a count needs 4x less alpha at 4x the budget.
    assert at_250["alpha"] > at_1000["alpha"]
    assert 0.5 <= at_250["count"] / at_1000["count"] <= 2  # the same count, within one step of the grid
    # A 4x stronger prior needs more distinguishing episodes (4x, within one step of the grid).
    assert 2 <= strong["count"] / at_1000["count"] <= 8
    for row in rows:
        assert row["alpha"] == pytest.approx(row["count"] / row["budget"])
        assert len(row["distinguishing_touched"]) == len(row["per_seed"]) == 3


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 11])
def test_a_learned_map_fails_in_a_new_building_where_a_planner_succeeds(seed):
    config = ExperimentConfig(seed=seed, eval_episodes=200)
    elsewhere = new_building_levels(config)
    assert not np.array_equal(elsewhere.levels[0].walls, config.distribution("deploy").walls)
    assert rollout(Planner(elsewhere, reach_exit(elsewhere)), elsewhere, seed=0).rates()["exit"] == 1.0
    agent = train_agent(agent_specs()["proxy_learner"], config, 0).agent
    home = evaluate(agent, compile_levels(config.distribution("deploy").levels(200, 5, split="held_out")), seed=0)
    assert home["rates"]["none"] <= 0.05  # at home the map works (colours cannot reach it)
    assert evaluate(agent, elsewhere, seed=0)["rates"]["none"] >= 0.8
