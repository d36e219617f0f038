"""Every figure drawn headless on small data and checked against that data (not just "it did not crash")."""

import importlib
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from gmg_teach import LearnerConfig, compile_levels, parse_level, plots, rollout, train_learner  # noqa: E402
from gmg_teach.agents.goal_model import FEATURE_NAMES  # noqa: E402
from gmg_teach.agents.planning import value_iteration  # noqa: E402
from gmg_teach.measure.decisions import decision_tiles, exit_probability_by_decision_tile, policy_field  # noqa: E402
from gmg_teach.world.distributions import Distribution  # noqa: E402
from gmg_teach.world.levels import DELTAS  # noqa: E402
from gmg_teach.world.palette import (  # noqa: E402
    HEX,
    PROTANOPIA,
    RGB,
    Colour,
    Kind,
    describe,
    lab_distance,
    object_char,
    palette_under_colour_blindness,
    simulate_deuteranopia,
)

# A small hand-drawn deployment-style level: blue exit sign (B) right, green apple (g) left, orange apple (o) below.
ART = """
#########
#g..A..B#
###.#.###
#...o...#
#########
"""
SMALL_BUILDING = dict(size=5, layout=3)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def level():
    return parse_level(ART)


@pytest.fixture(scope="module")
def agent():
    """A proxy learner in a small building (a fraction of a second)."""
    return train_learner(Distribution("train", **SMALL_BUILDING), LearnerConfig(episodes=300), seed=0).agent


@pytest.fixture(scope="module")
def deploy():
    return compile_levels(Distribution("deploy", **SMALL_BUILDING).levels(40, seed=5, split="held_out"))


# --- a level ---------------------------------------------------------------------------------------------------


def test_level_draws_each_object_with_its_shape_colour_and_letter(level):
    ax = plots.plot_level(level)
    objects = [p for p in ax.patches if p.get_gid() == "object"]
    assert len(objects) == len(level.objects) == 3
    for patch, obj in zip(objects, level.objects):
        assert isinstance(patch, Rectangle if obj.kind == Kind.EXIT else Circle)
        assert to_hex(patch.get_facecolor()).lower() == HEX[obj.colour].lower()
        assert patch.get_label() == describe(obj.kind, obj.colour)
        centre = (patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2) \
            if isinstance(patch, Rectangle) else patch.center
        assert centre == pytest.approx((obj.position[1], obj.position[0]))
    letters = [t for t in ax.texts if t.get_gid() == "object letter"]
    assert [t.get_text() for t in letters] == [object_char(o.kind, o.colour) for o in level.objects]
    assert [t.get_position() for t in letters] == [(o.position[1], o.position[0]) for o in level.objects]
    agents = [p for p in ax.patches if p.get_gid() == "agent"]
    assert len(agents) == 1
    assert [t.get_text() for t in ax.texts if t.get_gid() == "agent letter"] == ["A"]


def test_level_legend_names_every_colour_in_words(level):
    ax = plots.plot_level(level)
    entries = [t.get_text() for t in ax.get_legend().get_texts()]
    assert entries == [describe(o.kind, o.colour) for o in level.objects] + ["agent (A, triangle)", "wall"]
    assert "bluish green apple (g, disc)" in entries


def test_level_walls_image_matches_the_level(level):
    ax = plots.plot_level(level, agent=None, legend=False)
    walls = next(im for im in ax.images if im.get_gid() == "walls")
    np.testing.assert_array_equal(walls.get_array(), level.walls.astype(int))
    assert not [p for p in ax.patches if p.get_gid() == "agent"]
    assert ax.get_legend() is None


def test_plot_functions_draw_on_the_given_axes_and_never_show(level, agent, deploy, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("a plot function called plt.show()"))
    played = rollout(agent, deploy, seed=0)
    draws = {
        "level": lambda ax: plots.plot_level(level, ax=ax),
        "trajectories": lambda ax: plots.plot_trajectories(level, [4 + 9 * 1, 5 + 9 * 1], ax=ax),
        "value map": lambda ax: plots.plot_value_map(agent, deploy.levels[0], ax=ax),
        "policy field": lambda ax: plots.plot_policy_field(agent, deploy, 0, ax=ax),
        "exit probability": lambda ax: plots.plot_exit_probability(played, deploy.levels[0].walls, ax=ax),
        "goal weights": lambda ax: plots.plot_goal_weights(agent, ax=ax),
        "learning curve": lambda ax: plots.plot_learning_curve([{"moves": 0, "success": 0.1}], "success", ax=ax),
        "outcomes": lambda ax: plots.plot_outcomes({"deploy": played.rates()}, ax=ax),
        "building": lambda ax: plots.plot_building(level.walls, ax=ax),
    }
    for name, draw in draws.items():
        _, ax = plt.subplots()
        assert draw(ax) is ax, name


def test_bad_inputs_are_refused_in_words(level, agent):
    with pytest.raises(TypeError, match="Expected a Level"):
        plots.plot_level("#A.G#")
    with pytest.raises(ValueError, match="True/False grid"):
        plots.plot_building([[0, 1]])
    with pytest.raises(ValueError, match="paths is empty"):
        plots.plot_trajectories(level, [])
    with pytest.raises(ValueError, match="different level"):
        plots.plot_trajectories(level, [1000])
    with pytest.raises(ValueError, match="one outcome per path"):
        plots.plot_trajectories(level, [[13], [14]], outcomes=["exit"])
    with pytest.raises(ValueError, match="goal must be"):
        plots.plot_value_map(np.zeros(level.walls.size), level, goal="corner")
    with pytest.raises(ValueError, match="not a floor tile"):
        plots.plot_value_map(np.zeros(level.walls.size), level, goal=0)
    with pytest.raises(ValueError, match="another building"):
        plots.plot_value_map(agent, level)
    with pytest.raises(ValueError, match="one number per tile"):
        plots.plot_value_map(np.zeros(3), level)
    with pytest.raises(ValueError, match="unknown goal feature"):
        plots.plot_goal_weights({"proxy": {"purple": 1.0}})
    with pytest.raises(ValueError, match="weights is empty"):
        plots.plot_goal_weights({})
    with pytest.raises(ValueError, match="quantity must be"):
        plots.plot_learning_curve([{"moves": 0}], "speed")
    with pytest.raises(ValueError, match="rows is empty"):
        plots.plot_learning_curve([])
    with pytest.raises(ValueError, match="not a rate"):
        plots.plot_outcomes({"deploy": {"exit": 1.5}})
    with pytest.raises(ValueError, match="not a probability"):
        plots.plot_exit_probability({5: (3, 2.0)}, level.walls)
    with pytest.raises(ValueError, match="level must be a whole number"):
        plots.plot_policy_field(agent, compile_levels(level), 3)


# --- trajectories ----------------------------------------------------------------------------------------------


def test_trajectory_segments_follow_the_path_and_end_mark_names_the_outcome(level):
    w = level.shape[1]
    path = [1 * w + 4, 1 * w + 5, 1 * w + 6, 1 * w + 7]  # start, then right to the blue exit sign
    ax = plots.plot_trajectories(level, path)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "path"]
    segments = lines.get_segments()
    assert len(segments) == len(path) - 1
    for k, seg in enumerate(segments):
        assert seg[0] == pytest.approx((path[k] % w, path[k] // w))
        assert seg[1] == pytest.approx((path[k + 1] % w, path[k + 1] // w))
    assert [line.get_gid() for line in ax.lines] == ["end exit"]
    assert plots.outcome_of_path(level, [1 * w + 4, 1 * w + 3, 1 * w + 2, 1 * w + 1]) == "green_apple"


# --- the learned map ---------------------------------------------------------------------------------------------


def test_value_map_pixels_are_the_learned_values(agent, deploy):
    lvl = deploy.levels[0]
    exit_tile = int(deploy.object_tile[0, 0])
    ax = plots.plot_value_map(agent, lvl)
    image = next(im for im in ax.images if im.get_gid() == "value map")
    expected = np.where(lvl.walls.ravel(), np.nan, agent.navigation.value_map(exit_tile)).reshape(lvl.shape)
    np.testing.assert_array_equal(np.ma.filled(image.get_array(), np.nan), expected)
    assert np.nanmax(expected) > 0.9  # a trained map: the tiles next to the exit are worth nearly 1
    green = plots.plot_value_map(agent.navigation, lvl, goal="green")
    green_tile = int(deploy.object_tile[0][(deploy.object_kind[0] == Kind.APPLE)
                                           & (deploy.object_colour[0] == Colour.GREEN)][0])
    green_image = next(im for im in green.images if im.get_gid() == "value map")
    np.testing.assert_array_equal(np.ma.filled(green_image.get_array(), np.nan).ravel()[~lvl.walls.ravel()],
                                  agent.navigation.value_map(green_tile)[~lvl.walls.ravel()])


def test_value_map_of_value_iteration_values(level):
    tables = compile_levels(level)
    reward = np.zeros(tables.n_tiles)
    reward[tables.object_tile[0, 0]] = 1.0
    _, values = value_iteration(tables, 0, reward, 0.95)
    ax = plots.plot_value_map(values, level)
    image = next(im for im in ax.images if im.get_gid() == "value map")
    shown = np.ma.filled(image.get_array(), np.nan).ravel()
    np.testing.assert_array_equal(shown[~level.walls.ravel()], values[~level.walls.ravel()])
    assert np.isnan(shown[level.walls.ravel()]).all()


def test_policy_field_arrows_are_the_policy_field(agent, deploy):
    moves = policy_field(agent, deploy, 3, rng=np.random.default_rng(0))
    ax = plots.plot_policy_field(agent, deploy, 3, seed=0)
    (quiver,) = [c for c in ax.collections if c.get_gid() == "policy arrows"]
    width = deploy.shape[1]
    drawn = {}
    for (x, y), u, v in zip(quiver.get_offsets(), quiver.U, quiver.V):
        drawn[int(round(y)) * width + int(round(x))] = (int(v), int(u))  # (row change, column change)
    expected = {int(t): DELTAS[moves[t]] for t in np.flatnonzero(moves >= 0)}
    assert drawn == expected


def test_decision_tiles_are_marked_where_the_paths_split(agent, deploy):
    ax = plots.plot_policy_field(agent, deploy, 2)
    width = deploy.shape[1]
    marked = {int(p.get_y() + 0.5) * width + int(p.get_x() + 0.5) for p in ax.patches if p.get_gid() == "decision tile"}
    assert marked == set(np.flatnonzero(decision_tiles(deploy, 2)).tolist()) and marked
    assert "decision tile (between exit and green apple)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_train_level_has_no_decision_tiles_unless_given(agent):
    train = compile_levels(Distribution("train", **SMALL_BUILDING).levels(2, seed=1))
    ax = plots.plot_policy_field(agent, train, 0)
    assert not [p for p in ax.patches if p.get_gid() == "decision tile"]
    ax = plots.plot_policy_field(agent, train, 0, mark_decision_tiles=[12, 13])
    assert len([p for p in ax.patches if p.get_gid() == "decision tile"]) == 2


def test_exit_probability_map_shows_each_decision_tiles_share(agent, deploy):
    played = rollout(agent, deploy, seed=0)
    by_tile = exit_probability_by_decision_tile(played)
    assert by_tile
    ax = plots.plot_exit_probability(played, deploy.levels[0].walls)
    image = next(im for im in ax.images if im.get_gid() == "exit probability")
    shown = np.ma.filled(image.get_array(), np.nan).ravel()
    expected = np.full(deploy.n_tiles, np.nan)
    for tile, (_, p) in by_tile.items():
        expected[tile] = p
    np.testing.assert_array_equal(shown, expected)
    ax = plots.plot_exit_probability({5: (1, 0.5), 7: (4, 1.0)}, deploy.levels[0].walls, min_episodes=2)
    shown = np.ma.filled(next(im for im in ax.images if im.get_gid() == "exit probability").get_array(), np.nan)
    assert np.isnan(shown.ravel()[5]) and shown.ravel()[7] == 1.0


# --- the learned goal --------------------------------------------------------------------------------------------


def test_goal_weight_bars_are_the_weights_with_colours_named(agent):
    ax = plots.plot_goal_weights(agent)
    bars = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("weights:")}
    weights = agent.goal.as_dict()
    assert set(bars) == {f"weights:{f}" for f in FEATURE_NAMES}
    for feature, value in weights.items():
        assert bars[f"weights:{feature}"].get_height() == pytest.approx(value)
    for colour in Colour:
        assert to_hex(bars[f"weights:{colour.name.lower()}"].get_facecolor()).lower() == HEX[colour].lower()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "bluish\ngreen\n(G)" in labels and "exit sign\n(kind)" in labels
    assert weights["green"] > weights["exit"] > 0  # colour is the salient feature: it takes the larger share


def test_grouped_goal_weights_and_a_steered_goal(agent):
    steered = agent.goal.steer(green=0.0, exit=1.0)
    ax = plots.plot_goal_weights({"learned": agent, "steered": steered})
    heights = {p.get_gid(): p.get_height() for p in ax.patches if p.get_gid()}
    assert heights["steered:exit"] == 1.0 and heights["steered:green"] == 0.0
    assert heights["learned:green"] == pytest.approx(agent.goal.as_dict()["green"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["learned", "steered"]
    ax = plots.plot_goal_weights({"exit": 0.5, "green": 0.5})  # a plain {feature: weight}
    assert {p.get_gid() for p in ax.patches if p.get_gid()} == {f"weights:{f}" for f in FEATURE_NAMES}


# --- curves and bars -------------------------------------------------------------------------------------------


def test_learning_curve_lines_are_the_rows():
    rows = [{"episodes": 0, "moves": 0, "path_efficiency_median": 8.0, "navigation_efficiency_median": 8.0},
            {"episodes": 10, "moves": 5000, "path_efficiency_median": None, "navigation_efficiency_median": 1.5},
            {"episodes": 90, "moves": 9000, "path_efficiency_median": 1.0, "navigation_efficiency_median": 1.0}]
    ax = plots.plot_learning_curve(rows, "path_efficiency")
    lines = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    np.testing.assert_array_equal(lines["path_efficiency_median"].get_ydata(), [8.0, np.nan, 1.0])
    np.testing.assert_array_equal(lines["navigation_efficiency_median"].get_xdata(), [0, 5000, 9000])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["the agent", "its map alone, aimed at the exit", "1 = the shortest path"]
    ax = plots.plot_learning_curve(rows, "path_efficiency", x="episodes", legend="none")
    assert list(ax.lines[0].get_xdata()) == [0, 10, 90] and ax.get_legend() is None


def test_outcome_bars_are_the_rates_with_their_intervals():
    rates = {"deploy": {"exit": 0.1, "green_apple": 0.9, "ci95": {"exit": (0.05, 0.2), "green_apple": (0.8, 0.95)}}}
    ax = plots.plot_outcomes(rates)
    heights = {p.get_gid(): p.get_height() for p in ax.patches if p.get_gid()}
    assert heights == {"deploy:exit": 0.1, "deploy:green_apple": 0.9, "deploy:other_apple": 0.0, "deploy:none": 0.0}
    with pytest.raises(ValueError, match="does not contain the rate"):
        plots.plot_outcomes({"deploy": {"exit": 0.5, "ci95": {"exit": (0.1, 0.2)}}})


# --- accessibility -----------------------------------------------------------------------------------------------


def test_palette_stays_distinguishable_under_red_green_colour_blindness():
    for matrix in (None, PROTANOPIA):
        distances = palette_under_colour_blindness() if matrix is None else palette_under_colour_blindness(matrix)
        assert len(distances) == 6
        assert min(distances.values()) > 10  # far above the just-noticeable 2.3
        assert min(d for pair, d in distances.items() if "green" in pair) > 40  # green, the colour the lesson needs
    grey = np.array([128.0, 128.0, 128.0])
    np.testing.assert_allclose(simulate_deuteranopia(grey), grey, atol=1.5)  # greys look the same
    assert lab_distance(RGB[Colour.GREEN], RGB[Colour.GREEN]) == 0.0
    with pytest.raises(ValueError, match="0-255"):
        simulate_deuteranopia([300, 0, 0])
    with pytest.raises(ValueError, match="3x3"):
        simulate_deuteranopia([0, 0, 0], np.eye(2))


def test_every_object_drawn_has_both_a_shape_and_a_letter(deploy):
    for lvl in deploy.levels[:10]:
        ax = plots.plot_level(lvl, legend=False)
        objects = [p for p in ax.patches if p.get_gid() == "object"]
        letters = [t.get_text() for t in ax.texts if t.get_gid() == "object letter"]
        assert len(objects) == len(letters) == len(lvl.objects)
        assert [isinstance(p, Rectangle) for p in objects] == [o.kind == Kind.EXIT for o in lvl.objects]
        plt.close(ax.figure)


# --- the package -------------------------------------------------------------------------------------------------


def test_plots_package_imports_without_results_module(monkeypatch):
    import gmg_teach

    monkeypatch.setattr(gmg_teach, "plots", gmg_teach.plots)  # restored afterwards, like sys.modules
    monkeypatch.setitem(sys.modules, "gmg_teach.plots.results", None)  # as if results.py did not exist
    monkeypatch.delitem(sys.modules, "gmg_teach.plots")
    fresh = importlib.import_module("gmg_teach.plots")
    assert "plot_policy_field" in fresh.__all__ and callable(fresh.plot_value_map)


def test_animation_moves_the_agent_along_the_path(level):
    from gmg_teach import animation

    w = level.shape[1]
    path = [1 * w + 4, 1 * w + 5, 1 * w + 6, 1 * w + 7]
    anim = animation.animate_episode(level, path)
    ax = anim._fig.axes[0]
    agent = next(p for p in ax.patches if p.get_gid() == "agent")
    start = agent.get_xy().copy()
    assert "<script" in anim.to_jshtml()  # a self-contained player (and the animation counts as rendered)
    anim._func(3)
    np.testing.assert_allclose(agent.get_xy() - start, [[3, 0]] * len(start))
    assert "reached the exit sign" in ax.get_title()
    with pytest.raises(ValueError, match="interval_ms"):
        animation.animate_episode(level, path, interval_ms=0)


def test_episode_html_is_an_offline_gif_without_scripts(level):
    from gmg_teach import animation

    w = level.shape[1]
    page = animation.episode_html(level, [1 * w + 4, 1 * w + 5, 1 * w + 6, 1 * w + 7])
    assert page.startswith('<img src="data:image/gif;base64,')
    assert "<script" not in page and "http" not in page  # nothing fetched from a CDN, nothing to run
    assert "reached the exit sign" in page  # the alt text says how it ends
    with pytest.raises(ValueError, match="hold_end"):
        animation.animate_episode(level, [1 * w + 4], hold_end=-1)


def test_agent_glyph_is_larger_than_a_policy_arrowhead(agent, deploy):
    ax = plots.plot_policy_field(agent, deploy, 0)
    glyph = next(p for p in ax.patches if p.get_gid() == "agent")
    xs, ys = glyph.get_xy()[:, 0], glyph.get_xy()[:, 1]
    assert xs.max() - xs.min() >= 0.9 and ys.max() - ys.min() >= 0.9  # a whole tile, not an arrowhead


def test_compact_goal_weights_keep_words_and_readable_text(agent):
    ax = plots.plot_goal_weights(agent, compact=True)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [plots.FEATURE_WORDS_SHORT[f] for f in FEATURE_NAMES] and "green (G)" in labels
    assert min(t.get_fontsize() for t in ax.get_xticklabels() + ax.texts) >= 8


def test_learning_curves_share_one_x_scale():
    rows = [{"moves": m, "success": 0.5} for m in (0, 256, 2048, 8192)]
    assert plots.plot_learning_curve(rows, "success").get_xscale() == "symlog"
    assert plots.plot_learning_curve(rows, "success", xscale="linear").get_xscale() == "linear"
    with pytest.raises(ValueError, match="xscale"):
        plots.plot_learning_curve(rows, "success", xscale="log")


def test_exit_probability_colorbar_does_not_shrink_the_map(agent, deploy):
    played = rollout(agent, deploy, seed=0)
    fig, (left, right) = plt.subplots(1, 2)
    plots.plot_exit_probability(played, deploy.levels[0].walls, ax=left, colorbar=False)
    plots.plot_exit_probability(played, deploy.levels[0].walls, ax=right, colorbar=True)
    fig.canvas.draw()
    assert np.isclose(left.get_position().height, right.get_position().height)
    assert any(line.get_gid() == "dead ends" for line in right.lines)


def test_outcome_bars_differ_by_hatching_not_only_by_colour():
    assert len({(plots.OUTCOME_HATCH[o], plots.OUTCOME_FILL[o]) for o in plots.OUTCOMES}) == len(plots.OUTCOMES)
    assert len({plots.OUTCOME_HATCH[o] for o in plots.OUTCOMES}) == len(plots.OUTCOMES)
