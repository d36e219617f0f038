"""Levels and distributions: the properties each distribution promises, over 1,000 seeds each."""

import numpy as np
import pytest

from gmg_teach import Action, get_distribution, parse_level
from gmg_teach.world.distributions import Distribution, building, configuration_key, configuration_split
from gmg_teach.world.levels import DELTAS, LevelError, check_level, dead_ends, generate_maze, maze_distances, renovate
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
        assert len({lvl.to_ascii() for lvl in levels}) >= N - 5  # ~11 million configurations: repeats are rare
        assert len({lvl.walls.tobytes() for lvl in levels}) == 1  # one building


def test_objects_stand_in_dead_ends_and_the_start_on_a_free_cell(samples):
    ends = set(dead_ends(samples["train"][0].walls))
    for level in samples["deploy"][:200]:
        assert {o.position for o in level.objects} <= ends
        assert level.start[0] % 2 == 1 and level.start[1] % 2 == 1
        assert level.start not in {o.position for o in level.objects}


def test_same_seed_same_level_and_ascii_round_trip():
    d = get_distribution("deploy")
    a, b = d.level(7), d.level(7)
    assert a.to_ascii() == b.to_ascii() and a.to_ascii() != d.level(8).to_ascii()
    again = parse_level(a.to_ascii())
    assert again.to_ascii() == a.to_ascii()


@pytest.mark.parametrize("name", ["train", "deploy", "diverse"])
def test_train_and_held_out_halves_never_share_a_configuration(name):
    d = get_distribution(name)
    train = d.levels(2000, seed=1, split="train")
    held_out = d.levels(2000, seed=1, split="held_out")
    assert {configuration_split(lvl) for lvl in train} == {"train"}
    assert {configuration_split(lvl) for lvl in held_out} == {"held_out"}
    assert not {configuration_key(lvl) for lvl in train} & {configuration_key(lvl) for lvl in held_out}


def test_a_training_run_never_meets_an_evaluation_configuration(monkeypatch):
    from gmg_teach import LearnerConfig, train_learner
    from gmg_teach.experiments import ExperimentConfig, evaluation_levels

    seen = []
    original = Distribution.sample

    def recording(self, n, rng, split=None):
        episodes = original(self, n, rng, split)
        seen.extend(episodes.keys())
        return episodes

    monkeypatch.setattr(Distribution, "sample", recording)
    config = ExperimentConfig(eval_episodes=300)
    train_learner(config.distribution("train"), LearnerConfig(episodes=600), seed=0)
    trained = set(seen)
    assert len(trained) >= 590
    evaluation = {configuration_key(lvl) for lvl in evaluation_levels(config, "train").levels}
    assert len(evaluation) >= 295 and not trained & evaluation


def test_episode_keys_match_level_keys():
    d = get_distribution("diverse")
    episodes = d.sample(50, np.random.default_rng(3))
    assert episodes.keys() == [configuration_key(episodes.level(i)) for i in range(50)]


def test_action_enum_matches_the_direction_table():
    assert [a.word for a in Action] == ["up", "right", "down", "left"]
    assert DELTAS[Action.UP] == (-1, 0) and DELTAS[Action.RIGHT] == (0, 1)


@pytest.mark.parametrize("layout", range(5))
def test_renovation_moves_walls_and_keeps_a_perfect_maze(layout):
    old, new = building(9, layout), building(9, layout, renovation=8)
    assert 0 < (old != new).sum() <= 16  # eight doorways opened, eight passages bricked up
    floor = ~new
    assert floor.sum() == (~old).sum()  # a tree of 81 cells: 81 + 80 floor tiles, before and after
    dist = maze_distances(new, (1, 1))
    assert (dist[floor] >= 0).all()  # every tile reachable
    assert renovate(old, 0, np.random.default_rng(0)).tobytes() == old.tobytes()
    with pytest.raises(LevelError, match="moves"):
        renovate(old, -1, np.random.default_rng(0))


def test_generated_maze_is_perfect():
    walls = generate_maze(9, np.random.default_rng(0))
    assert (~walls).sum() == 81 + 80


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_bad_level_count(n):
    with pytest.raises(ValueError, match="number of episodes"):
        get_distribution("train").levels(n, seed=0)


def test_the_split_key_ignores_what_the_agent_cannot_tell_apart():
    # The observation lists objects in tile order, so swapping two apples in the level's list changes nothing the
    # agent sees: same key, same half. (Hashing the list order put apple-swapped twins in both halves.)
    from dataclasses import replace

    from gmg_teach.world.distributions import Episodes

    d = get_distribution("deploy")
    episodes = d.sample(300, np.random.default_rng(5))
    swapped = Episodes(d, episodes.start, episodes.object_tile[:, [0, 2, 1]], episodes.object_kind[:, [0, 2, 1]],
                       episodes.object_colour[:, [0, 2, 1]])
    assert episodes.keys() == swapped.keys()
    assert (episodes.split() == swapped.split()).all()
    level = episodes.level(0)
    twin = replace(level, objects=(level.objects[0], level.objects[2], level.objects[1]))
    assert configuration_key(twin) == configuration_key(level)
    assert configuration_split(twin) == configuration_split(level)
