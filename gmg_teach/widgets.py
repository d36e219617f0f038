"""Live panels for the notebooks: train the learner while you watch its map and its goal form, and steer a trained
agent by editing its goal weights.

Each panel is three layers, so that every part can be tested and used without a widget front end:

1. plain functions that do the work and return data (:class:`ProgressRecorder`, :func:`run_training`,
   :func:`steer_and_play`);
2. plain functions that draw that data as a matplotlib figure (:func:`draw_training_summary`,
   :func:`draw_steering`);
3. a thin ipywidgets layer (:class:`TrainLivePanel`, :class:`SteeringPanel`) whose callbacks only read the
   controls and call layers 1 and 2.

Where no widget front end runs (a plain Python script, a test, a static HTML export of an unexecuted notebook),
:func:`train_live` and :func:`steering_panel` run once with their arguments, print the numbers and return the figure
instead of a panel. Plots are shown inline as PNG images (no ipympl needed). No panel trains while it is being
built: the student presses **Train**.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from .agents.goal_model import FEATURE_NAMES
from .agents.learner import LearnedAgent, LearnerConfig, new_agent
from .experiments import AgentSpec, ExperimentConfig, evaluation_levels, train_agent
from .measure.rollouts import rollout
from .plots.maze import (
    OUTCOME_WORDS,
    plot_goal_weights,
    plot_learning_curve,
    plot_policy_field,
    plot_trajectories,
    plot_value_map,
)
from .world.levels import Level
from .world.palette import Colour, Kind, describe
from .world.tables import MazeTables

TRAINING_DISTRIBUTIONS = ("train", "diverse", "mixture")
CHECKPOINT_MOVES = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
"""Moves of experience (over all the episodes run side by side) after which the recorder measures the agent."""
EXIT_ONLY = {name: (1.0 if name == "exit" else 0.0) for name in FEATURE_NAMES}
"""Goal weights that value the exit sign and nothing else: the agent's map alone, aimed at the intended goal."""


def _whole(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


# --------------------------------------------------------------------------------------------------------------
# Layer 1: settings, training with a live record of what forms, steering
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSettings:
    """Everything the "train live" panel lets a student choose."""

    distribution: str = "train"
    """Training distribution: ``train`` (exit always green), ``diverse`` (colours independent) or ``mixture``."""
    alpha: float = 0.05
    """For ``mixture``: the fraction of distinguishing (deploy-coloured) training episodes."""
    kind_salience: float = 1.0
    """How much an object's kind (exit sign / apple) stands out to the learner: the scale of the kind features."""
    colour_salience: float = 3.0
    """How much an object's colour stands out. The larger one takes the larger share of the credit for a reward
    the training data cannot attribute (the inductive bias that breaks the exit/green tie)."""
    episodes: int = LearnerConfig().episodes
    """Training episodes (the course's default budget)."""
    seed: int = 0
    """Training seed (the same number gives the same agent as ``experiments.train_agent`` with that seed index)."""
    master_seed: int = 0
    """The experiment's master seed: the building, and the held-out episodes the agent is measured on."""
    eval_episodes: int = 200
    """Held-out episodes in each measurement (of the training distribution, and of ``deploy``)."""

    def __post_init__(self):
        if self.distribution not in TRAINING_DISTRIBUTIONS:
            raise ValueError(
                f"Train on one of {', '.join(TRAINING_DISTRIBUTIONS)}; got {self.distribution!r}. "
                "(Training on 'deploy' is not offered: it is what the agent is tested on.)"
            )
        if not _number(self.alpha) or not 0.0 <= float(self.alpha) <= 1.0:
            raise ValueError(f"alpha is a fraction of episodes, between 0 and 1; got {self.alpha!r}.")
        for name in ("kind_salience", "colour_salience"):
            value = getattr(self, name)
            if not _number(value) or not value > 0:
                raise ValueError(f"{name} must be a number > 0 (how much that feature stands out); got {value!r}.")
        for name in ("episodes", "eval_episodes"):
            value = getattr(self, name)
            if not _whole(value) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.")
        for name in ("seed", "master_seed"):
            value = getattr(self, name)
            if not _whole(value) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0 (0, 1, 2, ...); got {value!r}.")

    @property
    def spec(self) -> AgentSpec:
        """The agent these settings train, in the experiment's terms."""
        return AgentSpec(self.distribution, float(self.kind_salience), float(self.colour_salience),
                         float(self.alpha) if self.distribution == "mixture" else None)

    @property
    def measured_on(self) -> str:
        """The distribution whose held-out episodes measure learning (a mixture is measured on ``train``)."""
        return "train" if self.distribution == "mixture" else self.distribution

    def describe(self) -> str:
        where = f"mixture (alpha={self.alpha:g})" if self.distribution == "mixture" else self.distribution
        return (f"trained on {where}, kind salience {self.kind_salience:g}, colour salience {self.colour_salience:g}, "
                f"{self.episodes} episodes, seed {self.seed}")


@lru_cache(maxsize=16)
def held_out_levels(master_seed: int, distribution: str, n: int) -> MazeTables:
    """Held-out episodes of a distribution (configurations training never draws), compiled once and cached."""
    return evaluation_levels(ExperimentConfig(seed=master_seed, eval_episodes=n), distribution)


def _median_efficiency(result) -> float | None:
    efficiency = result.path_efficiency
    return float(np.nanmedian(efficiency)) if np.isfinite(efficiency).any() else None


class ProgressRecorder:
    """An ``on_progress`` callback that measures the agent while it trains, at chosen amounts of experience.

    At the first report after each of ``checkpoints`` moves, it plays the agent greedily on held-out episodes and
    appends a row with the columns of :func:`gmg_teach.experiments.learning_curve` (``episodes``, ``moves``,
    ``success``, ``path_efficiency_median``, ``navigation_success``, ``navigation_efficiency_median``: the map alone,
    aimed at the exit), ``deploy_exit`` and ``deploy_green_apple`` when ``deploy`` is given, ``map_coverage``, and
    two snapshots: ``value_map`` (the learned values towards the exit sign of ``example``, one per tile) and
    ``weights`` (the goal weights). Call :meth:`record` yourself for the rows before and after training.
    """

    def __init__(self, held_out: MazeTables, deploy: MazeTables | None = None, example: int = 0,
                 checkpoints=CHECKPOINT_MOVES, on_row=None):
        if not isinstance(held_out, MazeTables) or (deploy is not None and not isinstance(deploy, MazeTables)):
            raise ValueError("held_out (and deploy, if given) must be compiled levels, e.g. "
                             "experiments.evaluation_levels(config, 'train').")
        if not _whole(example) or not 0 <= example < held_out.n_levels:
            raise ValueError(f"example must be the index of a held-out level, 0 to {held_out.n_levels - 1}; "
                             f"got {example!r}.")
        checkpoints = sorted(checkpoints)
        if any(not _whole(c) or c < 1 for c in checkpoints):
            raise ValueError(f"checkpoints must be whole numbers of moves >= 1; got {checkpoints!r}.")
        self.held_out, self.deploy, self.on_row = held_out, deploy, on_row
        self.goal_tile = int(held_out.object_tile[example, 0])  # object 0 is the exit sign
        self.due = list(checkpoints)
        self.rows: list[dict] = []

    def record(self, agent: LearnedAgent, episodes: int, moves: int) -> dict:
        """Measure ``agent`` now and append the row (also returned)."""
        mine = rollout(agent, self.held_out, seed=0)
        alone = rollout(agent.with_goal(agent.goal.steer(**EXIT_ONLY)), self.held_out, seed=0)
        row = {"episodes": int(episodes), "moves": int(moves), "success": mine.rates()["exit"],
               "path_efficiency_median": _median_efficiency(mine), "navigation_success": alone.rates()["exit"],
               "navigation_efficiency_median": _median_efficiency(alone),
               "map_coverage": agent.navigation.coverage(),
               "value_map": agent.navigation.value_map(self.goal_tile), "weights": agent.goal.as_dict()}
        if self.deploy is not None:
            rates = rollout(agent, self.deploy, seed=0).rates()
            row["deploy_exit"], row["deploy_green_apple"] = rates["exit"], rates["green_apple"]
        self.rows.append(row)
        if self.on_row is not None:
            self.on_row(agent, row)
        return row

    def __call__(self, agent: LearnedAgent, progress: dict) -> None:
        if self.due and progress["moves"] >= self.due[0]:
            self.record(agent, progress["episodes"], progress["moves"])
            while self.due and progress["moves"] >= self.due[0]:
                self.due.pop(0)


@dataclass(eq=False)
class LiveTrainingResult:
    """What one live training run produced: the agent, the rows recorded as it learned, and where it was measured."""

    settings: TrainingSettings
    agent: LearnedAgent
    rows: list[dict]
    held_out: MazeTables = field(repr=False)
    """Held-out episodes of the training distribution (``settings.measured_on``)."""
    deploy: MazeTables = field(repr=False)
    """Held-out deploy episodes."""
    seconds: float = 0.0

    @property
    def example_level(self) -> Level:
        """The held-out level whose exit sign the value maps aim at."""
        return self.held_out.levels[0]


def run_training(settings: TrainingSettings | None = None, on_row=None, checkpoints=CHECKPOINT_MOVES,
                 **changes) -> LiveTrainingResult:
    """Train a learner with ``settings`` (or the defaults with ``changes``), recording it as it learns.

    The first row is the untrained agent, the last the trained one; between them one row per checkpoint (moves of
    experience). ``on_row(agent, row)`` is called for every row as it happens: this is how the panel moves its
    progress bar and redraws while training runs.
    """
    settings = replace(settings or TrainingSettings(), **changes)
    started = time.perf_counter()
    held_out = held_out_levels(settings.master_seed, settings.measured_on, settings.eval_episodes)
    deploy = held_out_levels(settings.master_seed, "deploy", settings.eval_episodes)
    config = ExperimentConfig(seed=settings.master_seed,
                              learner=LearnerConfig(episodes=settings.episodes, report_every=1))
    recorder = ProgressRecorder(held_out, deploy, checkpoints=checkpoints, on_row=on_row)
    recorder.record(new_agent(held_out.n_tiles, config.learner), 0, 0)  # before any experience
    trained = train_agent(settings.spec, config, settings.seed, on_progress=recorder)
    last = trained.history[-1]
    if recorder.rows[-1]["moves"] != last["moves"]:
        recorder.record(trained.agent, last["episodes"], last["moves"])
    return LiveTrainingResult(settings, trained.agent, recorder.rows, held_out, deploy,
                              time.perf_counter() - started)


def _percent_rates(rates: dict) -> str:
    return ", ".join(f"{OUTCOME_WORDS[k].replace('reached ', '')} {v:.0%}" for k, v in rates.items() if v > 0)


def estimated_rewards(goal) -> dict[str, dict[str, float]]:
    """What the agent thinks each kind of object is worth: ``{kind: {colour: r_hat}}`` with
    r_hat = w[kind] + w[colour] (a GoalModel, or an agent with a ``.goal``).

    Only these sums decide behaviour: every object has one kind and one colour, so adding a number to both kind
    weights and taking it from every colour weight changes no r_hat. Read r_hat, not a single raw weight."""
    goal = getattr(goal, "goal", goal)
    return {Kind(k).name.lower(): {Colour(c).name.lower(): float(goal.reward(k, c)) for c in Colour} for k in Kind}


def estimated_rewards_text(goal) -> str:
    """:func:`estimated_rewards` in one line: ``exit sign: green +1.00, orange +0.86, ...; apple: ...``."""
    names = {Kind.EXIT: "exit sign", Kind.APPLE: "apple"}
    goal = getattr(goal, "goal", goal)
    return "; ".join(f"{names[k]}: " + ", ".join(f"{Colour(c).name.lower()} {float(goal.reward(k, c)):+.2f}"
                                                  for c in Colour) for k in Kind)


def summary_text(result: LiveTrainingResult) -> str:
    """The numbers of a training run in plain sentences."""
    held_out = rollout(result.agent, result.held_out, seed=0)
    deploy = rollout(result.agent, result.deploy, seed=0)
    weights = ", ".join(f"{k} {v:+.2f}" for k, v in result.agent.goal.as_dict().items() if abs(v) >= 0.005)

    def efficiency(r):
        value = _median_efficiency(r)
        return "" if value is None else f" (median path efficiency {value:.2f})"

    return (
        f"Agent {result.settings.describe()} ({result.seconds:.1f} s).\n"
        f"  Held-out {result.settings.measured_on} episodes: {_percent_rates(held_out.rates())}{efficiency(held_out)}.\n"
        f"  Deploy episodes: {_percent_rates(deploy.rates())}{efficiency(deploy)}.\n"
        f"  Goal weights: {weights or 'all zero'}.\n"
        f"  Estimated reward of each object (kind weight + colour weight; only these sums decide what it does): "
        f"{estimated_rewards_text(result.agent.goal)}."
    )


def steer_and_play(agent: LearnedAgent, level: Level, seed: int = 0, **weights: float):
    """The agent with some goal weights set by hand (``steer(green=0.0, exit=1.0)``; unnamed ones keep their
    learned value), played once on ``level``: returns ``(steered agent, Rollouts)``."""
    if not isinstance(agent, LearnedAgent):
        raise ValueError(f"Steering needs a trained LearnedAgent (it has goal weights to edit); got "
                         f"{type(agent).__name__}.")
    if not isinstance(level, Level):
        raise ValueError(f"level must be a Level (e.g. get_distribution('deploy').level(0)); got "
                         f"{type(level).__name__}.")
    steered = agent.with_goal(agent.goal.steer(**weights))
    return steered, rollout(steered, [level], seed=seed)


def steering_text(played) -> str:
    """Where a steered agent went, in one sentence."""
    reached = int(played.reached[0])
    if reached < 0:
        return f"It reached nothing within {int(played.steps[0])} steps."
    level = played.tables.levels[0]
    obj = level.objects[reached]
    return (f"It went to the {describe(obj.kind, obj.colour)} in {int(played.steps[0])} steps "
            f"(shortest path {int(played.shortest[0, reached])}).")


# --------------------------------------------------------------------------------------------------------------
# Layer 2: figures
# --------------------------------------------------------------------------------------------------------------


def draw_training_summary(result: LiveTrainingResult, figure: Figure | None = None, row: int = -1) -> Figure:
    """One figure of a training run, up to row ``row``: path efficiency and success as it learned, the value map
    towards the example level's exit sign, and the goal weights."""
    rows = result.rows if row == -1 else result.rows[: row + 1]
    if not rows:
        raise ValueError(f"row {row} is before the first recorded row.")
    return _draw_progress(rows, result.example_level, result.settings, figure)


def _draw_progress(rows: list[dict], level: Level, settings: TrainingSettings, figure: Figure | None) -> Figure:
    figure = figure or Figure(figsize=(15, 4.6))
    figure.clear()
    grid = figure.add_gridspec(1, 4, width_ratios=(1.1, 1.1, 1, 1.2), wspace=0.35)
    plot_learning_curve(rows, "path_efficiency", ax=figure.add_subplot(grid[0]), title="Path efficiency (held out)",
                        legend="below")
    ax = figure.add_subplot(grid[1])
    plot_learning_curve(rows, "success", ax=ax, legend="none")
    if "deploy_exit" in rows[0]:
        plot_learning_curve(rows, "deploy", ax=ax, legend="none")
    ax.set_title("Where episodes end", fontsize=10)
    ax.set_ylabel("share of episodes")
    ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    latest = rows[-1]
    plot_value_map(latest["value_map"], level, ax=figure.add_subplot(grid[2]), colorbar=False, legend=False,
                   title=f"Value map after {latest['moves']} moves")
    plot_goal_weights(latest["weights"], ax=figure.add_subplot(grid[3]), title="Goal weights", compact=True)
    figure.suptitle(f"Agent {settings.describe()}", fontsize=10)
    figure.subplots_adjust(left=0.05, right=0.99, top=0.86, bottom=0.38)
    return figure


def draw_steering(agent: LearnedAgent, level: Level, figure: Figure | None = None, seed: int = 0,
                  **weights: float) -> Figure:
    """The steered agent on one level: its goal weights, its policy field, and the path it takes."""
    steered, played = steer_and_play(agent, level, seed, **weights)
    figure = figure or Figure(figsize=(14, 5))
    figure.clear()
    grid = figure.add_gridspec(1, 3, width_ratios=(1.2, 1, 1), wspace=0.2)
    plot_goal_weights(steered, ax=figure.add_subplot(grid[0]), title="Goal weights (as steered)")
    plot_policy_field(steered, level, ax=figure.add_subplot(grid[1]), legend=False, seed=seed,
                      title="Its move from every tile")
    plot_trajectories(level, played.path(0), ax=figure.add_subplot(grid[2]), legend_columns=1,
                      title=OUTCOME_WORDS[played.outcome[0]].capitalize())
    figure.subplots_adjust(left=0.05, right=0.99, top=0.9, bottom=0.28)
    return figure


# --------------------------------------------------------------------------------------------------------------
# Layer 3: the widgets (ipywidgets imported lazily, so the rest works without it)
# --------------------------------------------------------------------------------------------------------------


def has_widget_front_end() -> bool:
    """True inside a running Jupyter kernel, where widgets can be shown; False in scripts and tests."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def figure_png(figure: Figure, dpi: int = 72) -> bytes:
    """A figure as PNG bytes: shown inline this way, it needs no matplotlib backend in the front end."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _plain_text_fallback(widget, text) -> None:
    """Make ``widget`` show ``text()`` where only plain text can be shown (a static export without widget state)."""
    widget_bundle = widget._repr_mimebundle_

    def bundle(**kwargs):
        data = widget_bundle(**kwargs)
        if data is not None:
            data["text/plain"] = text()
        return data

    widget._repr_mimebundle_ = bundle


def _show_in(output, figure: Figure, text: str | None = None, dpi: int = 72) -> None:
    """Replace what ``output`` shows by the figure (and some text). Skipped where no front end would see it.

    The new outputs are set in one assignment of the Output widget's ``outputs``, not captured with ``with output:``:
    captured output inside a running cell sometimes stalls nbclient until its timeout (jupyter/nbclient#312), and
    one assignment also replaces the old picture without a flicker.
    """
    if not has_widget_front_end():
        return
    from IPython.core.formatters import format_display_data
    from IPython.display import Image

    data, metadata = format_display_data(Image(data=figure_png(figure, dpi)))
    shown = [{"output_type": "display_data", "data": data, "metadata": metadata}]
    if text:
        shown.append({"output_type": "stream", "name": "stdout", "text": text + "\n"})
    output.outputs = tuple(shown)


class TrainLivePanel:
    """The "train live" panel. ``panel.widget`` is what a notebook displays; the callbacks are plain methods."""

    def __init__(self, settings: TrainingSettings | None = None):
        import ipywidgets as w

        settings = settings or TrainingSettings()
        style = {"description_width": "130px"}
        wide = w.Layout(width="460px")  # room for the longest option label
        self.distribution = w.Dropdown(options=[("train: exit always green", "train"),
                                                ("diverse: colours independent", "diverse"),
                                                ("mixture: a fraction alpha of deploy episodes", "mixture")],
                                       value=settings.distribution, description="train on", style=style,
                                       layout=wide)
        self.alpha = w.FloatSlider(value=settings.alpha, min=0.0, max=1.0, step=0.005, readout_format=".3f",
                                   description="alpha", disabled=settings.distribution != "mixture", style=style)
        self.kind_salience = w.FloatSlider(value=settings.kind_salience, min=0.25, max=4.0, step=0.25,
                                           description="kind salience", style=style)
        self.colour_salience = w.FloatSlider(value=settings.colour_salience, min=0.25, max=4.0, step=0.25,
                                             description="colour salience", style=style)
        self.episodes = w.IntSlider(value=settings.episodes, min=100, max=5000, step=100, description="episodes",
                                    style=style)
        self.seed = w.BoundedIntText(value=settings.seed, min=0, max=2**31 - 1, description="training seed",
                                     style=style)
        self.button = w.Button(description="Train", button_style="primary", icon="play")
        self.progress = w.IntProgress(value=0, min=0, max=settings.episodes, description="episodes done",
                                      style=style)
        self.status = w.Label(value="Choose the settings, then press Train.")
        self.live_output = w.Output()
        self.summary_output = w.Output()
        self.master_seed, self.eval_episodes = settings.master_seed, settings.eval_episodes
        self.result: LiveTrainingResult | None = None
        self.rows: list[dict] = []
        self.figure: Figure | None = None
        self.redraw_seconds = 0.5
        self.last_redraw = -np.inf

        self.distribution.observe(self.on_distribution_change, names="value")
        self.button.on_click(self.on_train_clicked)
        controls = w.VBox([self.distribution, self.alpha, self.kind_salience, self.colour_salience, self.episodes,
                           self.seed, w.HBox([self.button, self.progress]), self.status])
        self.widget = w.VBox([controls, self.live_output, self.summary_output])
        _plain_text_fallback(self.widget, lambda: summary_text(self.result) if self.result else
                             "(train live panel: run this notebook in Jupyter to use it)")

    def settings(self) -> TrainingSettings:
        """The settings the controls show now (ValueError, in words, if they make no sense)."""
        return TrainingSettings(distribution=self.distribution.value, alpha=float(self.alpha.value),
                                kind_salience=float(self.kind_salience.value),
                                colour_salience=float(self.colour_salience.value), episodes=int(self.episodes.value),
                                seed=int(self.seed.value), master_seed=self.master_seed,
                                eval_episodes=self.eval_episodes)

    def on_distribution_change(self, change=None) -> None:
        self.alpha.disabled = self.distribution.value != "mixture"

    def on_row(self, agent, row: dict) -> None:
        """After each checkpoint: move the progress bar, show the numbers, redraw what has formed so far.

        Drawing a PNG costs more than a stretch of training, so the figure is redrawn at most every
        ``redraw_seconds``; the summary at the end shows everything anyway.
        """
        self.progress.value = min(int(row["episodes"]), self.progress.max)
        efficiency = row["path_efficiency_median"]
        self.status.value = (f"{row['moves']} moves: held-out exit {row['success']:.0%}, path efficiency "
                             f"{'-' if efficiency is None else f'{efficiency:.2f}'}; deploy: exit "
                             f"{row['deploy_exit']:.0%}, green apple {row['deploy_green_apple']:.0%}")
        self.rows.append(row)
        if time.perf_counter() - self.last_redraw < self.redraw_seconds:
            return
        self.figure = _draw_progress(self.rows, self._level, self._settings, self.figure)
        _show_in(self.live_output, self.figure)
        self.last_redraw = time.perf_counter()

    def on_train_clicked(self, button=None) -> LiveTrainingResult | None:
        """Train with the current settings, updating the panel as it goes; returns the result."""
        try:
            self._settings = self.settings()
        except ValueError as error:
            self.status.value = f"Cannot train: {error}"
            return None
        self._level = held_out_levels(self._settings.master_seed, self._settings.measured_on,
                                      self._settings.eval_episodes).levels[0]
        self.button.disabled = True
        self.progress.max, self.progress.value = self._settings.episodes, 0
        self.rows, self.last_redraw = [], -np.inf
        try:
            self.result = run_training(self._settings, on_row=self.on_row)
        finally:
            self.button.disabled = False
        if has_widget_front_end():
            self.live_output.outputs = ()  # the summary below repeats the finished picture
        self.figure = draw_training_summary(self.result)
        _show_in(self.summary_output, self.figure, summary_text(self.result))
        self.progress.value = self.progress.max
        self.status.value = f"done in {self.result.seconds:.1f} s"
        return self.result


class SteeringPanel:
    """Sliders for the goal weights of a trained agent, with its policy field and path on one level redrawn."""

    def __init__(self, agent: LearnedAgent, level: Level, seed: int = 0):
        import ipywidgets as w

        steer_and_play(agent, level, seed)  # refuses a wrong agent or level, in words, before building anything
        self.agent, self.level, self.seed = agent, level, seed
        learned = agent.goal.as_dict()
        self.sliders = {name: w.FloatSlider(value=round(learned[name], 2), min=-1.0, max=1.0, step=0.05,
                                            description=name, continuous_update=False)
                        for name in FEATURE_NAMES}
        self.reset_button = w.Button(description="Learned weights", icon="undo")
        self.text = w.Label(value="")
        self.output = w.Output()
        self.figure: Figure | None = None
        for slider in self.sliders.values():
            slider.observe(self.on_change, names="value")
        self.reset_button.on_click(self.on_reset)
        self.widget = w.VBox([w.HBox([w.VBox(list(self.sliders.values())[:3]), w.VBox(list(self.sliders.values())[3:])]),
                              w.HBox([self.reset_button, self.text]), self.output])
        _plain_text_fallback(self.widget, lambda: self.text.value or "(steering panel)")
        self.on_change()

    def weights(self) -> dict[str, float]:
        return {name: float(slider.value) for name, slider in self.sliders.items()}

    def on_change(self, change=None) -> str:
        """Redraw with the weights the sliders show; returns the sentence shown under them."""
        _, played = steer_and_play(self.agent, self.level, self.seed, **self.weights())
        self.text.value = steering_text(played)
        self.figure = draw_steering(self.agent, self.level, self.figure, self.seed, **self.weights())
        _show_in(self.output, self.figure)
        return self.text.value

    def on_reset(self, button=None) -> None:
        """Put every slider back at the learned weight."""
        learned = self.agent.goal.as_dict()
        for name, slider in self.sliders.items():
            slider.value = round(learned[name], 2)
        self.on_change()


# --------------------------------------------------------------------------------------------------------------
# What notebooks call
# --------------------------------------------------------------------------------------------------------------


def train_live(settings: TrainingSettings | None = None, interactive: bool | None = None, **changes):
    """The "train live" panel in a notebook (press Train); elsewhere one run: prints the numbers, returns the figure.

    The panel does not train while it is being built: training inside the cell that displays a widget can leave
    some notebook runners waiting forever (jupyter/nbclient#312), and the student should choose settings first.

    Args:
        interactive: force the panel (True) or the one-run fallback (False); default detects a Jupyter kernel.
    """
    settings = replace(settings or TrainingSettings(), **changes)
    if interactive is None:
        interactive = has_widget_front_end()
    if interactive:
        return TrainLivePanel(settings).widget
    result = run_training(settings)
    print(summary_text(result))
    return draw_training_summary(result)


def steering_panel(agent: LearnedAgent, level: Level, interactive: bool | None = None, seed: int = 0,
                   **weights: float):
    """Sliders for ``agent``'s goal weights on ``level``; without a widget front end, draw the agent steered by
    ``weights`` (unnamed ones keep their learned value) and print where it went."""
    if interactive is None:
        interactive = has_widget_front_end()
    if interactive:
        panel = SteeringPanel(agent, level, seed)
        for name, value in weights.items():
            if name not in panel.sliders:
                raise ValueError(f"Unknown goal feature {name!r}; the features are {', '.join(FEATURE_NAMES)}.")
            panel.sliders[name].value = value
        return panel.widget
    _, played = steer_and_play(agent, level, seed, **weights)
    print(steering_text(played))
    return draw_steering(agent, level, seed=seed, **weights)
