"""The headline experiment on a reduced budget, with thresholds loosened only by the reduction's statistical margin.

Full budget (``gmg-teach demo``): 5 training seeds x 500 held-out episodes per distribution. Here
(``ExperimentConfig.small``): 2 seeds x 150 episodes = 300 episodes per rate. Margin: 3 binomial standard errors at
n = 300 around each threshold, sqrt(p(1-p)/300) * 3: 0.04 at p = 0.95, 0.05 at p = 0.90 or 0.10, 0.06 at p = 0.85,
0.07 at p = 0.80, 0.04 at p = 0.05. Two master seeds are run (each moves the building too): the story must not
depend on the seed. These train at the default per-agent budget, so they are marked slow.
"""

import json
import subprocess
import sys

import pytest

from gmg_teach.experiments import ExperimentConfig, agent_specs, learning_curve, n_stages, run_experiment
from gmg_teach.measure import generalization as gen

pytestmark = pytest.mark.slow

THRESHOLDS = {
    # (agent, distribution, outcome): (comparison, full-budget threshold, margin)
    ("proxy_learner", "train", "exit"): (">=", 0.95, 0.04),
    ("proxy_learner", "deploy", "green_apple"): (">=", 0.85, 0.06),
    ("proxy_learner", "deploy", "exit"): ("<=", 0.10, 0.05),
    ("control", "deploy", "exit"): (">=", 0.90, 0.05),
    ("control", "deploy", "green_apple"): ("<=", 0.05, 0.04),
    ("bias_flip", "deploy", "exit"): (">=", 0.80, 0.07),
}


@pytest.fixture(scope="module", params=[0, 11])
def report(request):
    return run_experiment(ExperimentConfig.small(seed=request.param))


@pytest.mark.parametrize("key", list(THRESHOLDS), ids=lambda k: "-".join(k))
def test_headline_thresholds(report, key):
    agent, dist, outcome = key
    op, threshold, margin = THRESHOLDS[key]
    rate = report["agents"][agent]["eval"][dist][outcome]
    if op == ">=":
        assert rate >= threshold - margin, f"{agent} on {dist}: {outcome} rate {rate} < {threshold} - {margin}"
    else:
        assert rate <= threshold + margin, f"{agent} on {dist}: {outcome} rate {rate} > {threshold} + {margin}"


def test_proxy_is_competent_on_deploy(report):
    assert report["agents"]["proxy_learner"]["eval"]["deploy"]["path_efficiency_median"] <= 1.2


def test_bias_flip_indistinguishable_in_training(report):
    proxy = report["agents"]["proxy_learner"]["eval"]["train"]["exit"]
    flip = report["agents"]["bias_flip"]["eval"]["train"]["exit"]
    assert abs(proxy - flip) <= 0.03 + 0.04  # 3 points, plus the margin of two rates at n = 300


def test_learned_weights_split_the_tie_by_salience(report):
    proxy, flip = report["agents"]["proxy_learner"]["weights"], report["agents"]["bias_flip"]["weights"]
    assert proxy["green"] > 0.8 > 0.2 > proxy["exit"]
    assert flip["exit"] > 0.8 > 0.2 > flip["green"]


def test_navigation_is_learned_from_poor_to_about_one(report):
    curve = report["learning_curve"]
    assert curve[0]["episodes"] == 0 and curve[0]["navigation_efficiency_median"] > 3  # a fresh agent wanders
    assert curve[-1]["navigation_success"] >= 0.95 and curve[-1]["navigation_efficiency_median"] <= 1.2
    assert [row["episodes"] for row in curve] == sorted(row["episodes"] for row in curve)


def test_alpha_sweep_small_alpha_fixes_the_goal(report):
    sweep = {row["alpha"]: row for row in report["alpha_sweep"]}
    assert sweep[0.0]["green_apple"] > 0.8
    assert sweep[0.05]["exit"] > 0.8 - 0.07
    assert report["smallest_alpha_exit_above_0.8"] is not None and report["smallest_alpha_exit_above_0.8"] <= 0.05
    assert all(len(row["per_seed"]) == 2 for row in sweep.values())


def test_salience_decides_the_goal(report):
    rows = {row["colour_salience"]: row for row in report["salience_sweep"]}
    assert rows[0.5]["exit"] > 0.8 and rows[3.0]["green_apple"] > 0.85


def test_two_by_two_fills_every_cell_from_natural_shifts(report):
    cells = report["two_by_two"]
    assert cells["control, deploy"]["cell"] == gen.BOTH_GENERALIZE
    assert cells["proxy_learner, deploy"]["cell"] == gen.GOAL_MISGENERALIZATION
    assert cells["control, renovated"]["cell"] == gen.CAPABILITY_FAILURE
    assert cells["proxy_learner, renovated"]["cell"] == gen.NEITHER_GENERALIZES
    renovated = cells["control, renovated"]
    assert renovated["planner_exit_rate"] >= 0.95 and renovated["success_at_revealed_goal"] <= 0.5
    for cell in cells.values():
        assert set(cell["weights"]) == {"exit", "apple", "green", "orange", "yellow", "blue"}
        assert 0 <= cell["weights_agree_with_behaviour"] <= 1
    # Each verdict's margin is reported, and has the verdict's sign.
    for cell in cells.values():
        assert (cell["margins"]["goal"] > 0) == (cell["cell"] in (gen.BOTH_GENERALIZE, gen.CAPABILITY_FAILURE))
        assert 0 <= cell["undetermined_share"] <= 1


def test_the_lost_control_is_never_read_as_misgeneralizing(report):
    # Its goal weights never change; however many walls move, its goal verdict is never "does not generalize".
    for row in report["renovation_sweep"]:
        assert row["cell"] in (gen.BOTH_GENERALIZE, gen.CAPABILITY_FAILURE, gen.GOAL_UNDETERMINED), row
    assert [r["walls_moved"] for r in report["renovation_sweep"]][-1] == 32


def _check_schema(report):
    assert isinstance(report["seed"], int)
    for name in ("proxy_learner", "control", "bias_flip"):
        agent = report["agents"][name]
        assert isinstance(agent["train_seconds"], float)
        for dist in ("train", "deploy"):
            ev = agent["eval"][dist]
            for key in ("exit", "green_apple", "other_apple", "none"):
                assert 0.0 <= ev[key] <= 1.0
                lo, hi = ev["ci95"][key]
                assert lo <= ev[key] <= hi
            assert sum(ev[k] for k in ("exit", "green_apple", "other_apple", "none")) == pytest.approx(1, abs=1e-3)
            assert ev["path_efficiency_median"] is None or ev["path_efficiency_median"] >= 1.0
    for row in report["alpha_sweep"]:
        assert {"alpha", "exit", "green_apple"} <= set(row)
    for cell in report["two_by_two"].values():
        assert {"shift", "shift_description", "cell", "rates", "revealed_goal_share", "undetermined_share",
                "margins"} <= set(cell)
    helps = report["what_helps"]
    assert {"train_ask", "deploy_ask", "ask_where_proxy_misgeneralizes", "deploy_exit_with_asks"} <= set(helps["asking"])
    assert {"mean", "ci95", "per_seed"} <= set(helps["asking"]["deploy_ask"])
    assert {"chosen", "random", "ratio_random_to_chosen"} <= set(helps["probes"])
    assert [row["alpha"] for row in helps["ask_rate_vs_alpha"]] and "deploy_ask" in helps["confident_prior"]


def test_demo_json_output_matches_documented_fields():
    out = subprocess.run([sys.executable, "-m", "gmg_teach", "demo", "--small", "--json", "--seed", "3"],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    _check_schema(report)
    assert report["seed"] == 3
    n = n_stages(ExperimentConfig.small(3))
    assert f"demo: 100%" in out.stderr and f"{n}/{n}" in out.stderr  # progress on stderr, to its true end


@pytest.mark.parametrize("args, words", [(["--seeds", "1"], "n_seeds must be a whole number >= 2"),
                                         (["--eval-episodes", "0"], "eval_episodes must be a whole number >= 1"),
                                         (["--seed", "-2"], "seed must be a whole number >= 0")])
def test_demo_rejects_bad_arguments_in_words(args, words):
    out = subprocess.run([sys.executable, "-m", "gmg_teach", "demo", *args], capture_output=True, text=True)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr


def test_learning_curve_alone():
    _, rows = learning_curve(agent_specs()["control"], ExperimentConfig.small(seed=2))
    assert rows[0]["success"] < 0.5 and rows[-1]["success"] >= 0.9
