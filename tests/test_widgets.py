"""The live panels: their callbacks called directly, as a click or a slider would, with no widget front end."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gmg_teach import compile_levels, get_distribution, rollout  # noqa: E402
from gmg_teach import widgets  # noqa: E402
from gmg_teach.plots import OUTCOMES  # noqa: E402

SMALL = dict(episodes=600, n_train_levels=200, n_eval_levels=30, chunks=3)


@pytest.fixture(scope="module")
def trained():
    return widgets.run_training(**SMALL)


def test_no_widget_front_end_under_pytest():
    assert widgets.has_widget_front_end() is False


def test_run_training_records_a_learning_curve_from_episode_zero(trained):
    curve = trained.curve
    episodes = [row["episodes"] for row in curve]
    assert len(episodes) == 1 + SMALL["chunks"] and episodes[0] == 0 and episodes[-1] == SMALL["episodes"]
    assert np.all(np.diff(episodes) > 0)  # (episodes finish in batches, so the chunks are only about equal)
    assert "train_success" not in curve[0]  # the untrained agent has no training episodes yet
    for row in curve:
        for column in ("held_out_exit", "deploy_exit", "deploy_green_apple"):
            assert 0.0 <= row[column] <= 1.0
    assert sum(trained.held_out_rates.values()) == pytest.approx(1.0)
    assert set(trained.deploy_rates) == set(OUTCOMES)
    # The headline: good on held-out training levels, and at deployment it goes for the green apple.
    assert trained.held_out_rates["exit"] > 0.8
    assert trained.deploy_rates["green_apple"] > 0.8


def test_final_rates_match_an_independent_rollout(trained):
    deploy = compile_levels(get_distribution("deploy").levels(30, widgets.LEVEL_SEEDS["deploy"]))
    assert rollout(trained.agent, deploy, seed=0).rates() == trained.deploy_rates


def test_on_row_sees_every_row_as_it_happens():
    seen = []
    result = widgets.run_training(on_row=lambda agent, row: seen.append(row["episodes"]), **SMALL)
    assert seen == [row["episodes"] for row in result.curve]


def test_flipping_which_cue_is_harder_flips_the_goal():
    result = widgets.run_training(harder_cue="green", **SMALL)
    assert result.held_out_rates["exit"] > 0.8  # the same training success ...
    assert result.deploy_rates["exit"] > 0.8  # ... and the opposite goal at deployment


def test_settings_explain_bad_choices():
    with pytest.raises(ValueError, match="Train on one of"):
        widgets.TrainingSettings(distribution="deploy")
    with pytest.raises(ValueError, match="harder_cue"):
        widgets.TrainingSettings(harder_cue="blue")
    with pytest.raises(ValueError, match="episodes"):
        widgets.TrainingSettings(episodes=0)
    with pytest.raises(ValueError, match="alpha"):
        widgets.TrainingSettings(distribution="mixture", alpha=1.5)
    assert widgets.TrainingSettings(harder_cue="green").observation().green_misread == 0.15


def test_summary_figure_and_text(trained):
    figure = widgets.draw_training_summary(trained)
    assert len(figure.axes) == 3
    curve_ax = figure.axes[0]
    held_out = next(line for line in curve_ax.lines if line.get_gid() == "held_out_exit")
    assert list(held_out.get_ydata()) == [row["held_out_exit"] for row in trained.curve]
    assert "deployment level" in figure.axes[2].get_title().lower() or "deployment" in figure.axes[2].get_title()
    text = widgets.summary_text(trained)
    assert "Deployment levels" in text and "green apple" in text
    assert widgets.figure_png(figure).startswith(b"\x89PNG")


def test_train_panel_callbacks():
    panel = widgets.TrainLivePanel(widgets.TrainingSettings(**SMALL), train_now=False)
    assert panel.alpha.disabled
    panel.distribution.value = "mixture"  # the observer enables the alpha slider
    assert not panel.alpha.disabled
    panel.alpha.value = 0.3
    panel.harder_cue.value = "green"
    panel.episodes.value = 400
    settings = panel.settings()
    assert (settings.distribution, settings.alpha, settings.harder_cue, settings.episodes) == ("mixture", 0.3,
                                                                                                "green", 400)
    # The panel's own settings use the default level counts; shrink them to keep the test fast.
    panel.settings = lambda: widgets.TrainingSettings(**{**SMALL, "n_train_levels": 40, "episodes": 400, "distribution": "mixture",
                                                         "alpha": 0.3, "harder_cue": "green"})
    panel.button.click()  # what pressing Train does
    assert panel.result is not None and panel.result.settings.alpha == 0.3
    assert panel.progress.value == panel.progress.max == 400
    assert not panel.button.disabled
    assert panel.curve_rows == panel.result.curve and panel.curve_rows[0]["episodes"] == 0
    assert len(panel.summary_figure.axes) == 3
    assert panel.status.value.startswith("done in")


def test_level_explorer_callback_matches_a_direct_rollout(trained):
    explorer = widgets.LevelExplorer(trained.agent, distribution="deploy", seed=3)
    assert explorer.numbers["seed"] == 3
    explorer.seed.value = 7  # moving the slider redraws
    explorer.distribution.value = "train"
    numbers = explorer.numbers
    level = get_distribution("train").level(7)
    played = rollout(trained.agent, [level], seed=7)
    assert numbers["outcome"] == played.outcome[0] and numbers["steps"] == int(played.steps[0])
    ends = [line.get_gid() for line in explorer.figure.axes[0].lines if line.get_gid()]
    assert ends == [f"end {numbers['outcome']}"]
    assert "train level 7" in widgets.explore_text(numbers)


def test_headless_fallbacks_return_the_figure_and_print_the_numbers(trained, capsys):
    figure = widgets.level_explorer(trained.agent, distribution="deploy", seed=5)
    assert isinstance(figure, Figure)
    assert "deploy level 5" in capsys.readouterr().out
    figure = widgets.train_live(episodes=300, interactive=False)
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    out = capsys.readouterr().out
    assert "Held-out train levels" in out and "Deployment levels" in out


def test_interactive_mode_returns_a_widget(trained):
    import ipywidgets

    panel = widgets.level_explorer(trained.agent, interactive=True)
    assert isinstance(panel, ipywidgets.VBox)


def test_learning_curve_recorder_can_be_used_with_train_q_learning():
    from gmg_teach import Cues, QLearningConfig, train_q_learning

    train = compile_levels(get_distribution("train").levels(20, 11))
    deploy = compile_levels(get_distribution("deploy").levels(20, 12))
    curve = widgets.LearningCurve(train, deploy, seed=0)
    result = train_q_learning(train, Cues(), QLearningConfig(episodes=300, report_every=100), seed=0,
                              on_progress=curve)
    assert [row["episodes"] for row in curve.rows] == [row["episodes"] for row in result.history]
    assert np.isclose(curve.rows[-1]["deploy_green_apple"], rollout(result.agent, deploy, seed=0).rates()["green_apple"])


def test_a_negative_seed_is_refused_in_words():
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        widgets.TrainingSettings(seed=-1)
