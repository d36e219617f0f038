"""plots/results.py against the data it draws, and the analyses behind it (measure/identifiability.py,
measure/harm.py) against independent references: value iteration, planners with known goals, hand-made records."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Ellipse as EllipsePatch  # noqa: E402

from gmg_teach import plots  # noqa: E402
from gmg_teach.agents.goal_model import GoalModel  # noqa: E402
from gmg_teach.agents.planning import Planner, value_iteration  # noqa: E402
from gmg_teach.measure import harm, identifiability  # noqa: E402
from gmg_teach.measure.generalization import CAPABLE_EFFICIENCY, CAPABLE_SUCCESS, CELL_NAMES  # noqa: E402
from gmg_teach.measure.goals import reach_exit, reach_green  # noqa: E402
from gmg_teach.measure.rollouts import rollout  # noqa: E402
from gmg_teach.world.distributions import Distribution, configuration_split  # noqa: E402
from gmg_teach.world.levels import dead_ends, maze_distances, parse_level  # noqa: E402
from gmg_teach.world.palette import Colour, Kind  # noqa: E402
from gmg_teach.world.tables import compile_levels  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _patch(ax, gid):
    found = [p for p in ax.patches if p.get_gid() == gid]
    assert found, f"no patch with gid {gid!r}; gids: {[p.get_gid() for p in ax.patches]}"
    return found[0]


def _line(ax, gid):
    found = [line for line in ax.lines if line.get_gid() == gid]
    assert found, f"no line with gid {gid!r}"
    return found[0]


# --- the 2x2 table -----------------------------------------------------------------------------------------------

WEIGHTS = {"exit": 0.6, "apple": -0.3, "green": 0.5, "orange": 0.4, "yellow": 0.3, "blue": 0.2}


def _cell(name, shares, success=0.9, eff=1.1, agree=0.75, weights=WEIGHTS):
    agent, shift = name.split(", ")
    return {"agent": agent, "shift": shift, "cell": None, "revealed_goal_share": shares, "undetermined_share": 0.25,
            "success_at_revealed_goal": success, "path_efficiency_median": eff, "weights": weights,
            "weights_agree_with_behaviour": agree}


def _cells():
    cells = {
        "control, deploy": _cell("control, deploy", {"exit": 0.9, "green_apple": 0.05, "other_apple": 0.05}),
        "proxy_learner, deploy": _cell("proxy_learner, deploy", {"exit": 0.1, "green_apple": 0.8, "other_apple": 0.1}),
        "control, renovated": _cell("control, renovated", {"exit": 0.5, "green_apple": 0.3, "other_apple": 0.2},
                                    success=0.3),
        "proxy_learner, renovated": _cell("proxy_learner, renovated",
                                          {"exit": 0.2, "green_apple": 0.6, "other_apple": 0.2}, success=0.4,
                                          eff=None),
    }
    names = [CELL_NAMES[True, True], CELL_NAMES[True, False], CELL_NAMES[False, True], CELL_NAMES[False, False]]
    for cell, name in zip(cells.values(), names):
        cell["cell"] = name
    return cells


def test_two_by_two_places_each_cell_by_its_measurement_and_draws_its_numbers():
    cells = _cells()
    axes = plots.plot_two_by_two(cells)
    where = {CELL_NAMES[True, True]: (0, 0), CELL_NAMES[True, False]: (0, 1), CELL_NAMES[False, True]: (1, 0),
             CELL_NAMES[False, False]: (1, 1)}
    contrast = identifiability.weight_contrasts(WEIGHTS)
    for name, cell in cells.items():
        ax = axes[where[cell["cell"]]]
        assert cell["cell"] in ax.get_title() and cell["shift"] in ax.get_title()
        for outcome, share in cell["revealed_goal_share"].items():
            assert _patch(ax, f"behaviour {outcome}").get_height() == pytest.approx(share)
        assert _patch(ax, "behaviour success").get_height() == pytest.approx(cell["success_at_revealed_goal"])
        assert _patch(ax, "behaviour undetermined").get_height() == pytest.approx(cell["undetermined_share"])
        # The weights have their own unit, so their own axis.
        weights = plots.results.weights_axes(ax)
        assert _patch(weights, "weight kind").get_height() == pytest.approx(contrast["kind"])
        assert _patch(weights, "weight colour").get_height() == pytest.approx(contrast["colour"])
        assert "weight" in weights.get_ylabel() and "share" in ax.get_ylabel()
        assert f"{cell['weights_agree_with_behaviour']:.0%}" in ax.get_xlabel()
        # Both capability thresholds are written on the figure, read from measure/generalization.py.
        assert f"at most {CAPABLE_EFFICIENCY:g}" in ax.get_xlabel()
        assert "reached\ntheir revealed goal" in ax.get_xlabel()
        assert _line(ax, "success threshold").get_ydata()[0] == CAPABLE_SUCCESS
        assert any(f"{CAPABLE_SUCCESS:g} needed" in t.get_text() for t in ax.get_xticklabels())
    footnote = axes[0, 0].figure._supxlabel.get_text()
    assert f"{CAPABLE_SUCCESS:.0%}" in footnote and f"at most {CAPABLE_EFFICIENCY:g}" in footnote


def test_two_by_two_refuses_two_cells_in_one_place_and_foreign_input():
    cells = _cells()
    cells["control, renovated"]["cell"] = CELL_NAMES[True, True]
    with pytest.raises(ValueError, match="both measured"):
        plots.plot_two_by_two(cells)
    with pytest.raises(ValueError, match="two_by_two"):
        plots.plot_two_by_two({})
    with pytest.raises(ValueError, match="has no"):
        plots.plot_cell({"agent": "control"})


# --- sweeps ------------------------------------------------------------------------------------------------------


def _sweep_rows(key, xs):
    rng = np.random.default_rng(0)
    rows = []
    for x in xs:
        seeds = [{"exit": float(e), "green_apple": float(1 - e), "other_apple": 0.0, "none": 0.0}
                 for e in rng.random(3)]
        exit_ = float(np.mean([s["exit"] for s in seeds]))
        rows.append({key: x, "kind_salience": 1.0, "exit": exit_, "green_apple": 1 - exit_,
                     "ci95": {"exit": [max(0, exit_ - 0.1), min(1, exit_ + 0.1)],
                              "green_apple": [max(0, 0.9 - exit_), min(1, 1.1 - exit_)]},
                     "per_seed": seeds, "weights": {**WEIGHTS, "exit": x}})
    return rows


def test_sweep_weights_against_alpha_tick_in_the_lessons_unit_fractions():
    alphas = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
    rows = _sweep_rows("alpha", alphas)
    weights = plots.plot_sweep_weights(list(reversed(rows)), "alpha")  # order of the rows does not matter
    assert [t.get_text() for t in weights.get_xticklabels()] == ["0", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1",
                                                                 "0.2"]
    assert weights.get_xscale() == "symlog" and "fraction" in weights.get_xlabel()


def test_salience_sweep_and_its_weights():
    rows = _sweep_rows("colour_salience", (0.5, 1.0, 2.0, 3.0))
    ax = plots.plot_salience_sweep(rows)
    assert list(_line(ax, "mean green_apple").get_ydata()) == pytest.approx([r["green_apple"] for r in rows])
    assert "equal salience" in _line(ax, "equal salience").get_label()  # every line in the legend
    assert ax.get_xlabel() and ax.get_ylabel()
    ax = plots.plot_sweep_weights(rows, "colour_salience")
    expected = [identifiability.weight_contrasts(r["weights"])["kind"] for r in rows]
    assert list(_line(ax, "contrast kind").get_ydata()) == pytest.approx(expected)
    with pytest.raises(ValueError, match="has no"):
        plots.plot_salience_sweep([{"colour_salience": 1.0}])
    with pytest.raises(ValueError, match="between 0 and 1"):
        plots.plot_salience_sweep([{**rows[0], "exit": 1.5}])


# --- posteriors ---------------------------------------------------------------------------------------------------


def _train_goal(n=200, **saliences):
    """A goal model fitted to train-like records: green exits worth 1, non-green apples worth 0."""
    goal = GoalModel(**saliences)
    goal.record([Kind.EXIT] * n, [Colour.GREEN] * n, [1.0] * n)
    goal.record([Kind.APPLE] * n, [Colour.ORANGE, Colour.YELLOW, Colour.BLUE] * (n // 3) + [Colour.BLUE] * (n % 3),
                [0.0] * n)
    return goal


def test_weight_posterior_figure_is_the_goal_models_posterior_along_exit_minus_green():
    goal = _train_goal()
    ax = plots.plot_weight_posterior(goal, label="train")
    mean, cov = goal.contrasts()
    one = _patch(ax, "posterior 1 sigma train")
    assert isinstance(one, EllipsePatch)
    expected = identifiability.covariance_ellipse(mean, cov, 1.0)
    assert one.center == pytest.approx(tuple(mean))
    assert (one.width, one.height, one.angle) == pytest.approx((expected.width, expected.height, expected.angle))
    assert expected.angle == pytest.approx(-45, abs=10)  # the ridge runs along kind minus colour
    assert expected.width > 3 * expected.height
    # A few distinguishing objects shrink the ridge.
    goal.record([Kind.EXIT, Kind.APPLE] * 5, [Colour.ORANGE, Colour.GREEN] * 5, [1.0, 0.0] * 5)
    after = identifiability.covariance_ellipse(*goal.contrasts())
    assert after.width < expected.width / 2
    with pytest.raises(ValueError, match="GoalModel"):
        plots.plot_weight_posterior({"exit": 1.0})


def test_overlaid_posteriors_are_told_apart_by_marker_and_text_not_colour_alone():
    ax = plots.plot_weight_posterior(_train_goal(), label="a", marker="+", centre_text="α = 0")
    plots.plot_weight_posterior(_train_goal(n=50), ax=ax, label="b", marker="s", centre_text="α = 0.1")
    assert _line(ax, "posterior mean a").get_marker() != _line(ax, "posterior mean b").get_marker()
    texts = {t.get_text() for t in ax.texts}
    assert {"α = 0", "α = 0.1"} <= texts
    assert all(t.get_fontsize() >= 9 for t in ax.get_legend().get_texts())
    assert "kind + colour = 1" in _line(ax, "train constraint").get_label()


def test_touched_counts_and_distinguishing_observations_read_the_same_data():
    goal = _train_goal(n=30)
    goal.record([Kind.APPLE, Kind.EXIT], [Colour.GREEN, Colour.BLUE], [0.0, 1.0])
    counts = identifiability.touched_counts(goal)
    assert counts[Kind.EXIT, Colour.GREEN] == 30 and counts[Kind.APPLE, Colour.GREEN] == 1
    assert counts.sum() == goal.count
    assert identifiability.distinguishing_observations(goal) == 2


def test_goal_posterior_bars_are_the_posterior():
    posterior = {"exit": 0.5, "green": 0.5, "apple": 0.0, "nothing": 0.0}
    ax = plots.plot_goal_posterior(posterior)
    assert [_patch(ax, f"hypothesis {k}").get_height() for k in posterior] == pytest.approx(list(posterior.values()))
    with pytest.raises(ValueError, match="sums to 1"):
        plots.plot_goal_posterior({"exit": 0.5, "green": 0.2})


def test_harm_and_steering_figures_draw_their_rows():
    rows = [{"low": 0, "high": 10, "episodes": 5, "harm": 0.8}, {"low": 10, "high": 20, "episodes": 0, "harm": None},
            {"low": 20, "high": 40, "episodes": 3, "harm": 0.1}]
    ax = plots.plot_harm_by_distance({"lost": rows})
    line = _line(ax, "harm lost")
    assert list(line.get_xdata()) == [5, 30] and list(line.get_ydata()) == pytest.approx([0.8, 0.1])
    steer = [{"weight": w, "exit": 1 - w, "green_apple": w} for w in (0.0, 0.5, 1.0)]
    ax = plots.plot_steering(steer)
    assert list(_line(ax, "steer exit").get_ydata()) == pytest.approx([1.0, 0.5, 0.0])
    with pytest.raises(ValueError, match="rows"):
        plots.plot_steering([])


# --- measure/identifiability ----------------------------------------------------------------------------------------


def test_covariance_ellipse_and_spread_on_known_covariances():
    e = identifiability.covariance_ellipse([1.0, 2.0], [[4.0, 0.0], [0.0, 1.0]], n_sigma=1)
    assert (e.width, e.height, e.angle) == pytest.approx((4.0, 2.0, 0.0))
    ridge = np.array([[1.0, -0.9], [-0.9, 1.0]])
    assert identifiability.covariance_ellipse([0, 0], ridge).angle == pytest.approx(-45)
    assert identifiability.spread_along(ridge, (1, -1)) == pytest.approx(np.sqrt(1.9))
    with pytest.raises(ValueError, match="symmetric"):
        identifiability.covariance_ellipse([0, 0], [[1, 2], [0, 1]])
    with pytest.raises(ValueError, match="shape"):
        identifiability.covariance_ellipse([0, 0, 0], ridge)
    with pytest.raises(ValueError, match="non-zero"):
        identifiability.spread_along(ridge, (0, 0))


def test_contrasts_weights_and_distinguishing_counts_agree_with_the_goal_model():
    goal = _train_goal(kind_salience=1.0, colour_salience=3.0)
    assert list(identifiability.weight_contrasts(goal.as_dict()).values()) == pytest.approx(goal.contrasts()[0])
    mean, cov = identifiability.weight_posterior(goal)
    assert mean == pytest.approx(goal.weights[[0, 2]])  # exit, green in reward units
    assert identifiability.distinguishing_observations(goal) == 0
    goal.record([Kind.EXIT, Kind.APPLE, Kind.APPLE], [Colour.BLUE, Colour.GREEN, Colour.ORANGE], [1.0, 0.0, 0.0])
    assert identifiability.distinguishing_observations(goal) == 2
    with pytest.raises(ValueError, match="Unknown goal feature"):
        identifiability.weight_posterior(goal, ("exit", "purple"))
    with pytest.raises(ValueError, match="every goal feature"):
        identifiability.weight_contrasts({"exit": 1.0})
    with pytest.raises(ValueError, match="GoalModel"):
        identifiability.distinguishing_observations("green")




def _deploy_level():
    return parse_level("""
        #########
        #g..A..B#
        ###.#####
        ###y#####
        #########
    """)


def test_shaping_changes_q_by_the_potential_and_no_best_move():
    tables = compile_levels(_deploy_level())
    q_ref, _ = value_iteration(tables, 0)
    q = identifiability.q_with_move_bonus(tables, 0, np.zeros((tables.n_tiles, 4)))
    assert q == pytest.approx(q_ref)
    rng = np.random.default_rng(1)
    potential = np.where(tables.object_at[0] >= 0, 0.0, rng.normal(size=tables.n_tiles))
    shaped = identifiability.q_with_move_bonus(tables, 0, identifiability.shaping_bonus(tables, 0, potential))
    assert shaped == pytest.approx(q - potential[:, None], abs=1e-8)
    with pytest.raises(ValueError, match="0 on the objects"):
        identifiability.shaping_bonus(tables, 0, np.ones(tables.n_tiles))
    with pytest.raises(ValueError, match="shape"):
        identifiability.q_with_move_bonus(tables, 0, np.zeros(3))


def test_nearer_share_disagreement_and_steering_on_planners_with_known_goals():
    levels = compile_levels(Distribution("deploy", size=5, layout=3).levels(30, seed=2))
    to_exit = rollout(Planner(levels, reach_exit(levels)), levels)
    to_green = rollout(Planner(levels, reach_green(levels)), levels)
    to_nearer = rollout(Planner(levels, reach_exit(levels) | reach_green(levels)), levels)
    assert identifiability.nearer_object_share(to_nearer)["share"] == 1.0
    assert identifiability.outcome_disagreement(to_exit, to_green).all()
    assert not identifiability.outcome_disagreement(to_exit, to_exit).any()
    other = compile_levels(Distribution("deploy", size=5, layout=3).levels(30, seed=3))
    with pytest.raises(ValueError, match="same levels"):
        identifiability.outcome_disagreement(to_exit, rollout(Planner(other, reach_exit(other)), other))
    with pytest.raises(ValueError, match="Rollouts"):
        identifiability.nearer_object_share(levels)

    class Steerable:  # the steering sweep only needs with_goal and goal.steer
        goal = GoalModel().steer(exit=1.0, green=0.0)

        def with_goal(self, goal):
            targets = (goal.reward(np.maximum(levels.object_kind, 0), np.maximum(levels.object_colour, 0)) > 0.5)
            return Planner(levels, targets & (levels.object_tile >= 0))

    rows = identifiability.steering_sweep(Steerable(), levels, "green", [0.0, 2.0])
    assert rows[0]["weight"] == 0.0 and rows[0]["exit"] == 1.0
    assert rows[1]["exit"] == to_nearer.rates()["exit"] and rows[1]["green_apple"] == to_nearer.rates()["green_apple"]
    with pytest.raises(ValueError, match="Unknown goal feature"):
        identifiability.steering_sweep(Steerable(), levels, "purple", [0.0])


# --- measure/harm ---------------------------------------------------------------------------------------------------


def test_hazard_levels_put_the_green_apple_in_the_farthest_dead_end_of_held_out_configurations():
    dist = Distribution("deploy", size=5, layout=3)
    levels = harm.hazard_levels(dist, 20, seed=4)
    assert len(levels) == 20 and all(configuration_split(lvl) == "held_out" for lvl in levels)
    assert harm.hazard_levels(dist, 20, seed=4)[5].to_ascii() == levels[5].to_ascii()  # seeded
    for lvl in levels:
        green = [o for o in lvl.objects if o.kind == Kind.APPLE and o.colour == Colour.GREEN][0]
        others = {o.position for o in lvl.objects if o is not green}
        d = maze_distances(lvl.walls, lvl.start, blocked=others)
        free = [t for t in dead_ends(lvl.walls) if t not in others and t != lvl.start]
        assert d[green.position] == max(d[t] for t in free)
    tables = compile_levels(levels)
    assert harm.harm_rate(rollout(Planner(tables, reach_green(tables)), tables)) == 1.0
    assert harm.harm_rate(rollout(Planner(tables, reach_exit(tables)), tables)) == 0.0
    rows = harm.harm_by_distance(rollout(Planner(tables, reach_green(tables)), tables), (0, 5, 10, 100))
    assert sum(r["episodes"] for r in rows) == 20 and all(r["harm"] in (None, 1.0) for r in rows)
    with pytest.raises(ValueError, match="deploy"):
        harm.hazard_levels(Distribution("train", size=5), 3, seed=0)
    with pytest.raises(ValueError, match="whole number"):
        harm.hazard_levels(dist, 0, seed=0)
    with pytest.raises(ValueError, match="increasing"):
        harm.harm_by_distance(rollout(Planner(tables, reach_green(tables)), tables), (5, 1))
    train = compile_levels(Distribution("train", size=5, layout=3).levels(3, seed=0))
    with pytest.raises(ValueError, match="green apple"):
        harm.hazard_distance(rollout(Planner(train, reach_exit(train)), train))


def test_evidence_sweep_draws_one_line_per_setting_against_alpha_count_or_count_per_precision():
    rows = [{"budget": b, "prior_precision": p, "count": c, "alpha": c / b, "exit": e,
             "per_seed": [{"exit": e}, {"exit": max(0.0, e - 0.1)}]}
            for b, p in ((250, 5.0), (1000, 5.0), (1000, 20.0)) for c, e in ((2.5, 0.2), (10.0, 0.9), (40.0, 1.0))]
    ax = plots.plot_evidence_sweep(rows, "alpha")
    assert list(_line(ax, "mean exit 250 5").get_xdata()) == pytest.approx([0.01, 0.04, 0.16])
    assert list(_line(ax, "mean exit 1000 20").get_ydata()) == pytest.approx([0.2, 0.9, 1.0])
    assert _line(ax, "threshold").get_ydata()[0] == pytest.approx(0.8)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("budget 250 episodes, prior precision 5 (black, squares, solid)" == t for t in labels)
    per = plots.plot_evidence_sweep(rows, "count_per_prior_precision")
    assert list(_line(per, "mean exit 1000 20").get_xdata()) == pytest.approx([0.125, 0.5, 2.0])
    assert "prior precision" in per.get_xlabel()
    with pytest.raises(ValueError, match="x must be one of"):
        plots.plot_evidence_sweep(rows, "budget")
    with pytest.raises(ValueError, match="not a rate|rate"):
        plots.plot_evidence_sweep([{**rows[0], "exit": 1.5}])
