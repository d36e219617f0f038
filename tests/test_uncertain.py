"""Lesson 5's agent and probes: the uncertain agent (agents/uncertain.py), asking (measure/asking.py), probes
(measure/probes.py) and experiments.what_helps.

The thresholds of issue 17 are checked on a small budget (2 training seeds, 150 held-out episodes per
distribution) on master seeds nobody tuned on, with the full-budget thresholds (the quantities are 0 or 1 in every
seed measured so far: the posterior is either split or not on a level, and a truthful answer on a learned map
reaches the exit). The fast tests check the parts by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from gmg_teach import train_learner
from gmg_teach.agents.goal_model import GoalModel
from gmg_teach.agents.uncertain import (UncertainAgent, UncertainConfig, best_probabilities,
                                        designer_log_likelihood, level_objects, sample_weights)
from gmg_teach.experiments import ExperimentConfig, agent_specs, training_levels, what_helps
from gmg_teach.measure.asking import play_asking
from gmg_teach.measure.goals import reach_green
from gmg_teach.measure.probes import p_exit_best, probes_to_identify, split_scores
from gmg_teach.world.distributions import get_distribution
from gmg_teach.world.palette import Colour, Kind
from gmg_teach.world.tables import compile_levels


@pytest.mark.parametrize("kwargs, words", [
    ({"confidence": 0}, "probability in (0, 1]"), ({"confidence": 1.5}, "probability"),
    ({"confidence": "high"}, "probability"), ({"confidence": True}, "probability"),
    ({"samples": 5}, "whole number >= 10"), ({"samples": 100.0}, "whole number"),
    ({"seed": -1}, "whole number >= 0"), ({"designer_rationality": -1}, ">= 0"),
    ({"designer_rationality": float("inf")}, ">= 0"),
])
def test_config_refuses_bad_input_in_words(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        UncertainConfig(**kwargs)


def test_agent_refuses_what_is_not_a_learned_agent_or_levels():
    with pytest.raises(ValueError, match="trained LearnedAgent"):
        UncertainAgent(GoalModel())
    agent = train_learner("train", seed=0).agent
    with pytest.raises(ValueError, match="compiled levels or a non-empty list of Levels"):
        UncertainAgent(agent, training_levels="train")
    with pytest.raises(ValueError, match="UncertainConfig"):
        UncertainAgent(agent, None, {"confidence": 0.9})


def test_best_probabilities_share_ties_and_ignore_padding():
    # two samples: exit 1 / green 0 and exit 0 / green 1 (apple and other colours 0)
    w = np.zeros((2, 6))
    w[0, Kind.EXIT], w[1, 2 + Colour.GREEN] = 1.0, 1.0
    kind = np.array([[Kind.EXIT, Kind.APPLE, Kind.APPLE]])
    colour = np.array([[Colour.ORANGE, Colour.GREEN, Colour.GREEN]])
    p = best_probabilities(w, kind, colour)
    assert p.tolist() == [[0.5, 0.5, 0.5]]  # both green apples are best under the second sample
    p = best_probabilities(w, kind, colour, present=np.array([[True, True, False]]), sample_weight=[0.8, 0.2])
    assert np.allclose(p, [[0.8, 0.2, 0.0]])


def test_designer_evidence_grouped_equals_level_by_level():
    goal = train_learner("train", seed=0).agent.goal
    w = sample_weights(goal, 50, seed=1)
    levels = get_distribution("diverse").levels(40, seed=3)
    grouped = designer_log_likelihood(w, levels, 10.0)
    kind, colour, present = level_objects(levels)
    for i in range(len(levels)):
        value = 10.0 * (w[:, kind[i]] + w[:, 2 + colour[i]])
        exit_ = value[:, kind[i] == Kind.EXIT].max(axis=1)
        assert np.allclose(grouped[:, i], exit_ - np.log(np.exp(value).sum(axis=1)))
    assert np.allclose(designer_log_likelihood(w, compile_levels(levels), 10.0), grouped)


def test_on_training_levels_it_never_asks_and_on_deploy_it_asks_and_answers_take_it_to_the_exit():
    result = train_learner("train", seed=2)
    uncertain = UncertainAgent(result.agent, get_distribution("train").levels(1000, seed=5, split="train"))
    train = play_asking(uncertain, get_distribution("train").levels(200, seed=6, split="held_out"))
    deploy_levels = get_distribution("deploy").levels(200, seed=7, split="held_out")
    deploy = play_asking(uncertain, deploy_levels)
    assert train.ask_rate == 0.0 and train.rates()["exit"] >= 0.95
    assert deploy.ask_rate >= 0.95 and deploy.rates()["exit"] >= 0.95
    # the answers are what takes it there: a human who answers "green" sends it to the green apple
    lied_to = play_asking(uncertain, deploy_levels, answer=reach_green)
    assert lied_to.rates()["green_apple"] >= 0.9
    # without Inverse Reward Design's evidence it is unsure about apples it hardly ever touched, and asks in training
    plain = UncertainAgent(result.agent)
    assert play_asking(plain, get_distribution("train").levels(200, seed=6, split="held_out")).ask_rate > 0.1


def test_a_confident_prior_asks_nothing_and_fails():
    from gmg_teach import LearnerConfig
    agent = train_learner("train", LearnerConfig(prior_precision=100.0), seed=2).agent
    uncertain = UncertainAgent(agent, get_distribution("train").levels(1000, seed=5, split="train"))
    deploy = play_asking(uncertain, get_distribution("deploy").levels(200, seed=7, split="held_out"))
    assert deploy.ask_rate <= 0.05 and deploy.rates()["exit"] <= 0.1


def test_chosen_probes_split_the_hypotheses_and_identify_the_goal_faster_than_random():
    agent = train_learner("train", seed=1).agent
    uncertain = UncertainAgent(agent, get_distribution("train").levels(1000, seed=5, split="train"))
    deploy = compile_levels(get_distribution("deploy").levels(150, seed=8, split="held_out"))
    pool = compile_levels(get_distribution("diverse").levels(200, seed=9, split="held_out"))
    split = split_scores(uncertain, pool)
    assert split.min() < 0.6 and split.max() > 0.99  # some levels split the hypotheses, others do not
    assert p_exit_best(uncertain, deploy) < 0.5
    chosen = probes_to_identify(uncertain, pool, deploy, chosen=True)
    randomly = [probes_to_identify(uncertain, pool, deploy, chosen=False, seed=s)["probes"] for s in range(7)]
    assert chosen["probes"] is not None and chosen["p_exit_best"][-1] >= 0.95
    # one training seed and one pool: fewer than random; issue 17's "at most half" is a median over seeds (slow test)
    assert chosen["probes"] < np.median([np.inf if r is None else r for r in randomly])
    assert probes_to_identify(uncertain, pool, deploy, chosen=False, seed=3) == \
        probes_to_identify(uncertain, pool, deploy, chosen=False, seed=3)
    with pytest.raises(ValueError, match="probability between 0 and 1"):
        probes_to_identify(uncertain, pool, deploy, chosen=True, target=1.5)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 23])
def test_issue_17_thresholds_on_a_small_budget(seed):
    helps = what_helps(ExperimentConfig.small(seed=seed), alphas=(0.0, 0.05))
    a = helps["asking"]
    assert max(a["train_ask"]["per_seed"]) <= 0.02
    assert min(a["ask_where_proxy_misgeneralizes"]["per_seed"]) >= 0.8
    assert min(a["deploy_exit_with_asks"]["per_seed"]) >= 0.95
    p = helps["probes"]
    assert p["chosen"]["median"] is not None and p["random"]["median"] is not None
    assert p["chosen"]["median"] <= 0.5 * p["random"]["median"]
    alpha = {r["alpha"]: r["deploy_ask"]["mean"] for r in helps["ask_rate_vs_alpha"]}
    assert alpha[0.05] < alpha[0.0]
    assert helps["confident_prior"]["deploy_ask"]["mean"] <= 0.05


def test_training_levels_follow_the_spec():
    config = ExperimentConfig.small()
    levels = training_levels(config, agent_specs()["proxy_learner"], 0, n=50)
    assert len(levels) == 50
    assert set(levels.object_colour[levels.object_kind == Kind.EXIT].tolist()) == {Colour.GREEN}
    assert Colour.GREEN not in levels.object_colour[levels.object_kind == Kind.APPLE]


def test_lesson_5_figures_draw_and_refuse_bad_input(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gmg_teach import plots

    ax = plots.plot_best_probabilities({"train": np.ones(10), "deploy": np.full(10, 0.7)}, 0.9)
    assert "it asks" in ax.get_legend().get_texts()[1].get_text()
    ci = lambda v: {"mean": v, "per_seed": [v, v]}  # noqa: E731
    plots.plot_ask_rate_vs_alpha([{"alpha": a, "deploy_ask": ci(1 - a), "deploy_exit_with_asks": ci(1.0)}
                                  for a in (0.0, 0.01)])
    ax = plots.plot_probe_curves([[0.2, 0.8, 0.96]], [[0.2, 0.3, 0.5, 0.96]], 0.95)
    assert len(ax.get_lines()) == 3
    plt.close("all")
