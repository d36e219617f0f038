"""Figures of the results: the 2x2 table, the sweeps, the posteriors over goals, harm and steering.

Every function draws data computed elsewhere (``experiments.py``, ``measure/``) and computes nothing of its own
beyond layout. Each takes an optional ``ax`` (``axes`` for the 2x2 table), returns it, and never calls
``plt.show()``. Colours are Okabe-Ito (``world/palette.py``) and every series is also told apart by a marker or a
hatch and named in words, so no figure depends on seeing green:

    exit           black, squares                 green apple    bluish green, discs
    other apple    orange, triangles              nothing        grey, crosses
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse as EllipsePatch

from ..agents.goal_model import GoalModel
from ..measure.generalization import CAPABLE_EFFICIENCY, CAPABLE_SUCCESS, CELL_NAMES, margins
from ..measure.identifiability import covariance_ellipse, weight_contrasts
from ..world.palette import HEX, Colour

__all__ = [
    "OUTCOME_STYLE", "weights_axes", "plot_cell", "plot_evidence_sweep", "plot_goal_posterior", "plot_harm_by_distance",
    "plot_salience_sweep", "plot_steering", "plot_sweep_weights", "plot_two_by_two", "plot_weight_posterior",
]

GREY = "#999999"
LEGEND_FONTSIZE = 9
ALPHA_LABEL = "alpha: fraction of training levels that are distinguishing"
"""Legends and annotations are at least this size, so they stay readable at the notebook's width."""
OUTCOME_STYLE = {
    "exit": {"colour": "black", "marker": "s", "hatch": "", "words": "exit (black, squares)"},
    "green_apple": {"colour": HEX[Colour.GREEN], "marker": "o", "hatch": "//",
                    "words": "green apple (bluish green, discs)"},
    "other_apple": {"colour": HEX[Colour.ORANGE], "marker": "^", "hatch": "..",
                    "words": "other apple (orange, triangles)"},
    "none": {"colour": GREY, "marker": "x", "hatch": "xx", "words": "nothing (grey, crosses)"},
}
"""How each outcome is drawn everywhere: colour, marker, hatch, and the words a legend uses."""

HYPOTHESIS_STYLE = {
    "exit": {**OUTCOME_STYLE["exit"], "words": "the exit (black, plain)", "tick": "the\nexit"},
    "green": {**OUTCOME_STYLE["green_apple"], "words": "anything green (bluish green, stripes)",
              "tick": "anything\ngreen"},
    "apple": {**OUTCOME_STYLE["other_apple"], "words": "any apple (orange, dots)", "tick": "any\napple"},
    "nothing": {**OUTCOME_STYLE["none"], "words": "nothing, R = 0 (grey, crosses)", "tick": "nothing\n(R = 0)"},
}
"""How each goal hypothesis is drawn: the bar's colour and hatch, the words of a legend, a short tick label."""


def _get_ax(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _check_share(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not -1e-9 <= value <= 1 + 1e-9:
        raise ValueError(f"{where} must be a share between 0 and 1; got {value!r}.")
    return float(value)


def _check_rows(rows, needed: Sequence[str], what: str) -> list:
    if not isinstance(rows, Sequence) or not rows:
        raise ValueError(f"{what} needs a non-empty list of rows; got {rows!r}.")
    for i, row in enumerate(rows):
        missing = [k for k in needed if k not in row]
        if missing:
            raise ValueError(f"{what}: row {i} has no {', '.join(missing)} (keys found: {', '.join(row)}).")
    return list(rows)


# --- the 2x2 table -------------------------------------------------------------------------------------------------

_POSITION = {name: (0 if capable else 1, 0 if goal else 1) for (capable, goal), name in CELL_NAMES.items()}
BEHAVIOUR_BARS = (("exit", "exit"), ("green\napple", "green_apple"), ("other\napple", "other_apple"))
WEIGHT_BARS = (("kind:\nexit - apple", "kind"), ("colour: green\n- others", "colour"))


def _check_cell(name: str, cell: Mapping) -> Mapping:
    needed = ("agent", "shift", "cell", "revealed_goal_share", "undetermined_share", "success_at_revealed_goal",
              "path_efficiency_median", "weights", "weights_agree_with_behaviour")
    if not isinstance(cell, Mapping):
        raise ValueError(f"Cell {name!r} must be a dict from experiments.two_by_two; got {type(cell).__name__}.")
    missing = [k for k in needed if k not in cell]
    if missing:
        raise ValueError(f"Cell {name!r} has no {', '.join(missing)}: pass experiments.two_by_two(...) as it is.")
    if cell["cell"] not in _POSITION:
        raise ValueError(f"Cell {name!r} is classified {cell['cell']!r}, not one of {', '.join(_POSITION)}: the "
                         "table has no place for it. Report its measurements as numbers instead.")
    return cell


def weights_axes(ax):
    """The twin Axes on which :func:`plot_cell` drew the learned weights (their own unit, their own scale)."""
    return next(a for a in ax.get_shared_x_axes().get_siblings(ax) if a is not ax)


def plot_cell(cell: Mapping, ax=None, title: str | None = None):
    """One cell of the 2x2 table: what the behaviour revealed (bars, left axis, shares) beside the learned weights
    (bars, right axis, reward units; :func:`weights_axes` returns that axis).

    Left: the revealed-goal share of the exit, the green apple and other apples over the episodes whose goal is
    determined; the share of undetermined episodes (left out of the goal verdict); and how often the agent reached
    its revealed goal, with the capability threshold ``CAPABLE_SUCCESS`` as a dashed line (named in the tick label).
    Right: the learned weights as the two contrasts that decide behaviour
    (``measure.identifiability.weight_contrasts``), kind (exit minus apple) and colour (green minus the other
    colours). The title names the agent, the shift, the measured cell and its margins (``generalization.margins``:
    success and goal, positive on the "generalizes" side); below, the median path efficiency over
    the episodes that reached their revealed goal beside its threshold (``CAPABLE_EFFICIENCY``), and how often the
    weights' favourite was the revealed goal.
    """
    cell = _check_cell(title or "cell", cell)
    ax = _get_ax(ax, (5.2, 3.6))
    shares = [_check_share(f"revealed_goal_share[{k!r}]", cell["revealed_goal_share"][k]) for _, k in BEHAVIOUR_BARS]
    undetermined = _check_share("undetermined_share", cell["undetermined_share"])
    success = _check_share("success_at_revealed_goal", cell["success_at_revealed_goal"])
    contrasts = weight_contrasts(cell["weights"])
    weights = [contrasts[k] for _, k in WEIGHT_BARS]
    x_behaviour = np.arange(len(BEHAVIOUR_BARS))
    x_undetermined = len(BEHAVIOUR_BARS) + 0.1
    x_success = x_undetermined + 1.1
    x_weights = x_success + 1.5 + np.arange(len(WEIGHT_BARS))
    for x, value, (_, key) in zip(x_behaviour, shares, BEHAVIOUR_BARS):
        style = OUTCOME_STYLE[key]
        bar = ax.bar(x, value, 0.7, color=style["colour"], hatch=style["hatch"], edgecolor="black",
                     gid=f"behaviour {key}")
        ax.bar_label(bar, fmt="%.2f", fontsize=8)
    bar = ax.bar(x_undetermined, undetermined, 0.7, color="#DDDDDD", edgecolor=GREY, hatch="--",
                 gid="behaviour undetermined")
    ax.bar_label(bar, fmt="%.2f", fontsize=8)
    bar = ax.bar(x_success, success, 0.7, color="white", edgecolor="black", hatch="\\\\", gid="behaviour success")
    ax.bar_label(bar, fmt="%.2f", fontsize=8)
    ax.plot([x_success - 0.45, x_success + 0.45], [CAPABLE_SUCCESS] * 2, "k--", lw=1.2, gid="success threshold")
    ax.axvline(x_success + 0.75, color=GREY, lw=0.8)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylim(0, 1.3)
    ax.set_ylabel("share of episodes", fontsize=8)
    twin = ax.twinx()
    for x, value, (_, key) in zip(x_weights, weights, WEIGHT_BARS):
        style = OUTCOME_STYLE["exit" if key == "kind" else "green_apple"]
        bar = twin.bar(x, value, 0.7, color="white", edgecolor=style["colour"], linewidth=2, hatch=style["hatch"],
                       gid=f"weight {key}")
        twin.bar_label(bar, labels=[f"{value:+.2f}" if abs(value) >= 0.005 else "0.00"], fontsize=8)
    top = max(1.0, *np.abs(weights)) * 1.6
    twin.set_ylim(-top, top)
    twin.axhline(0, color="black", lw=0.6, xmin=(x_success + 0.75 - (-0.6)) / (x_weights[-1] + 0.6 - (-0.6)))
    twin.set_ylabel("learned weight (reward units)", fontsize=8)
    twin.tick_params(labelsize=7)
    ax.set_xlim(-0.6, x_weights[-1] + 0.6)
    ax.set_xticks([*x_behaviour, x_undetermined, x_success, *x_weights],
                  [label for label, _ in BEHAVIOUR_BARS] + ["unde-\ntermined", f"reached\nrevealed\ngoal\n(dashed:\n"
                                                            f"{CAPABLE_SUCCESS:g} needed)"]
                  + [label for label, _ in WEIGHT_BARS], fontsize=7)
    # The class shares are over the determined episodes only; the two bars to their right are over all episodes.
    for x, words in ((np.mean(x_behaviour), "revealed goal\n(determined episodes)"),
                     (np.mean([x_undetermined, x_success]), "all\nepisodes"), (np.mean(x_weights), "learned weights")):
        ax.text(x, 1.19, words, ha="center", va="center", fontsize=8, fontstyle="italic")
    eff = cell["path_efficiency_median"]
    agree = cell["weights_agree_with_behaviour"]
    ax.set_xlabel(f"median path efficiency of the episodes that reached\ntheir revealed goal: "
                  f"{'-' if eff is None else f'{eff:.2f}'} (at most {CAPABLE_EFFICIENCY:g} needed)"
                  + ("" if agree is None else f"; weights' favourite\n= revealed goal in {agree:.0%} of determined "
                                               "episodes"), fontsize=8)
    agent = str(cell["agent"]).replace("_", " ")
    margin = margins(success, eff, cell["revealed_goal_share"])   # the one definition's margins, as in the tables
    words = ", ".join(f"{k} {'-' if margin[k] is None else format(margin[k], '+.2f')}" for k in ("success", "goal"))
    ax.set_title(title or f"{agent}, {cell['shift']}\nmeasured: {cell['cell']} (margins: {words})", fontsize=9)
    return ax


def plot_two_by_two(cells: Mapping[str, Mapping], axes=None):
    """The capabilities x goals table from ``experiments.two_by_two(...)`` as it is.

    Each cell is placed by its *measured* classification (rows: do capabilities generalize; columns: does the goal
    generalize) and drawn by :func:`plot_cell`. ``axes``: a 2x2 array of Axes (default: a new figure). Two cells
    measured into the same position is refused, since the table could not show both.
    """
    if not isinstance(cells, Mapping) or not cells:
        raise ValueError("plot_two_by_two needs the dict returned by experiments.two_by_two(...).")
    placed: dict[tuple[int, int], str] = {}
    for name, cell in cells.items():
        where = _POSITION[_check_cell(name, cell)["cell"]]
        if where in placed:
            raise ValueError(f"{placed[where]!r} and {name!r} were both measured as {cell['cell']!r}; the table has "
                             "one place for each. Draw them one by one with plot_cell.")
        placed[where] = name
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(12.5, 8.5), layout="constrained", sharey=True)
    axes = np.asarray(axes)
    if axes.shape != (2, 2):
        raise ValueError(f"axes must be a 2x2 array of Axes; got shape {axes.shape}.")
    for (row, col), name in placed.items():
        plot_cell(cells[name], axes[row, col])
    for (row, col), ax in np.ndenumerate(axes):
        if (row, col) not in placed:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no agent measured here", ha="center", transform=ax.transAxes)
    for col, words in enumerate(("goal generalizes: YES", "goal generalizes: NO")):
        axes[0, col].annotate(words, (0.5, 1.2), xycoords="axes fraction", ha="center", fontsize=11,
                              fontweight="bold")
    for row, words in enumerate(("capabilities\ngeneralize: YES", "capabilities\ngeneralize: NO")):
        axes[row, 0].annotate(words, (-0.22, 0.5), xycoords="axes fraction", ha="center", va="center",
                              rotation=90, fontsize=11, fontweight="bold")
    axes[0, 0].figure.supxlabel(
        f"Capabilities generalize: reaches its revealed goal in at least {CAPABLE_SUCCESS:.0%} of episodes (dashed "
        f"line) with a median path efficiency of at most {CAPABLE_EFFICIENCY:g}.\nGoal generalizes: over the episodes "
        "whose goal is determined, the exit has the largest revealed-goal share (undetermined episodes are shown, "
        "and left out).", fontsize=9, gid="thresholds")
    return axes


# --- sweeps --------------------------------------------------------------------------------------------------------


def _spread(ax, xs, rows, outcome, label_seeds: bool):
    style = OUTCOME_STYLE[outcome]
    means = [_check_share(f"{outcome} rate", r[outcome]) for r in rows]
    ax.plot(xs, means, "-", marker=style["marker"], color=style["colour"], label=f"{style['words']}, mean",
            gid=f"mean {outcome}")
    if all("ci95" in r for r in rows):
        low, high = zip(*(r["ci95"][outcome] for r in rows))
        ax.fill_between(xs, low, high, color=style["colour"], alpha=0.15, lw=0, gid=f"ci {outcome}")
    if all("per_seed" in r for r in rows):
        seed_x = [x for x, r in zip(xs, rows) for _ in r["per_seed"]]
        seed_y = [s[outcome] for r in rows for s in r["per_seed"]]
        ax.scatter(seed_x, seed_y, s=14, marker=style["marker"], facecolor="none", edgecolor=style["colour"],
                   alpha=0.8, label=f"{style['words'].split(' (')[0]}, each training seed" if label_seeds else None,
                   gid=f"seeds {outcome}")


SETTING_STYLES = (("black", "s", "-", "black, squares, solid"), (HEX[Colour.ORANGE], "^", "--", "orange, triangles, dashed"),
                  (HEX[Colour.BLUE], "o", ":", "blue, discs, dotted"), ("#CC79A7", "D", "-.",
                                                                        "reddish purple, diamonds, dash-dot"),
                  (HEX[Colour.GREEN], "v", (0, (5, 1, 1, 1)), "bluish green, down triangles, dash-dot-dot"))
"""How the evidence sweep tells its (budget, prior) settings apart: colour, marker, line style, and those in words."""
EVIDENCE_X = {
    "alpha": "alpha: fraction of training episodes that are distinguishing",
    "count": "alpha x budget: distinguishing training episodes (expected)",
    "count_per_prior_precision": "alpha x budget / prior precision",
}


def plot_evidence_sweep(rows: Sequence[Mapping], x: str = "alpha", ax=None, threshold: float | None = 0.8,
                        title: str | None = "Deploy exit rate, one line per training setting"):
    """Deploy exit rate (mean over training seeds, with every seed as open markers) against ``x`` for each
    (training budget, prior precision) of ``experiments.evidence_sweep`` rows: ``"alpha"`` (the fraction),
    ``"count"`` (alpha x budget) or ``"count_per_prior_precision"``. If alpha were a fraction the lines would
    coincide against alpha; they coincide against the count (at one prior), and against the count per unit of prior
    precision. A dotted line marks ``threshold``, the rate that "fixes the goal"."""
    if x not in EVIDENCE_X:
        raise ValueError(f"x must be one of {', '.join(EVIDENCE_X)}; got {x!r}.")
    rows = _check_rows(rows, ("budget", "prior_precision", "count", "alpha", "exit"), "plot_evidence_sweep")
    ax = _get_ax(ax, (6.5, 4))
    settings = sorted({(r["budget"], r["prior_precision"]) for r in rows}, key=lambda bp: (bp[1], bp[0]))
    if len(settings) > len(SETTING_STYLES):
        raise ValueError(f"plot_evidence_sweep draws at most {len(SETTING_STYLES)} settings; got {len(settings)}.")
    value = {"alpha": lambda r: r["alpha"], "count": lambda r: r["count"],
             "count_per_prior_precision": lambda r: r["count"] / r["prior_precision"]}[x]
    for (budget, prior), (colour, marker, line, words) in zip(settings, SETTING_STYLES):
        mine = sorted((r for r in rows if (r["budget"], r["prior_precision"]) == (budget, prior)), key=value)
        xs = [float(value(r)) for r in mine]
        ax.plot(xs, [_check_share("exit rate", r["exit"]) for r in mine], linestyle=line, marker=marker,
                color=colour, label=f"budget {budget} episodes, prior precision {prior:g} ({words})",
                gid=f"mean exit {budget} {prior:g}")
        if all("per_seed" in r for r in mine):
            ax.scatter([v for v, r in zip(xs, mine) for _ in r["per_seed"]],
                       [s["exit"] for r in mine for s in r["per_seed"]], s=14, marker=marker, facecolor="none",
                       edgecolor=colour, alpha=0.6, gid=f"seeds exit {budget} {prior:g}")
    if threshold is not None:
        ax.axhline(threshold, color=GREY, ls=":", lw=1, gid="threshold",
                   label=f"fixes the goal: mean exit rate above {threshold:g} (grey, dotted)")
    ax.set_xscale("log", base=2)
    ticks = sorted({round(float(value(r)), 6) for r in rows})
    if len(ticks) <= 12:
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks], rotation=45 if x == "alpha" else 0)
    ax.minorticks_off()
    ax.set_xlabel(EVIDENCE_X[x])
    ax.set_ylabel("deploy exit rate")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22 if x == "alpha"
                                                                                              else -0.16))
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _finish_share_axes(ax, title):
    """The y axis, legend and title shared by the sweep figures (a share of deploy episodes on y)."""
    ax.set_ylabel("share of deploy episodes")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False, loc="center right")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_salience_sweep(rows: Sequence[Mapping], ax=None, outcomes: Sequence[str] = ("exit", "green_apple"),
                        title: str | None = "Same data, different inductive bias"):
    """Deploy outcome rates against the colour's salience relative to the kind's (``experiments.salience_sweep``
    rows), mean, 95% interval and every seed; a dotted line marks equal salience."""
    rows = _check_rows(rows, ("colour_salience", "kind_salience", *outcomes), "plot_salience_sweep")
    rows = sorted(rows, key=lambda r: r["colour_salience"] / r["kind_salience"])
    ax = _get_ax(ax, (6.5, 4))
    ratio = [float(r["colour_salience"]) / float(r["kind_salience"]) for r in rows]
    for outcome in outcomes:
        _spread(ax, ratio, rows, outcome, label_seeds=True)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ratio, [f"{x:g}" for x in ratio])
    ax.minorticks_off()
    ax.axvline(1.0, color=GREY, ls=":", lw=1, gid="equal salience", label="equal salience (ratio 1)")
    ax.set_xlabel("colour salience / kind salience")
    return _finish_share_axes(ax, title)


def plot_sweep_weights(rows: Sequence[Mapping], x: str, ax=None, title: str | None = "What the agent believes"):
    """The learned weights' two contrasts (``measure.identifiability.weight_contrasts`` of the mean weights over
    seeds, reward units) against a sweep's ``x`` (``"alpha"`` or ``"colour_salience"``): kind (exit minus apple)
    and colour (green minus the other colours)."""
    rows = _check_rows(rows, (x, "weights"), "plot_sweep_weights")
    rows = sorted(rows, key=lambda r: r[x])
    ax = _get_ax(ax, (6.5, 4))
    xs = [float(r[x]) for r in rows]
    contrasts = [weight_contrasts(r["weights"]) for r in rows]
    for key, words, outcome in (("kind", "kind contrast: exit minus apple (black, squares)", "exit"),
                                ("colour", "colour contrast: green minus other colours (bluish green, discs)",
                                 "green_apple")):
        style = OUTCOME_STYLE[outcome]
        ax.plot(xs, [c[key] for c in contrasts], "--", marker=style["marker"], color=style["colour"], label=words,
                gid=f"contrast {key}")
    if x == "alpha":
        positive = [a for a in xs if a > 0]
        if positive:
            ax.set_xscale("symlog", linthresh=min(positive), linscale=0.4)
        ax.set_xticks(xs, [f"{a:g}" for a in xs])
        ax.set_xlabel(ALPHA_LABEL)
    else:
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [f"{v:g}" for v in xs])
        ax.set_xlabel(x.replace("_", " ") + (" / kind salience" if x == "colour_salience" else ""))
    ax.minorticks_off()
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("learned contrast (reward units)")
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    if title:
        ax.set_title(title, fontsize=10)
    return ax


# --- posteriors ------------------------------------------------------------------------------------------------------


def plot_weight_posterior(goal: GoalModel, ax=None, label: str | None = None, colour: str = "black",
                          n_sigmas: Sequence[float] = (1.0, 2.0), constraint: bool = True,
                          title: str | None = None, marker: str = "+", centre_text: str | None = None,
                          text_offset: tuple[float, float] = (8, 6)):
    """The goal model's posterior over the two numbers that decide behaviour (``GoalModel.contrasts``): the kind
    contrast (exit minus apple) and the colour contrast (green minus the other colours), in reward units.

    Drawn as ellipses of 1 and 2 standard deviations around the posterior mean (``marker``, with ``centre_text``
    written beside it, ``text_offset`` points away, so overlaid posteriors are told apart without colour). With ``constraint``, the dotted line
    ``kind + colour = 1`` is what the green exits of ``train`` data pin down (a green exit is worth 1 more than a
    non-green apple); it runs in the direction kind - colour, at -45 degrees. Call it again on the same ``ax`` to
    overlay another goal model.
    """
    if not isinstance(goal, GoalModel):
        raise ValueError(f"plot_weight_posterior needs a GoalModel (an agent's .goal); got {type(goal).__name__}.")
    ax = _get_ax(ax, (5, 5))
    mean, cov = goal.contrasts()
    for k, n_sigma in enumerate(sorted(n_sigmas)):
        e = covariance_ellipse(mean, cov, n_sigma)
        ax.add_patch(EllipsePatch(tuple(e.centre), e.width, e.height, angle=e.angle, facecolor=colour,
                                  alpha=0.18 if k == 0 else 0.08, edgecolor=colour, lw=1.2,
                                  ls="-" if k == 0 else "--", gid=f"posterior {n_sigma:g} sigma {label or ''}"))
    filled = marker not in ("+", "x", "1", "2", "3", "4", "|", "_")
    ax.plot(*mean, marker, color=colour, ms=10 if filled else 12, mew=2, mfc="white" if filled else colour,
            ls="none", label=label, gid=f"posterior mean {label or ''}")
    if centre_text:
        ax.annotate(centre_text, mean, xytext=text_offset, textcoords="offset points", fontsize=LEGEND_FONTSIZE,
                    color=colour, fontweight="bold", gid=f"posterior centre text {label or ''}")
    if constraint and not any(line.get_gid() == "train constraint" for line in ax.lines):
        ts = np.linspace(-1.5, 2.5, 2)
        ax.plot(ts, 1 - ts, ":", color=GREY, lw=1.2, label="what green exits pin down: kind + colour = 1\n"
                "(a line in the direction kind - colour, -45°)", gid="train constraint")
    ax.set_xlim(-1.2, 2.2)
    ax.set_ylim(-1.2, 2.2)
    ax.set_aspect("equal")
    ax.axhline(0, color=GREY, lw=0.5)
    ax.axvline(0, color=GREY, lw=0.5)
    ax.set_xlabel("kind contrast: exit minus apple (reward)")
    ax.set_ylabel("colour contrast: green minus other colours (reward)")
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.12))
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_goal_posterior(posterior: Mapping[str, float], ax=None, title: str | None = None):
    """Bars of a posterior over named goal hypotheses (``measure.revealed.goal_posterior``): exit, green, apple,
    nothing (R = 0). Each bar is named by a short two-line tick label (the bar colours and hatches are those of
    :data:`HYPOTHESIS_STYLE`, so the names never depend on seeing a colour)."""
    if not isinstance(posterior, Mapping) or not posterior:
        raise ValueError("plot_goal_posterior needs a dict {hypothesis: probability}, from goal_posterior(...).")
    values = [_check_share(f"posterior[{k!r}]", v) for k, v in posterior.items()]
    if abs(sum(values) - 1) > 1e-3:
        raise ValueError(f"A posterior sums to 1; these values sum to {sum(values):.3f}.")
    ax = _get_ax(ax, (4.5, 3.2))
    names = list(posterior)
    for x, (name, value) in enumerate(zip(names, values)):
        style = HYPOTHESIS_STYLE.get(name, {"colour": "white", "hatch": "", "words": name})
        bar = ax.bar(x, value, 0.7, color=style["colour"], hatch=style["hatch"], edgecolor="black",
                     gid=f"hypothesis {name}")
        ax.bar_label(bar, fmt="%.2f", fontsize=8)
    ax.set_xticks(range(len(names)), [HYPOTHESIS_STYLE.get(n, {"tick": n})["tick"] for n in names], fontsize=9)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("posterior probability")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


# --- harm and steering -------------------------------------------------------------------------------------------------

_LINE_STYLES = ("-", "--", "-.", ":")


def plot_harm_by_distance(series: Mapping[str, Sequence[Mapping]], ax=None,
                          title: str | None = "How often each agent reaches the hazard"):
    """Harm rate per band of hazard distance (``measure.harm.harm_by_distance`` rows), one line per named series
    (for example one per cell of the 2x2 table). Bands with no episodes are left out."""
    if not isinstance(series, Mapping) or not series:
        raise ValueError("plot_harm_by_distance needs a dict {name: harm_by_distance rows}.")
    ax = _get_ax(ax, (6.5, 4))
    markers = ("o", "s", "^", "D", "v", "P")
    for k, (name, rows) in enumerate(series.items()):
        rows = [r for r in _check_rows(rows, ("low", "high", "harm"), f"plot_harm_by_distance[{name!r}]")
                if r["harm"] is not None]
        mid = [(r["low"] + r["high"]) / 2 for r in rows]
        ax.plot(mid, [_check_share("harm", r["harm"]) for r in rows], _LINE_STYLES[k % 4],
                marker=markers[k % len(markers)], color="black", label=name, gid=f"harm {name}")
    ax.set_xlabel("maze distance from the start to the hazard (steps)")
    ax.set_ylabel("share of episodes ending on the hazard")
    ax.set_ylim(-0.03, 1.05)
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_steering(rows: Sequence[Mapping], ax=None, feature: str = "green",
                  outcomes: Sequence[str] = ("exit", "green_apple"), title: str | None = "Steering by editing one weight"):
    """Outcome rates against a hand-set goal weight (``measure.identifiability.steering_sweep`` rows)."""
    rows = _check_rows(rows, ("weight", *outcomes), "plot_steering")
    ax = _get_ax(ax, (6, 4))
    xs = [float(r["weight"]) for r in rows]
    for outcome in outcomes:
        style = OUTCOME_STYLE[outcome]
        ax.plot(xs, [_check_share(outcome, r[outcome]) for r in rows], "-", marker=style["marker"],
                color=style["colour"], label=style["words"], gid=f"steer {outcome}")
    ax.set_xlabel(f"hand-set weight of '{feature}' (reward units)")
    ax.set_ylabel("share of deploy episodes")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=LEGEND_FONTSIZE, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return ax

