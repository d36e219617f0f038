"""The network agent of lesson 6 (``agents/network.py``) on a tiny budget, and the promise that nothing else
imports torch. torch is an optional extra: without it these tests skip, except in CI (``CI`` set), where a missing
torch is a failure."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from gmg_teach.experiments import (NETWORK_SEEDS, network_distribution, network_levels, network_specs,
                                   network_weights_path)
from gmg_teach.measure.rollouts import rollout


@pytest.fixture(scope="module")
def network():
    if os.environ.get("CI"):
        import torch  # noqa: F401  (CI installs the [network] extra: a missing torch fails here)
    else:
        pytest.importorskip("torch", reason="the network agent needs the optional extra gmg-teach[network]")
    import gmg_teach.agents.network as network

    network.torch.set_num_threads(1)
    return network


def tiny(network, **kwargs):
    return network.NetworkConfig(total_steps=4 * 16 * 8, n_envs=16, rollout_steps=8, hidden=32, report_every=128,
                                 **kwargs)


def test_importing_the_package_never_imports_torch():
    code = ("import sys, gmg_teach, gmg_teach.experiments, gmg_teach.cli, gmg_teach.measure.generalization, "
            "gmg_teach.world.image; assert 'torch' not in sys.modules, 'torch was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_tiny_training_runs_is_seeded_and_plays_through_the_shared_rollouts(network):
    dist = network_distribution("train")
    a = network.train_network(dist, tiny(network), seed=3)
    b = network.train_network(dist, tiny(network), seed=3)
    c = network.train_network(dist, tiny(network), seed=4)
    wa, wb, wc = a.agent.weights(), b.agent.weights(), c.agent.weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert not np.array_equal(wa["layer1.weight"], wc["layer1.weight"])
    assert [r["steps"] for r in a.history] == [128, 256, 384, 512]
    levels = network_levels("deploy", n=20)
    for player in (a.agent, a.agent.sampling()):
        result = rollout(player, levels, seed=0, max_steps=30)
        assert len(result) == 20 and set(result.outcome) <= {"exit", "green_apple", "other_apple", "none"}


def test_moves_into_walls_have_probability_zero(network):
    agent = network.train_network(network_distribution("train"), tiny(network), seed=0).agent
    tables = network_levels("train", n=30)
    from gmg_teach.world.observation import observe

    tile, objects = observe(tables.start, tables.object_tile, tables.object_kind, tables.object_colour)
    p = agent.probabilities(tile, objects)
    closed = tables.next_state[np.arange(30), tables.start] == tables.start[:, None]
    assert closed.any() and np.all(p[closed] == 0) and np.allclose(p.sum(axis=1), 1)


def test_equal_encoding_never_separates_exit_from_green_but_the_control_does(network):
    """Exit and green inputs are always on together on `train`: identical gradients, so their difference stays at
    its random start. On `diverse` they are not, and it moves."""
    equal = network.train_network(network_distribution("train"), tiny(network), seed=1).agent
    control = network.train_network(network_distribution("diverse"), tiny(network), seed=1).agent
    moved = lambda a: np.abs(a.cue_difference() - a.initial_difference).max()  # noqa: E731
    assert moved(equal) < 1e-5
    assert moved(control) > 1e-3
    assert np.array_equal(equal.initial_difference, control.initial_difference)  # same seed, same start


def test_ppo_loss_is_the_clipped_objective(network):
    new, old = np.log([0.5, 0.9, 0.1]), np.log([0.25, 0.3, 0.2])
    adv = np.array([1.0, -2.0, 0.5])
    # ratios 2, 3, 0.5; clipped to 1.2, 1.2, 0.8: max(-A r, -A clip(r)) = -1.2, 6, -0.25
    expected = np.mean([-1.2, 6.0, -0.25])
    t = network.torch.tensor
    assert float(network.ppo_loss(t(new), t(old), t(adv), 0.2)) == pytest.approx(expected)


def test_save_and_load_without_pickle(network, tmp_path):
    agent = network.train_network(network_distribution("train"), tiny(network, salience={"green": 3.0}),
                                  seed=0).agent
    path = agent.save(tmp_path / "a.npz", dtype=np.float32)
    back = network.NetworkAgent.load(path)
    assert back.salience == {"green": 3.0}
    assert all(np.array_equal(v, back.weights()[k]) for k, v in agent.weights().items())
    assert np.array_equal(back.initial_difference, agent.initial_difference)


def test_bad_config_says_what_is_wrong(network):
    with pytest.raises(ValueError, match="max_steps"):
        network.NetworkConfig(max_steps=0)
    with pytest.raises(ValueError, match="salience"):
        network.NetworkConfig(salience={"purple": 2.0})


def test_shipped_weights_load_for_every_agent(network):
    for name, spec in network_specs().items():
        for seed in range(NETWORK_SEEDS):
            path = network_weights_path(name, seed)
            assert path.stat().st_size < 1_000_000, path
            agent = network.NetworkAgent.load(path)
            assert agent.salience == spec.salience
