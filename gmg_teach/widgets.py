"""Live panels for the notebooks: train an agent while you watch, and explore levels with its path drawn.

Each panel is three layers, so that every part can be tested and used without a widget front end:

1. plain functions that do the work and return data (:func:`run_training`, :func:`explore_level`);
2. plain functions that draw that data as a matplotlib figure (:func:`draw_training_summary`);
3. a thin ipywidgets layer (:class:`TrainLivePanel`, :class:`LevelExplorer`) whose callbacks only read the
   controls and call layers 1 and 2.

Where no widget front end runs (a plain Python script, a test, a static HTML export of an unexecuted notebook),
:func:`train_live` and :func:`level_explorer` run once with their arguments, print the numbers and return the
figure instead of a panel. Plots are shown inline as PNG images (no ipympl needed).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from .agents.observations import Cues
from .agents.q_learning import QAgent, QLearningConfig, train_q_learning
from .measure.rollouts import rollout
from .plots import OUTCOME_WORDS, plot_learning_curves, plot_trajectories
from .world.distributions import get_distribution
from .world.tables import MazeTables, compile_levels

TRAINING_DISTRIBUTIONS = ("train", "diverse", "mixture")
HARDER_CUES = ("exit", "green", "neither")
LEVEL_SEEDS = {"training": 1, "held-out": 2, "deploy": 3}  # separate level streams: never train on a test level


# --------------------------------------------------------------------------------------------------------------
# Layer 1: settings, training with a live learning curve, exploring one level
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSettings:
    """Everything the "train live" panel lets a student choose."""

    distribution: str = "train"
    """Training distribution: ``train`` (exit always green), ``diverse`` (colours independent) or ``mixture``."""
    alpha: float = 0.05
    """For ``mixture``: the fraction of distinguishing (deploy-coloured) training levels."""
    harder_cue: str = "exit"
    """Which cue is misread more, i.e. less salient: ``exit``, ``green`` or ``neither``. This is the inductive
    bias that decides which goal a learner adopts when training cannot tell the goals apart."""
    misread: float = 0.15
    """How often the harder cue shows a random wrong direction."""
    episodes: int = QLearningConfig().episodes
    """Training episodes (the course's default budget)."""
    seed: int = 0
    """Seed of the training run (exploration, misreadings, ties)."""
    n_train_levels: int = 200
    """Distinct training levels."""
    n_eval_levels: int = 100
    """Held-out levels for each of the two evaluation sets (training distribution and deployment)."""
    chunks: int = 5
    """How many times the learning curve is measured and redrawn during training."""

    def __post_init__(self):
        if self.distribution not in TRAINING_DISTRIBUTIONS:
            raise ValueError(
                f"Train on one of {', '.join(TRAINING_DISTRIBUTIONS)}; got {self.distribution!r}. "
                "(Training on 'deploy' is not offered: it is what the agent is tested on.)"
            )
        if not 0.0 <= float(self.alpha) <= 1.0:
            raise ValueError(f"alpha is a fraction of levels, between 0 and 1; got {self.alpha}.")
        if self.harder_cue not in HARDER_CUES:
            raise ValueError(f"harder_cue must be one of {', '.join(HARDER_CUES)}; got {self.harder_cue!r}.")
        if not 0.0 <= float(self.misread) <= 1.0:
            raise ValueError(f"misread is a probability between 0 and 1; got {self.misread}.")
        for name in ("episodes", "n_train_levels", "n_eval_levels", "chunks"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0 (0, 1, 2, ...); got {self.seed!r}.")

    def observation(self) -> Cues:
        """The two-compass observation with the chosen cue made harder to read."""
        if self.harder_cue == "exit":
            return Cues(green_misread=0.0, exit_misread=self.misread)
        if self.harder_cue == "green":
            return Cues(green_misread=self.misread, exit_misread=0.0)
        return Cues(green_misread=self.misread, exit_misread=self.misread)

    def describe(self) -> str:
        where = f"mixture (alpha={self.alpha:g})" if self.distribution == "mixture" else self.distribution
        cue = {"exit": "the exit cue", "green": "the green cue", "neither": "both cues"}[self.harder_cue]
        return f"trained on {where}, {cue} misread {self.misread:.0%} of steps, {self.episodes} episodes"


@lru_cache(maxsize=32)
def compiled_levels(distribution: str, alpha: float | None, n: int, seed: int) -> MazeTables:
    """Compiled levels of a distribution, cached: compiling costs more than training, and levels never change."""
    dist = get_distribution(distribution, alpha=alpha if distribution == "mixture" else None)
    return compile_levels(dist.levels(n, seed))


class LearningCurve:
    """An ``on_progress`` callback that measures held-out success while the agent trains.

    After every progress report it plays the agent greedily on held-out levels of the training distribution and on
    deployment levels, and appends a row with ``held_out_exit``, ``deploy_exit`` and ``deploy_green_apple`` to the
    training row. Pass it as ``train_q_learning(..., on_progress=LearningCurve(held_out, deploy))``.
    """

    def __init__(self, held_out: MazeTables, deploy: MazeTables, seed: int = 0, on_row=None):
        self.held_out, self.deploy, self.seed, self.on_row = held_out, deploy, seed, on_row
        self.rows: list[dict] = []

    def __call__(self, agent, row: dict) -> None:
        held_out = rollout(agent, self.held_out, seed=self.seed).rates()
        deploy = rollout(agent, self.deploy, seed=self.seed).rates()
        full = dict(row, held_out_exit=held_out["exit"], deploy_exit=deploy["exit"],
                    deploy_green_apple=deploy["green_apple"])
        self.rows.append(full)
        if self.on_row is not None:
            self.on_row(agent, full)


@dataclass(eq=False)
class LiveTrainingResult:
    """What one live training run produced: the agent, its learning curve, and final held-out rates."""

    settings: TrainingSettings
    agent: object
    curve: list[dict]
    held_out_rates: dict[str, float]
    deploy_rates: dict[str, float]
    example_train: tuple = field(repr=False, default=None)
    """(level, path, outcome) of the agent on one held-out training level."""
    example_deploy: tuple = field(repr=False, default=None)
    """(level, path, outcome) of the agent on one deployment level."""
    seconds: float = 0.0


def run_training(settings: TrainingSettings | None = None, on_row=None, **changes) -> LiveTrainingResult:
    """Train an agent with ``settings`` (or the defaults with ``changes``), measuring held-out success as it learns.

    ``on_row(agent, row)`` is called after each chunk with the newest learning-curve row: this is how a panel
    updates its progress bar and plot while training runs.
    """
    settings = replace(settings or TrainingSettings(), **changes)
    started = time.perf_counter()
    alpha = float(settings.alpha) if settings.distribution == "mixture" else None
    training = compiled_levels(settings.distribution, alpha, settings.n_train_levels, LEVEL_SEEDS["training"])
    held_out = compiled_levels(settings.distribution, alpha, settings.n_eval_levels, LEVEL_SEEDS["held-out"])
    deploy = compiled_levels("deploy", None, settings.n_eval_levels, LEVEL_SEEDS["deploy"])
    curve = LearningCurve(held_out, deploy, seed=settings.seed, on_row=on_row)
    observation = settings.observation()
    curve(QAgent.empty(observation, observation.sizes(training)), {"episodes": 0})  # where learning starts from
    config = QLearningConfig(episodes=settings.episodes,
                             report_every=max(1, settings.episodes // settings.chunks))
    agent = train_q_learning(training, observation, config, seed=settings.seed, on_progress=curve).agent
    final_held_out = rollout(agent, held_out, seed=settings.seed)
    final_deploy = rollout(agent, deploy, seed=settings.seed)
    return LiveTrainingResult(
        settings=settings,
        agent=agent,
        curve=curve.rows,
        held_out_rates=final_held_out.rates(),
        deploy_rates=final_deploy.rates(),
        example_train=(held_out.levels[0], final_held_out.path(0), final_held_out.outcome[0]),
        example_deploy=(deploy.levels[0], final_deploy.path(0), final_deploy.outcome[0]),
        seconds=time.perf_counter() - started,
    )


def summary_text(result: LiveTrainingResult) -> str:
    """The numbers of a training run in two plain sentences."""
    def rates(r):
        return ", ".join(f"{OUTCOME_WORDS[k].replace('reached ', '')} {v:.0%}" for k, v in r.items() if v > 0)

    return (
        f"Agent {result.settings.describe()} ({result.seconds:.1f} s).\n"
        f"  Held-out {result.settings.distribution} levels: {rates(result.held_out_rates)}.\n"
        f"  Deployment levels: {rates(result.deploy_rates)}."
    )


def draw_training_summary(result: LiveTrainingResult, figure: Figure | None = None) -> Figure:
    """One figure: the learning curve, then the agent on a held-out training level and on a deployment level."""
    figure = figure or Figure(figsize=(12, 4.6))
    figure.clear()
    grid = figure.add_gridspec(1, 3, width_ratios=(1.4, 1, 1), wspace=0.25)
    plot_learning_curves(result.curve, ax=figure.add_subplot(grid[0]))
    for k, (name, example) in enumerate((("training", result.example_train), ("deployment", result.example_deploy))):
        level, path, outcome = example
        plot_trajectories(level, path, outcomes=[outcome], ax=figure.add_subplot(grid[k + 1]), legend_columns=1,
                          title=f"A {name} level:\n{OUTCOME_WORDS[outcome]}")
    figure.subplots_adjust(left=0.05, right=0.98, top=0.9, bottom=0.3)
    return figure


def explore_level(agent, distribution: str = "deploy", seed: int = 0, alpha: float = 0.05, ax=None):
    """Play ``agent`` once on the level ``seed`` of a distribution and draw its path.

    Returns ``(ax, numbers)`` where numbers holds the outcome, the steps taken and the shortest path to the
    object reached.
    """
    dist = get_distribution(distribution, alpha=alpha if distribution == "mixture" else None)
    level = dist.level(int(seed))
    played = rollout(agent, [level], seed=int(seed))
    outcome = played.outcome[0]
    reached = int(played.reached[0])
    numbers = {
        "distribution": dist.label,
        "seed": int(seed),
        "outcome": outcome,
        "steps": int(played.steps[0]),
        "shortest_path": int(played.shortest[0, reached]) if reached >= 0 else None,
    }
    ax = plot_trajectories(level, played.path(0), outcomes=[outcome], ax=ax,
                           title=f"{dist.label} level {int(seed)}: {OUTCOME_WORDS[outcome]}")
    return ax, numbers


def explore_text(numbers: dict) -> str:
    text = f"{numbers['distribution']} level {numbers['seed']}: {OUTCOME_WORDS[numbers['outcome']]}"
    if numbers["shortest_path"] is not None:
        text += f" in {numbers['steps']} steps (shortest path {numbers['shortest_path']})"
    return text + "."


# --------------------------------------------------------------------------------------------------------------
# Layer 3: the widgets (imported lazily, so the rest works without ipywidgets)
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
    """Replace what ``output`` shows by the figure (and a line of text). Skipped where no front end would see it."""
    if not has_widget_front_end():
        return
    from IPython.display import Image, display

    png = figure_png(figure, dpi)
    output.clear_output(wait=True)
    with output:
        display(Image(data=png))
        if text:
            print(text)


class TrainLivePanel:
    """The "train live" panel. ``panel.widget`` is what a notebook displays; the callbacks are plain methods."""

    def __init__(self, settings: TrainingSettings | None = None, train_now: bool = True):
        import ipywidgets as w

        settings = settings or TrainingSettings()
        style = {"description_width": "120px"}
        wide = w.Layout(width="460px")  # room for the longest option label
        self.distribution = w.Dropdown(options=[("train: exit always green", "train"),
                                                ("diverse: colours independent", "diverse"),
                                                ("mixture: a fraction alpha of deploy levels", "mixture")],
                                       value=settings.distribution, description="train on", style=style,
                                       layout=wide)
        self.alpha = w.FloatSlider(value=settings.alpha, min=0.0, max=1.0, step=0.01, description="alpha",
                                   disabled=settings.distribution != "mixture", style=style)
        self.harder_cue = w.Dropdown(options=[("the exit sign cue", "exit"), ("the green cue", "green"),
                                              ("neither: both equally", "neither")],
                                     value=settings.harder_cue, description="harder to read", style=style,
                                     layout=wide)
        self.misread = w.FloatSlider(value=settings.misread, min=0.0, max=0.4, step=0.05, description="misread rate",
                                     style=style)
        self.episodes = w.IntSlider(value=settings.episodes, min=100, max=10000, step=100, description="episodes",
                                    style=style)
        self.seed = w.BoundedIntText(value=settings.seed, min=0, max=2**31 - 1, description="seed", style=style)
        self.button = w.Button(description="Train", button_style="primary", icon="play")
        self.progress = w.IntProgress(value=0, min=0, max=settings.episodes, description="episodes done",
                                      style=style)
        self.status = w.Label(value="")
        self.curve_output = w.Output()
        self.summary_output = w.Output()
        self.result: LiveTrainingResult | None = None
        self.curve_rows: list[dict] = []
        self.curve_figure: Figure | None = None
        self.redraw_seconds = 0.25
        self.last_redraw = -np.inf
        self.summary_figure: Figure | None = None

        self.distribution.observe(self.on_distribution_change, names="value")
        self.button.on_click(self.on_train_clicked)
        controls = w.VBox([self.distribution, self.alpha, self.harder_cue, self.misread, self.episodes, self.seed,
                           w.HBox([self.button, self.progress]), self.status])
        self.widget = w.VBox([controls, self.curve_output, self.summary_output])
        _plain_text_fallback(self.widget, lambda: summary_text(self.result) if self.result else "(train live panel)")
        if train_now:
            self.on_train_clicked()

    def settings(self) -> TrainingSettings:
        """The settings the controls show now."""
        return TrainingSettings(distribution=self.distribution.value, alpha=float(self.alpha.value),
                                harder_cue=self.harder_cue.value, misread=float(self.misread.value),
                                episodes=int(self.episodes.value), seed=int(self.seed.value))

    def on_distribution_change(self, change=None) -> None:
        self.alpha.disabled = self.distribution.value != "mixture"

    def on_row(self, agent, row: dict) -> None:
        """After each chunk: move the progress bar, show the numbers, and redraw the learning curve so far.

        Drawing a PNG costs more than a chunk of training, so the curve is redrawn at most every
        ``redraw_seconds``; the summary figure at the end shows the whole curve anyway.
        """
        self.progress.value = int(row["episodes"])  # row 0 (before training) moves nothing
        self.status.value = (f"held-out exit {row['held_out_exit']:.0%}, deployment: exit {row['deploy_exit']:.0%}, "
                             f"green apple {row['deploy_green_apple']:.0%}")
        self.curve_rows.append(row)
        if time.perf_counter() - self.last_redraw < self.redraw_seconds:
            return
        self.curve_figure = Figure(figsize=(6, 3.4))
        plot_learning_curves(self.curve_rows, ax=self.curve_figure.add_subplot())
        self.curve_figure.subplots_adjust(bottom=0.42)
        _show_in(self.curve_output, self.curve_figure, dpi=72)
        self.last_redraw = time.perf_counter()

    def on_train_clicked(self, button=None) -> LiveTrainingResult | None:
        """Train with the current settings, updating the panel as it goes; returns the result."""
        try:
            settings = self.settings()
        except ValueError as error:
            self.status.value = f"Cannot train: {error}"
            return None
        self.button.disabled = True
        self.progress.max, self.progress.value = settings.episodes, 0
        self.curve_rows, self.last_redraw = [], -np.inf
        try:
            self.result = run_training(settings, on_row=self.on_row)
        finally:
            self.button.disabled = False
        if has_widget_front_end():
            self.curve_output.clear_output()  # the summary below repeats the finished curve
        self.summary_figure = draw_training_summary(self.result)
        _show_in(self.summary_output, self.summary_figure, summary_text(self.result))
        self.status.value = f"done in {self.result.seconds:.1f} s"
        return self.result


class LevelExplorer:
    """The level explorer: a seed slider and a distribution picker, with the agent's path drawn."""

    def __init__(self, agent, distribution: str = "deploy", seed: int = 0, alpha: float = 0.05):
        import ipywidgets as w

        self.agent, self.alpha = agent, alpha
        self.distribution = w.Dropdown(options=["train", "deploy", "diverse", "mixture"], value=distribution,
                                       description="levels from")
        self.seed = w.IntSlider(value=seed, min=0, max=999, description="level seed")
        self.output = w.Output()
        self.numbers: dict | None = None
        self.distribution.observe(self.on_change, names="value")
        self.seed.observe(self.on_change, names="value")
        self.widget = w.VBox([w.HBox([self.distribution, self.seed]), self.output])
        _plain_text_fallback(self.widget, lambda: explore_text(self.numbers) if self.numbers else "(level explorer)")
        self.on_change()

    def on_change(self, change=None) -> dict:
        """Draw the chosen level with the agent's path; returns the numbers shown under it."""
        self.figure = Figure(figsize=(5, 5.6))
        _, self.numbers = explore_level(self.agent, self.distribution.value, self.seed.value, self.alpha,
                                        ax=self.figure.add_subplot())
        self.figure.subplots_adjust(top=0.95, bottom=0.2)
        _show_in(self.output, self.figure, explore_text(self.numbers))
        return self.numbers


# --------------------------------------------------------------------------------------------------------------
# What notebooks call
# --------------------------------------------------------------------------------------------------------------


def train_live(distribution: str = "train", alpha: float = 0.05, harder_cue: str = "exit", misread: float = 0.15,
               episodes: int = QLearningConfig().episodes, seed: int = 0, interactive: bool | None = None):
    """The "train live" panel in a notebook (press Train); elsewhere, one run: prints the numbers, returns the figure.

    The panel does not train while it is being built: training inside the cell that displays a widget can leave
    some notebook runners waiting forever (jupyter/nbclient#312), and the student should choose settings first.

    Args:
        interactive: force the panel (True) or the one-run fallback (False); default detects a Jupyter kernel.
    """
    settings = TrainingSettings(distribution=distribution, alpha=alpha, harder_cue=harder_cue, misread=misread,
                                episodes=episodes, seed=seed)
    if interactive is None:
        interactive = has_widget_front_end()
    if interactive:
        return TrainLivePanel(settings, train_now=False).widget
    result = run_training(settings)
    print(summary_text(result))
    return draw_training_summary(result)


def level_explorer(agent=None, distribution: str = "deploy", seed: int = 0, alpha: float = 0.05,
                   interactive: bool | None = None):
    """Browse levels with the agent's path drawn; without a widget front end, draw one level and print its numbers.

    With no ``agent``, a default one is trained first (on ``train``, exit cue misread 15%: about a second).
    """
    if agent is None:
        agent = run_training(TrainingSettings(chunks=1)).agent
    if interactive is None:
        interactive = has_widget_front_end()
    if interactive:
        return LevelExplorer(agent, distribution, seed, alpha).widget
    figure = Figure(figsize=(5, 5.6))
    _, numbers = explore_level(agent, distribution, seed, alpha, ax=figure.add_subplot())
    figure.subplots_adjust(top=0.95, bottom=0.2)
    print(explore_text(numbers))
    return figure
