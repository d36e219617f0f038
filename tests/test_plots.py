"""Every figure drawn headless on small data, and checked against that data (not just "it did not crash")."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from gmg_teach import Cues, QLearningConfig, compile_levels, parse_level, train_q_learning, value_iteration  # noqa: E402
from gmg_teach import plots  # noqa: E402
from gmg_teach.agents.q_learning import QAgent  # noqa: E402
from gmg_teach.world.levels import DELTAS  # noqa: E402
from gmg_teach.world.palette import HEX, RGB, Colour, Kind, describe, object_char  # noqa: E402

# A small hand-drawn deployment-style level: blue exit sign (B) right, green apple (g) left, orange apple (o) below.
ART = """
#########
#g..A..B#
###.#.###
#...o...#
#########
"""


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def level():
    return parse_level(ART)


def follower(cue: str) -> QAgent:
    """A factored agent that follows exactly one cue: weight 1 on moving where that cue points."""
    agent = QAgent.empty(Cues(0.0, 0.0), (5, 5), "factored")
    offset = 0 if cue == "green" else 5
    agent.weights[offset + np.arange(4), np.arange(4)] = 1.0
    return agent


def tile(level, r, c):
    return r * level.shape[1] + c


# --- a level ---------------------------------------------------------------------------------------------------


def test_level_draws_each_object_with_its_shape_colour_and_letter(level):
    ax = plots.plot_level(level)
    objects = [p for p in ax.patches if p.get_gid() == "object"]
    assert len(objects) == len(level.objects) == 3
    for patch, obj in zip(objects, level.objects):
        assert isinstance(patch, Rectangle if obj.kind == Kind.EXIT else Circle)
        assert to_hex(patch.get_facecolor()).lower() == HEX[obj.colour].lower()
        assert patch.get_label() == describe(obj.kind, obj.colour)
    letters = [t.get_text() for t in ax.texts if t.get_gid() == "object letter"]
    assert letters == [object_char(o.kind, o.colour) for o in level.objects]
    assert len([p for p in ax.patches if p.get_gid() == "agent"]) == 1


def test_level_legend_names_every_colour_in_words(level):
    ax = plots.plot_level(level)
    entries = [t.get_text() for t in ax.get_legend().get_texts()]
    assert entries == [describe(o.kind, o.colour) for o in level.objects] + ["agent (A, triangle)", "wall"]
    assert "bluish green apple (g, disc)" in entries


def test_level_walls_image_matches_the_level(level):
    ax = plots.plot_level(level, agent=None, legend=False)
    np.testing.assert_array_equal(ax.images[0].get_array(), level.walls.astype(int))
    assert not [p for p in ax.patches if p.get_gid() == "agent"]
    assert ax.get_legend() is None


def test_level_rejects_what_is_not_a_level():
    with pytest.raises(TypeError, match="Expected a Level"):
        plots.plot_level(ART)


# --- trajectories ----------------------------------------------------------------------------------------------


def test_trajectories_fade_and_end_with_the_right_mark(level):
    to_green = [tile(level, 1, c) for c in (4, 3, 2, 1)]
    to_exit = [tile(level, 1, c) for c in (4, 5, 6, 7)]
    stuck = [tile(level, 1, 4), tile(level, 1, 5), tile(level, 1, 5)]
    ax = plots.plot_trajectories(level, [to_green, to_exit, stuck])
    paths = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "path"]
    assert [len(p.get_segments()) for p in paths] == [3, 3, 2]
    alpha = paths[0].get_colors()[:, 3]
    assert np.all(np.diff(alpha) > 0) and alpha[-1] == 1.0  # faint start, solid end
    ends = sorted(line.get_gid() for line in ax.lines if (line.get_gid() or "").startswith("end "))
    assert ends == ["end exit", "end green_apple", "end none"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "end: reached a green apple" in legend and "end: reached the other apple" not in legend


def test_one_path_and_rollout_padding(level):
    padded = np.array([tile(level, 1, 4), tile(level, 1, 5), tile(level, 1, 6), tile(level, 1, 7), -1, -1])
    ax = plots.plot_trajectories(level, padded)
    assert [line.get_gid() for line in ax.lines if line.get_gid()] == ["end exit"]
    assert plots.outcome_of_path(level, padded) == "exit"


def test_trajectories_explain_bad_input(level):
    with pytest.raises(ValueError, match="outside this"):
        plots.plot_trajectories(level, [0, 999])
    with pytest.raises(ValueError, match="one outcome per path"):
        plots.plot_trajectories(level, [[tile(level, 1, 4)]], outcomes=["exit", "none"])
    with pytest.raises(ValueError, match="Unknown outcome"):
        plots.plot_trajectories(level, [tile(level, 1, 4)], outcomes=["apple"])


# --- what an agent learned ---------------------------------------------------------------------------------------


def test_policy_arrows_follow_the_cue_the_agent_weights(level):
    tables = compile_levels(level)
    for cue, steps in (("green", tables.green_step[0]), ("exit", tables.exit_step[0])):
        ax = plots.plot_policy(follower(cue), level)
        arrows = next(c for c in ax.collections if c.get_gid() == "policy arrows")
        floor = np.flatnonzero(~level.walls.ravel() & (tables.object_at[0] < 0))
        assert len(arrows.U) == len(floor)  # one arrow per free tile: no ties for a one-cue follower
        expected = [DELTAS[steps[t]] for t in floor]
        np.testing.assert_array_equal(np.column_stack([arrows.V, arrows.U]), expected)


def test_policy_with_value_shading(level):
    ax = plots.plot_policy(follower("exit"), level, values=True)
    assert any(im.get_gid() == "values" for im in ax.images)
    assert "optimal value" in ax.get_title()


def test_value_map_matches_value_iteration(level):
    tables = compile_levels(level)
    q, v = value_iteration(tables, 0)
    ax = plots.plot_values(level, colorbar=False)
    shown = next(im for im in ax.images if im.get_gid() == "values").get_array()
    floor = ~level.walls.ravel() & (tables.object_at[0] < 0)
    np.testing.assert_allclose(np.asarray(shown).ravel()[floor], v[floor])
    arrows = next(c for c in ax.collections if c.get_gid() == "optimal arrows")
    for x, y, u, vv in zip(arrows.X, arrows.Y, arrows.U, arrows.V):
        t = tile(level, int(y), int(x))
        action = DELTAS.index((int(vv), int(u)))
        assert q[t, action] == pytest.approx(q[t].max())


def test_value_map_for_the_green_goal_points_the_other_way(level):
    ax = plots.plot_values(level, reward="green", colorbar=False)
    arrows = next(c for c in ax.collections if c.get_gid() == "optimal arrows")
    at_start = [(u, v) for x, y, u, v in zip(arrows.X, arrows.Y, arrows.U, arrows.V) if (y, x) == (1, 4)]
    assert at_start == [(-1, 0)]  # green apple is to the left
    with pytest.raises(ValueError, match="reward must be"):
        plots.plot_values(level, reward="corner")


def test_cue_weights_and_their_bars():
    agent = follower("green")
    agent.weights[5:9] = 0.25  # exit cue: no preference
    agent.weights[5, 0] = 0.85  # ... except "exit is up" pulls up a bit
    weights = plots.cue_weights(agent)
    assert weights["follows green"] == pytest.approx(1.0)
    assert weights["follows exit sign"] == pytest.approx((0.85 - 0.25) / 4)
    ax = plots.plot_cue_weights(agent)
    bars = ax.containers[0]
    assert [b.get_height() for b in bars] == pytest.approx(list(weights.values()))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["follows green", "follows exit sign"]


def test_cue_weights_of_a_trained_agent_and_a_joint_table():
    from gmg_teach import get_distribution

    tables = compile_levels(get_distribution("train").levels(30, 5))
    trained = train_q_learning(tables, Cues(), QLearningConfig(episodes=600), seed=0).agent
    weights = plots.cue_weights(trained)
    assert weights["follows green"] > weights["follows exit sign"] > 0  # the exit cue is misread 15%
    joint = train_q_learning(tables, Cues(), QLearningConfig(episodes=300, table="joint"), seed=0).agent
    with pytest.raises(ValueError, match="factored agent"):
        plots.cue_weights(joint)


# --- outcome bars, learning curves, alpha sweep ------------------------------------------------------------------

RATES = {
    "train": {"exit": 0.95, "green_apple": 0.0, "other_apple": 0.03, "none": 0.02},
    "deploy": {"exit": 0.01, "green_apple": 0.93, "other_apple": 0.02, "none": 0.04},
}


def test_outcome_bars_equal_the_rates_with_their_intervals():
    ci = {d: {o: (max(r - 0.02, 0), min(r + 0.03, 1)) for o, r in rates.items()} for d, rates in RATES.items()}
    ax = plots.plot_outcomes(RATES, ci)
    bars = {b.get_gid(): b for b in ax.patches if b.get_gid()}
    assert len(bars) == 8
    for dist, rates in RATES.items():
        for outcome, rate in rates.items():
            assert bars[f"{dist}:{outcome}"].get_height() == pytest.approx(rate)
    errorbar = next(c for c in ax.containers if c.get_label() == "_ci exit")
    segments = errorbar.lines[2][0].get_segments()
    assert [tuple(s[:, 1]) for s in segments] == [pytest.approx(ci["train"]["exit"]), pytest.approx(ci["deploy"]["exit"])]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [plots.OUTCOME_WORDS[o] for o in plots.OUTCOMES]


def test_outcome_bars_read_the_experiment_layout():
    summary = {d: {**r, "ci95": {o: [max(v - 0.01, 0), min(v + 0.01, 1)] for o, v in r.items()}, "per_seed": []}
               for d, r in RATES.items()}
    ax = plots.plot_outcomes(summary)
    assert sum(1 for c in ax.containers if c.get_label().startswith("_ci ")) == 4


def test_outcome_bars_explain_bad_input():
    with pytest.raises(ValueError, match="not a rate"):
        plots.plot_outcomes({"deploy": {"exit": 93}})
    with pytest.raises(ValueError, match="does not contain the rate"):
        plots.plot_outcomes({"deploy": {"exit": 0.5}}, ci={"deploy": {"exit": (0.05, 0.02)}})
    with pytest.raises(ValueError, match="empty"):
        plots.plot_outcomes({})


def test_learning_curves_draw_each_column_against_episodes():
    rows = [
        {"episodes": 0, "held_out_exit": 0.05, "deploy_exit": 0.1, "deploy_green_apple": 0.0},
        {"episodes": 250, "train_success": 0.6, "held_out_exit": 0.9, "deploy_exit": 0.0, "deploy_green_apple": 0.9},
        {"episodes": 500, "train_success": 0.9, "held_out_exit": 1.0, "deploy_exit": 0.0, "deploy_green_apple": 1.0},
    ]
    ax = plots.plot_learning_curves(rows)
    lines = {line.get_gid(): line for line in ax.lines}
    assert set(lines) == {"train_success", "held_out_exit", "deploy_exit", "deploy_green_apple"}
    assert list(lines["train_success"].get_xdata()) == [250, 500]
    assert list(lines["deploy_green_apple"].get_ydata()) == [0.0, 0.9, 1.0]
    assert len(ax.get_legend().get_texts()) == 4
    with pytest.raises(ValueError, match="episodes"):
        plots.plot_learning_curves([{"train_success": 1.0}])


def test_alpha_sweep_sorted_with_bands():
    rows = [{"alpha": a, "exit": e, "green_apple": 1 - e, "ci95": {"exit": [max(e - 0.1, 0), min(e + 0.1, 1)]}}
            for a, e in ((0.2, 0.9), (0.0, 0.0), (0.01, 0.3))]
    ax = plots.plot_alpha_sweep(rows)
    lines = {line.get_gid(): line for line in ax.lines}
    assert list(lines["exit"].get_xdata()) == [0.0, 0.01, 0.2]
    assert list(lines["green_apple"].get_ydata()) == pytest.approx([1.0, 0.7, 0.1])
    assert [c.get_gid() for c in ax.collections] == ["ci exit"]  # no band where no interval was given
    assert ax.get_xscale() == "symlog"
    with pytest.raises(ValueError, match="between 0 and 1"):
        plots.plot_alpha_sweep([{"alpha": 5, "exit": 0.5}])


# --- the 2x2 figure ----------------------------------------------------------------------------------------------


def test_two_by_two_places_cells_and_marks_the_dangerous_one(level):
    to_green = [tile(level, 1, c) for c in (4, 3, 2, 1)]
    to_exit = [tile(level, 1, c) for c in (4, 5, 6, 7)]
    cells = {
        "neither": {"level": level, "path": [tile(level, 1, 4)], "rates": {"none": 1.0}, "label": "blind",
                    "capabilities": False, "goal": False},
        "both": {"level": level, "path": to_exit, "rates": {"exit": 0.94}, "label": "diverse training",
                 "capabilities": True, "goal": True},
        "misgeneralization": {"level": level, "path": to_green, "rates": {"green_apple": 0.93},
                              "label": "correlated training", "capabilities": True, "goal": False},
        "goal only": {"level": level, "path": to_exit[:2], "rates": {"exit": 0.3}, "label": "slippery floor",
                      "capabilities": False, "goal": True},
    }
    axes = plots.plot_two_by_two(cells)
    assert axes.shape == (2, 2)
    assert "both generalize" in axes[0, 0].get_title() and "diverse" in axes[0, 0].get_title()
    assert "dangerous" in axes[0, 1].get_title() and "green apple: 0.93" in axes[0, 1].get_xlabel()
    assert "slippery" in axes[1, 0].get_title() and "blind" in axes[1, 1].get_title()
    assert axes[0, 1].spines["top"].get_linewidth() > axes[0, 0].spines["top"].get_linewidth()
    ends = [line.get_gid() for line in axes[0, 1].lines if line.get_gid()]
    assert ends == ["end green_apple"]


def test_two_by_two_explains_bad_input(level):
    cell = {"level": level, "path": [tile(level, 1, 4)], "rates": {}}
    with pytest.raises(ValueError, match="four cells"):
        plots.plot_two_by_two({"a": cell})
    with pytest.raises(ValueError, match="same place"):
        plots.plot_two_by_two({(True, True): cell, "b": {**cell, "capabilities": True, "goal": True},
                               "c": cell, "d": cell})
    with pytest.raises(ValueError, match="has no 'path'"):
        plots.plot_two_by_two({k: {"level": level, "rates": {}} for k in "abcd"})


# --- animation ----------------------------------------------------------------------------------------------------


def test_episode_animation_has_one_frame_per_tile_and_saves_a_gif(level, tmp_path):
    from PIL import Image

    from gmg_teach import animation

    path = [tile(level, 1, c) for c in (4, 3, 2, 1)]
    anim = animation.animate_episode(level, path, dpi=40)
    assert len(list(anim.new_frame_seq())) == len(path)
    anim._func(len(path) - 1)  # the last frame: the whole path, the end mark and the outcome in the title
    ax = anim._fig.axes[0]
    assert ax.get_title() == "step 3 of 3: reached a green apple"
    html = anim.to_jshtml()
    assert "<script" in html and "anim" in html
    gif = animation.save_episode_gif(level, path, tmp_path / "episode.gif", interval_ms=100)
    assert Image.open(gif).n_frames == len(path)


# --- accessibility -------------------------------------------------------------------------------------------------


def test_palette_stays_distinguishable_for_red_green_colour_blindness():
    grey = np.array([128, 128, 128])
    np.testing.assert_allclose(plots.simulate_deuteranopia(grey), grey, atol=1.0)  # greys are seen as greys
    for matrix in (plots.DEUTERANOPIA, plots.PROTANOPIA):
        distances = plots.palette_under_colour_blindness(matrix)
        assert len(distances) == 6
        # Green, the colour the lesson hinges on, stays far from every other object colour ...
        assert min(d for pair, d in distances.items() if "green" in pair) > 40
        # ... and every pair stays clearly apart (Delta E 2.3 is just noticeable; 15 is obvious side by side).
        assert min(distances.values()) > 15
    # Sanity check of the simulation: under deuteranopia red and green collapse, as they should.
    assert plots.lab_distance(plots.simulate_deuteranopia([213, 94, 0]), plots.simulate_deuteranopia([0, 158, 115])) \
        < plots.lab_distance([213, 94, 0], [0, 158, 115])
    assert RGB[Colour.GREEN] == (0, 158, 115)


def test_two_by_two_plots_the_experiment_output_as_it_is():
    from gmg_teach.experiments import two_by_two

    cells = two_by_two(seed=0, eval_levels=20)
    axes = plots.plot_two_by_two(cells)
    titles = " ".join(ax.get_title() for ax in axes.flat)
    assert "the dangerous cell" in titles and "proxy learner, deploy levels" in axes[0, 1].get_title()
    plt.close("all")
