"""The live panels: their callbacks called directly, as a click or a slider would, with no widget front end."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gmg_teach import LearnerConfig, rollout, widgets  # noqa: E402
from gmg_teach.agents.goal_model import FEATURE_NAMES  # noqa: E402
from gmg_teach.experiments import ExperimentConfig, agent_specs, train_agent  # noqa: E402
from gmg_teach.world.palette import Colour, Kind  # noqa: E402

SMALL = dict(episodes=300, eval_episodes=40)


@pytest.fixture(scope="module")
def trained():
    return widgets.run_training(**SMALL)


def test_no_widget_front_end_under_pytest():
    assert widgets.has_widget_front_end() is False


def test_run_training_records_rows_from_no_experience_to_the_end(trained):
    moves = [row["moves"] for row in trained.rows]
    assert moves[0] == 0 and trained.rows[0]["episodes"] == 0
    assert np.all(np.diff(moves) > 0)
    assert trained.rows[-1]["episodes"] == SMALL["episodes"]
    first, last = trained.rows[0], trained.rows[-1]
    assert first["map_coverage"] == 0.0 and not first["value_map"].any()  # a fresh agent knows nothing
    assert all(v == 0.0 for v in first["weights"].values())
    # Navigation is learned: far from the shortest path at first, about 1 at the end.
    assert first["navigation_efficiency_median"] is None or first["navigation_efficiency_median"] > 2
    assert last["navigation_efficiency_median"] <= 1.2 and last["navigation_success"] > 0.9
    # The headline: good on held-out training episodes, and at deployment it goes for the green apple.
    assert last["success"] > 0.9 and last["deploy_green_apple"] > 0.8
    assert last["weights"]["green"] > last["weights"]["exit"]


def test_the_last_row_is_the_trained_agent_measured_again(trained):
    last = trained.rows[-1]
    assert rollout(trained.agent, trained.held_out, seed=0).rates()["exit"] == last["success"]
    assert rollout(trained.agent, trained.deploy, seed=0).rates()["green_apple"] == last["deploy_green_apple"]
    exit_tile = int(trained.held_out.object_tile[0, 0])
    np.testing.assert_array_equal(last["value_map"], trained.agent.navigation.value_map(exit_tile))
    assert last["weights"] == trained.agent.goal.as_dict()


def test_the_panel_trains_the_same_agent_as_the_experiment(trained):
    config = ExperimentConfig(learner=LearnerConfig(episodes=SMALL["episodes"]))
    same = train_agent(agent_specs()["proxy_learner"], config, 0).agent
    np.testing.assert_array_equal(same.navigation.q, trained.agent.navigation.q)
    assert same.goal.as_dict() == trained.agent.goal.as_dict()


def test_on_row_sees_every_row_as_it_happens():
    seen = []
    result = widgets.run_training(on_row=lambda agent, row: seen.append(row["moves"]), **SMALL)
    assert seen == [row["moves"] for row in result.rows]


def test_the_bias_flip_settings_flip_the_goal():
    result = widgets.run_training(kind_salience=3.0, colour_salience=1.0, **SMALL)
    last = result.rows[-1]
    assert last["success"] > 0.9  # the same training success ...
    assert last["deploy_exit"] > 0.8  # ... and the opposite goal at deployment
    assert last["weights"]["exit"] > last["weights"]["green"]


def test_settings_explain_bad_choices():
    with pytest.raises(ValueError, match="Train on one of"):
        widgets.TrainingSettings(distribution="deploy")
    with pytest.raises(ValueError, match="alpha"):
        widgets.TrainingSettings(distribution="mixture", alpha=1.5)
    with pytest.raises(ValueError, match="colour_salience must be a number > 0"):
        widgets.TrainingSettings(colour_salience=0)
    with pytest.raises(ValueError, match="episodes must be a whole number"):
        widgets.TrainingSettings(episodes=0)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        widgets.TrainingSettings(seed=-1)
    with pytest.raises(ValueError, match="compiled levels"):
        widgets.ProgressRecorder("train")
    assert widgets.TrainingSettings(distribution="mixture").measured_on == "train"
    assert widgets.TrainingSettings(distribution="mixture", alpha=0.1).spec.alpha == 0.1


def test_summary_figure_and_text(trained):
    figure = widgets.draw_training_summary(trained)
    efficiency_ax, ends_ax, map_ax, weights_ax = figure.axes
    line = next(line for line in efficiency_ax.lines if line.get_gid() == "navigation_efficiency_median")
    expected = [np.nan if r["navigation_efficiency_median"] is None else r["navigation_efficiency_median"]
                for r in trained.rows]
    np.testing.assert_array_equal(line.get_ydata(), expected)
    assert {line.get_gid() for line in ends_ax.lines} >= {"success", "deploy_exit", "deploy_green_apple"}
    image = next(im for im in map_ax.images if im.get_gid() == "value map")
    walls = trained.example_level.walls
    np.testing.assert_array_equal(np.ma.filled(image.get_array(), np.nan).ravel()[~walls.ravel()],
                                  trained.rows[-1]["value_map"][~walls.ravel()])
    heights = {p.get_gid(): p.get_height() for p in weights_ax.patches if p.get_gid()}
    assert heights["weights:green"] == pytest.approx(trained.rows[-1]["weights"]["green"])
    early = widgets.draw_training_summary(trained, row=0)
    assert "after 0 moves" in early.axes[2].get_title()
    text = widgets.summary_text(trained)
    assert "Deploy episodes" in text and "green apple" in text and "Goal weights" in text
    goal = trained.agent.goal
    rewards = widgets.estimated_rewards(trained.agent)
    assert rewards["exit"]["orange"] == pytest.approx(goal.as_dict()["exit"] + goal.as_dict()["orange"])
    assert f"orange {rewards['exit']['orange']:+.2f}" in text  # the sums that decide behaviour, beside the weights
    legend = figure.axes[1].get_legend()
    assert legend is not None and min(t.get_fontsize() for t in legend.get_texts()) >= 8
    assert figure.axes[0].get_xscale() == figure.axes[1].get_xscale() == "symlog"
    assert widgets.figure_png(figure).startswith(b"\x89PNG")


def test_steering_changes_where_the_agent_goes(trained):
    level = trained.deploy.levels[0]
    _, learned = widgets.steer_and_play(trained.agent, level)
    _, steered = widgets.steer_and_play(trained.agent, level, green=0.0, exit=1.0)
    assert learned.outcome[0] == "green_apple" and steered.outcome[0] == "exit"
    assert "exit sign" in widgets.steering_text(steered)
    figure = widgets.draw_steering(trained.agent, level, green=0.0, exit=1.0)
    heights = {p.get_gid(): p.get_height() for p in figure.axes[0].patches if p.get_gid()}
    assert heights["weights:exit"] == 1.0 and heights["weights:green"] == 0.0
    ends = [line.get_gid() for line in figure.axes[2].lines if line.get_gid()]
    assert ends == ["end exit"]
    with pytest.raises(ValueError, match="Unknown goal feature"):
        widgets.steer_and_play(trained.agent, level, purple=1.0)
    with pytest.raises(ValueError, match="trained LearnedAgent"):
        widgets.steer_and_play(object(), level)
    with pytest.raises(ValueError, match="level must be a Level"):
        widgets.steer_and_play(trained.agent, "#A.G#")


def test_train_panel_callbacks():
    panel = widgets.TrainLivePanel(widgets.TrainingSettings(**SMALL))
    assert panel.result is None  # building the panel trains nothing
    assert panel.alpha.disabled
    panel.distribution.value = "mixture"  # the observer enables the alpha slider
    assert not panel.alpha.disabled
    panel.alpha.value = 0.2
    panel.colour_salience.value = 1.0
    panel.episodes.value = 200
    settings = panel.settings()
    assert (settings.distribution, settings.alpha, settings.colour_salience, settings.episodes) == (
        "mixture", 0.2, 1.0, 200)
    assert settings.eval_episodes == SMALL["eval_episodes"]
    panel.button.click()  # what pressing Train does
    assert panel.result is not None and panel.result.settings.alpha == 0.2
    assert panel.progress.value == panel.progress.max == 200
    assert not panel.button.disabled
    assert [r["moves"] for r in panel.rows] == [r["moves"] for r in panel.result.rows]
    assert len(panel.figure.axes) == 4
    assert panel.status.value.startswith("done in")


def test_train_panel_refuses_bad_settings_in_words():
    panel = widgets.TrainLivePanel(widgets.TrainingSettings(**SMALL))
    panel.settings = lambda: widgets.TrainingSettings(seed=-1)  # (the seed box itself cannot go below 0)
    assert panel.on_train_clicked() is None
    assert panel.status.value.startswith("Cannot train: seed must be a whole number >= 0")


def test_steering_panel_sliders_steer(trained):
    level = trained.deploy.levels[0]
    panel = widgets.SteeringPanel(trained.agent, level)
    assert list(panel.sliders) == list(FEATURE_NAMES)
    assert "bluish green apple" in panel.text.value
    panel.sliders["green"].value = 0.0
    panel.sliders["exit"].value = 1.0  # each slider move redraws
    assert "exit sign" in panel.text.value
    heights = {p.get_gid(): p.get_height() for p in panel.figure.axes[0].patches if p.get_gid()}
    assert heights["weights:exit"] == 1.0
    panel.on_reset()
    assert panel.sliders["green"].value == pytest.approx(round(trained.agent.goal.as_dict()["green"], 2))
    assert "bluish green apple" in panel.text.value


def test_headless_fallbacks_return_the_figure_and_print_the_numbers(trained, capsys):
    level = trained.deploy.levels[0]
    figure = widgets.steering_panel(trained.agent, level, green=0.0, exit=1.0)
    assert isinstance(figure, Figure) and "exit sign" in capsys.readouterr().out
    figure = widgets.train_live(interactive=False, **SMALL)
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    out = capsys.readouterr().out
    assert "Held-out train episodes" in out and "Deploy episodes" in out


def test_interactive_mode_returns_a_widget_with_a_plain_text_fallback(trained):
    import ipywidgets

    panel = widgets.train_live(interactive=True, **SMALL)
    assert isinstance(panel, ipywidgets.VBox)
    assert "train live panel" in panel._repr_mimebundle_()["text/plain"]
    steering = widgets.steering_panel(trained.agent, trained.deploy.levels[0], interactive=True, green=0.0)
    assert isinstance(steering, ipywidgets.VBox)
    with pytest.raises(ValueError, match="Unknown goal feature"):
        widgets.steering_panel(trained.agent, trained.deploy.levels[0], interactive=True, purple=1.0)


def test_held_out_levels_are_held_out_and_cached():
    tables = widgets.held_out_levels(0, "deploy", 30)
    assert tables is widgets.held_out_levels(0, "deploy", 30)
    assert all(lvl.objects[0].colour != Colour.GREEN for lvl in tables.levels)
    assert all(any(o.kind == Kind.APPLE and o.colour == Colour.GREEN for o in lvl.objects) for lvl in tables.levels)
    from gmg_teach.world.distributions import configuration_split

    assert {configuration_split(lvl) for lvl in tables.levels} == {"held_out"}


def test_panels_show_figures_by_setting_the_output_widgets_outputs(trained, monkeypatch):
    # In a kernel the picture goes into the Output widget in one assignment of its outputs (captured output with
    # `with output:` sometimes stalled nbclient until its timeout: jupyter/nbclient#312).
    monkeypatch.setattr(widgets, "has_widget_front_end", lambda: True)
    panel = widgets.SteeringPanel(trained.agent, trained.deploy.levels[0])
    (shown,) = panel.output.outputs
    assert shown["output_type"] == "display_data" and shown["data"]["image/png"]
    train = widgets.TrainLivePanel(widgets.TrainingSettings(**SMALL))
    train.on_train_clicked()
    picture, words = train.summary_output.outputs
    assert picture["data"]["image/png"] and words["text"] == widgets.summary_text(train.result) + "\n"
    assert train.live_output.outputs == ()
