"""Levels and distributions: the properties each distribution promises, over 1,000 seeds each."""

import numpy as np
import pytest

from gmg_teach import get_distribution, parse_level
from gmg_teach.world.levels import check_level
from gmg_teach.world.palette import Colour, Kind

N = 1000


def _colours(level):
    return [o.colour for o in level.objects], [o.kind for o in level.objects]


@pytest.fixture(scope="module")
def samples():
    return {name: get_distribution(name, alpha=0.3 if name == "mixture" else None).levels(N, seed=2024)
            for name in ("train", "deploy", "diverse", "mixture")}


def test_train_exit_green_and_nothing_else_green(samples):
    for level in samples["train"]:
        colours, kinds = _colours(level)
        assert kinds[0] == Kind.EXIT and colours[0] == Colour.GREEN
        assert Colour.GREEN not in colours[1:]


def test_deploy_exit_not_green_and_a_green_apple(samples):
    for level in samples["deploy"]:
        colours, _ = _colours(level)
        assert colours[0] != Colour.GREEN
        assert Colour.GREEN in colours[1:]


def test_diverse_colours_are_independent_of_kind(samples):
    exit_green = np.mean([lvl.objects[0].colour == Colour.GREEN for lvl in samples["diverse"]])
    apple_green = np.mean([o.colour == Colour.GREEN for lvl in samples["diverse"] for o in lvl.objects[1:]])
    assert abs(exit_green - 0.25) < 0.05 and abs(apple_green - 0.25) < 0.05


def test_mixture_has_alpha_share_of_distinguishing_levels(samples):
    share = np.mean([lvl.objects[0].colour != Colour.GREEN for lvl in samples["mixture"]])
    assert abs(share - 0.3) < 0.05  # 3.5 standard errors at n = 1000


def test_every_object_reachable_and_levels_vary(samples):
    for name, levels in samples.items():
        for level in levels:
            check_level(level)  # raises unless every object is reachable without touching another
        assert len({lvl.to_ascii() for lvl in levels}) == N


def test_same_seed_same_level_and_ascii_round_trip():
    d = get_distribution("deploy")
    a, b = d.level(7), d.level(7)
    assert a.to_ascii() == b.to_ascii() and a.to_ascii() != d.level(8).to_ascii()
    again = parse_level(a.to_ascii())
    assert again.to_ascii() == a.to_ascii()


def test_training_and_evaluation_streams_do_not_share_levels():
    train = {lvl.to_ascii() for lvl in get_distribution("train").levels(300, seed=1)}
    held_out = {lvl.to_ascii() for lvl in get_distribution("train").levels(300, seed=2)}
    assert not train & held_out


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_bad_level_count(n):
    with pytest.raises(ValueError, match="number of levels"):
        get_distribution("train").levels(n, seed=0)
