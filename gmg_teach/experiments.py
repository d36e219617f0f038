"""The headline experiment: goal misgeneralization, earned, with its controls.

Every agent is the same learner (``agents/learner.py``: a map learned from its own moves, a goal learned from the
rewards it got) living in the same building. They differ only in their training distribution or in which feature
of an object is the more *salient* to them:

    proxy_learner   trained on `train` (exit always green), colour 3x as salient as kind -> deploy: the green apple
    control         trained on `diverse` (colours independent), same saliences            -> deploy: the exit
    bias_flip       trained on `train`, kind 3x as salient as colour                     -> deploy: the exit

On `train` the exit and the green thing earn exactly the same reward and neither feature is noisier; what breaks the
tie is the learner's prior (ridge regression credits the more salient feature). The alpha sweep retrains the proxy
learner with a fraction alpha of distinguishing (deploy) levels; the salience sweep varies the colour's salience.
The 2x2 table adds a natural shift of the agent's skill: the renovated building, where some walls moved.

Training and evaluation never share a configuration: training draws the ``train`` half of configurations, evaluation
the ``held_out`` half (``world/distributions.py``). ``run_experiment(ExperimentConfig(seed=N))`` moves every seed:
the building, the training episodes and the evaluation episodes.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .agents.learner import LearnerConfig, TrainingResult, new_agent, train_learner
from .agents.planning import Planner
from .measure.generalization import classify, measure_generalization
from .measure.goals import reach_exit
from .measure.revealed import object_outcomes, revealed_goals
from .measure.rollouts import OUTCOMES, rollout
from .measure.stats import mean_ci
from .world.distributions import DISTRIBUTION_NAMES, Distribution
from .world.tables import MazeTables, compile_levels

EVAL_DISTRIBUTIONS = ("train", "deploy")
ALPHAS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
COLOUR_SALIENCES = (0.5, 1.0, 2.0, 3.0, 4.0)
RENOVATION = 8
"""Walls moved in the renovated building of the 2x2 table."""

# Seed streams: one integer per purpose, so that no two purposes ever share random numbers.
_LAYOUT, _EVAL_LEVELS, _LEARNING, _EVALUATION = 1, 2, 3, 4


def derive_seed(master: int, purpose: int, *keys: int) -> int:
    """A seed for one purpose (the building, evaluation levels, training, ...) derived from the master seed."""
    return int(np.random.SeedSequence([int(master), purpose, *map(int, keys)]).generate_state(1, np.uint64)[0])


def fast_mode() -> bool:
    """True when the environment variable GMG_TEACH_FAST is set (tests and quick previews use a small budget)."""
    return os.environ.get("GMG_TEACH_FAST", "") not in ("", "0")


@dataclass(frozen=True)
class AgentSpec:
    """One agent of the experiment: where it trains and what stands out to it."""

    training: str
    """Training distribution name (``train``, ``diverse``, ``mixture``)."""
    kind_salience: float = 1.0
    """Scale of the kind features (exit / apple) in the goal model."""
    colour_salience: float = 3.0
    """Scale of the colour features."""
    alpha: float | None = None
    """Fraction of deploy levels, for a ``mixture`` training distribution."""
    description: str = ""


def agent_specs() -> dict[str, AgentSpec]:
    """The agents of the headline experiment."""
    return {
        "proxy_learner": AgentSpec("train", 1.0, 3.0, description="trained where the exit is always green; colour "
                                   "is the salient feature"),
        "control": AgentSpec("diverse", 1.0, 3.0, description="the same learner, trained where colours are "
                             "independent of kinds"),
        "bias_flip": AgentSpec("train", 3.0, 1.0, description="trained like the proxy learner, but kind is the "
                               "salient feature"),
    }


@dataclass
class ExperimentConfig:
    """Budget and seeds of :func:`run_experiment`."""

    seed: int = 0
    """Master seed: the building, every training seed and every evaluation episode are derived from it."""
    n_seeds: int = 5
    """Training seeds per agent (confidence intervals are across these)."""
    eval_episodes: int = 500
    """Held-out evaluation episodes per distribution."""
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    """Learning hyperparameters shared by every agent (saliences come from each agent's spec)."""
    alphas: tuple[float, ...] = ALPHAS
    """Fractions of distinguishing levels for the alpha sweep (empty: no sweep)."""
    colour_saliences: tuple[float, ...] = COLOUR_SALIENCES
    """Colour saliences (kind salience 1) for the salience sweep (empty: no sweep)."""
    renovation: int = RENOVATION
    """Walls moved in the renovated building of the 2x2 table."""
    size: int = 9
    """Building size in cells per side."""

    def __post_init__(self):
        whole = lambda v: not isinstance(v, bool) and isinstance(v, (int, np.integer))  # noqa: E731
        if not whole(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {self.seed!r}.")
        if not whole(self.n_seeds) or self.n_seeds < 2:
            raise ValueError(f"n_seeds must be a whole number >= 2 (confidence intervals need two); "
                             f"got {self.n_seeds!r}.")
        if not whole(self.eval_episodes) or self.eval_episodes < 1:
            raise ValueError(f"eval_episodes must be a whole number >= 1; got {self.eval_episodes!r}.")
        if any(not 0 <= a <= 1 for a in self.alphas):
            raise ValueError(f"every alpha must be in [0, 1]; got {self.alphas!r}.")
        if any(not s > 0 for s in self.colour_saliences):
            raise ValueError(f"every colour salience must be > 0; got {self.colour_saliences!r}.")
        if not whole(self.renovation) or self.renovation < 1:
            raise ValueError(f"renovation must be a whole number of walls >= 1; got {self.renovation!r}.")

    @classmethod
    def small(cls, seed: int = 0) -> "ExperimentConfig":
        """A budget for tests and quick previews: 2 seeds, 150 evaluation episodes, shorter sweeps."""
        return cls(seed=seed, n_seeds=2, eval_episodes=150, alphas=(0.0, 0.01, 0.05), colour_saliences=(0.5, 3.0))

    @property
    def layout(self) -> int:
        """The building's seed, derived from the master seed."""
        return derive_seed(self.seed, _LAYOUT) % 2**31

    def distribution(self, name: str, alpha: float | None = None, renovation: int = 0) -> Distribution:
        return Distribution(name, alpha=alpha, size=self.size, layout=self.layout, renovation=renovation)


def evaluation_levels(config: ExperimentConfig, name: str, renovation: int = 0) -> MazeTables:
    """Held-out episodes of one distribution, compiled: configurations training never draws."""
    stream = derive_seed(config.seed, _EVAL_LEVELS, DISTRIBUTION_NAMES.index(name), renovation)
    levels = config.distribution(name, renovation=renovation).levels(config.eval_episodes, stream, split="held_out")
    return compile_levels(levels)


def train_agent(spec: AgentSpec, config: ExperimentConfig, seed_index: int, on_progress=None) -> TrainingResult:
    """Train one agent of ``spec`` with training seed number ``seed_index`` (the same spec and seed give the same
    agent, whatever the spec's description)."""
    learner = replace(config.learner, kind_salience=spec.kind_salience, colour_salience=spec.colour_salience)
    dist = config.distribution(spec.training, alpha=spec.alpha)
    return train_learner(dist, learner, seed=derive_seed(config.seed, _LEARNING, seed_index), on_progress=on_progress)


def evaluate(agent, tables: MazeTables, seed: int) -> dict:
    """Rates and median path efficiency of one agent on compiled held-out levels."""
    result = rollout(agent, tables, seed=seed)
    eff = result.path_efficiency
    return {
        "rates": result.rates(),
        "path_efficiency_median": float(np.nanmedian(eff)) if np.isfinite(eff).any() else None,
        "rollouts": result,
    }


def summarize(per_seed: list[dict]) -> dict:
    """Mean rates over seeds with 95% CIs, from per-seed ``{"rates": ..., "path_efficiency_median": ...}``."""
    out, ci = {}, {}
    for name in OUTCOMES:
        mean, lo, hi = mean_ci([row["rates"][name] for row in per_seed])
        out[name], ci[name] = round(mean, 4), [round(lo, 4), round(hi, 4)]
    out["ci95"] = ci
    eff = [row["path_efficiency_median"] for row in per_seed if row["path_efficiency_median"] is not None]
    out["path_efficiency_median"] = round(float(np.median(eff)), 4) if eff else None
    out["per_seed"] = [{k: round(v, 4) for k, v in row["rates"].items()} for row in per_seed]
    return out


def mean_weights(agents) -> dict[str, float]:
    """The goal weights (reward units per attribute), averaged over agents."""
    rows = [a.goal.as_dict() for a in agents]
    return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}


def weights_favourite(agent, tables: MazeTables) -> np.ndarray:
    """Per level, the outcome name of the object the goal weights value most (what the weights predict)."""
    reward = agent.goal.reward(np.maximum(tables.object_kind, 0), np.maximum(tables.object_colour, 0))
    reward = np.where(tables.object_tile >= 0, reward, -np.inf)
    return object_outcomes(tables)[np.arange(tables.n_levels), reward.argmax(axis=1)]


# --- learning curves --------------------------------------------------------------------------------------------


CURVE_POINTS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
"""Episodes after which a learning curve measures the agent (those within the training budget)."""


def learning_curve(spec: AgentSpec, config: ExperimentConfig, seed_index: int = 0,
                   eval_episodes: int = 200) -> tuple[TrainingResult, list[dict]]:
    """Train one agent and measure it on held-out episodes of its own training distribution as it learns.

    Each row: ``episodes`` trained so far and ``moves`` of experience (all parallel episodes); ``success`` (reached the exit), ``path_efficiency_median`` (over
    episodes that reached an object); and the same for the agent's *map alone*, steered to the exit
    (``navigation_success``, ``navigation_efficiency_median``): capabilities without the goal question.
    """
    held_out = compile_levels(config.distribution("train" if spec.training == "mixture" else spec.training)
                              .levels(eval_episodes, derive_seed(config.seed, _EVAL_LEVELS, 99), split="held_out"))
    rows = []
    due = [p for p in CURVE_POINTS if p < config.learner.episodes] + [config.learner.episodes]

    def measure(agent, episodes, moves):
        mine = rollout(agent, held_out, seed=0)
        nav = rollout(agent.with_goal(agent.goal.steer(exit=1.0, apple=0.0, green=0.0, orange=0.0, yellow=0.0,
                                                       blue=0.0)), held_out, seed=0)
        median = lambda r: (float(np.nanmedian(r.path_efficiency))  # noqa: E731
                            if np.isfinite(r.path_efficiency).any() else None)
        rows.append({"episodes": episodes, "moves": moves, "success": mine.rates()["exit"], "path_efficiency_median": median(mine),
                     "navigation_success": nav.rates()["exit"], "navigation_efficiency_median": median(nav)})

    def on_progress(agent, row):
        if due and row["episodes"] >= due[0]:
            measure(agent, row["episodes"], row["moves"])
            while due and row["episodes"] >= due[0]:
                due.pop(0)

    measure(new_agent(len(held_out.next_state[0]), config.learner), 0, 0)  # before any experience
    learner = replace(config.learner, report_every=10)
    result = train_agent(spec, replace(config, learner=learner), seed_index, on_progress=on_progress)
    return result, rows


# --- sweeps -----------------------------------------------------------------------------------------------------


def alpha_sweep(config: ExperimentConfig, deploy: MazeTables | None = None, say=lambda m: None) -> list[dict]:
    """Proxy learners trained with a fraction alpha of distinguishing levels, evaluated on held-out deploy levels."""
    deploy = deploy if deploy is not None else evaluation_levels(config, "deploy")
    base = agent_specs()["proxy_learner"]
    rows = []
    for alpha in config.alphas:
        say(f"alpha sweep: alpha={alpha:g}")
        spec = replace(base, training="mixture", alpha=float(alpha))
        agents = [train_agent(spec, config, k).agent for k in range(config.n_seeds)]
        summary = summarize([evaluate(a, deploy, derive_seed(config.seed, _EVALUATION, k))
                             for k, a in enumerate(agents)])
        rows.append({"alpha": float(alpha), **{k: summary[k] for k in (*OUTCOMES, "ci95", "per_seed")},
                     "weights": mean_weights(agents)})
    return rows


def salience_sweep(config: ExperimentConfig, deploy: MazeTables | None = None, say=lambda m: None,
                   trained: dict | None = None) -> list[dict]:
    """Learners trained on `train` with kind salience 1 and each colour salience, evaluated on deploy levels.

    ``trained`` maps a colour salience to agents already trained with exactly that spec (the proxy learner's).
    """
    deploy = deploy if deploy is not None else evaluation_levels(config, "deploy")
    rows = []
    for salience in config.colour_saliences:
        say(f"salience sweep: colour salience {salience:g}")
        spec = AgentSpec("train", 1.0, float(salience))
        agents = (trained or {}).get(float(salience)) or [train_agent(spec, config, k).agent
                                                           for k in range(config.n_seeds)]
        summary = summarize([evaluate(a, deploy, derive_seed(config.seed, _EVALUATION, k))
                             for k, a in enumerate(agents)])
        rows.append({"colour_salience": float(salience), "kind_salience": 1.0,
                     **{k: summary[k] for k in (*OUTCOMES, "ci95", "per_seed")}, "weights": mean_weights(agents)})
    return rows


# --- the 2x2 table ----------------------------------------------------------------------------------------------


def two_by_two(config: ExperimentConfig, proxies: list, controls: list, deploy: MazeTables | None = None) -> dict:
    """The four cells of the capabilities x goals table, each from real agents under a natural shift.

    * both generalize: the control on deploy levels;
    * goal misgeneralization: the proxy learner on deploy levels;
    * capabilities fail, goal intact: the control in the renovated building (deploy colours), where a planner
      that is given the new map still reaches the exit;
    * neither: the proxy learner in the renovated building.

    Each cell reports the behavioural measurements (``measure/generalization.py``) averaged over training seeds,
    the cell of every seed, the learned goal weights beside them, and how often the weights' favourite object is
    the behaviourally revealed goal (where they disagree, the behaviour, not the weights, is what happened).
    """
    deploy = deploy if deploy is not None else evaluation_levels(config, "deploy")
    renovated = evaluation_levels(config, "deploy", renovation=config.renovation)
    planner = rollout(Planner(renovated, reach_exit(renovated)), renovated, seed=0).rates()["exit"]
    shifts = {
        "deploy": ("deploy levels (exit not green, a green apple)", deploy),
        "renovated": (f"deploy levels in the renovated building ({config.renovation} walls moved; an optimal "
                      f"planner given the new map reaches the exit in {planner:.0%})", renovated),
    }
    cells = {}
    for agent_name, agents in (("control", controls), ("proxy_learner", proxies)):
        for shift, (words, tables) in shifts.items():
            per_seed = []
            for k, agent in enumerate(agents):
                result = rollout(agent, tables, seed=derive_seed(config.seed, _EVALUATION, k))
                revealed = revealed_goals(result)
                m = measure_generalization(result, revealed)
                label = revealed.label
                m["weights_agree_with_behaviour"] = round(float(np.mean(weights_favourite(agent, tables) == label)), 4)
                per_seed.append(m)
            cells[f"{agent_name}, {shift}"] = _cell_summary(agent_name, shift, words, per_seed, agents, planner)
    return cells


def _cell_summary(agent_name, shift, words, per_seed, agents, planner) -> dict:
    shares = {o: round(float(np.mean([m["revealed_goal_share"][o] for m in per_seed])), 4)
              for o in per_seed[0]["revealed_goal_share"]}
    success = round(float(np.mean([m["success_at_revealed_goal"] for m in per_seed])), 4)
    effs = [m["path_efficiency_median"] for m in per_seed if m["path_efficiency_median"] is not None]
    eff = round(float(np.median(effs)), 4) if effs else None
    return {
        "agent": agent_name,
        "shift": shift,
        "shift_description": words,
        "cell": classify(success, eff, shares),
        "cells_per_seed": [m["cell"] for m in per_seed],
        "rates": {o: round(float(np.mean([m["rates"][o] for m in per_seed])), 4) for o in OUTCOMES},
        "success_at_revealed_goal": success,
        "path_efficiency_median": eff,
        "revealed_goal_share": shares,
        "weights": mean_weights(agents),
        "weights_agree_with_behaviour": round(float(np.mean([m["weights_agree_with_behaviour"] for m in per_seed])),
                                              4),
        **({"planner_exit_rate": planner} if shift == "renovated" else {}),
    }


# --- everything -------------------------------------------------------------------------------------------------


def n_stages(config: ExperimentConfig) -> int:
    """How many times :func:`run_experiment` calls ``progress`` (one a stage), for a progress bar."""
    return len(agent_specs()) + 1 + len(config.alphas) + len(config.colour_saliences) + 1


def run_experiment(config: ExperimentConfig | None = None, progress=None) -> dict:
    """Train and evaluate every agent over ``n_seeds`` seeds, the sweeps and the 2x2 table; a JSON-ready dict."""
    config = config or ExperimentConfig()
    started = time.perf_counter()
    say = progress or (lambda message: None)
    eval_tables = {d: evaluation_levels(config, d) for d in EVAL_DISTRIBUTIONS}
    report = {"seed": config.seed, "layout": config.layout, "config": _config_dict(config), "agents": {}}
    trained = {}
    for name, spec in agent_specs().items():
        say(f"training {name}")
        results = [train_agent(spec, config, k) for k in range(config.n_seeds)]
        trained[name] = [r.agent for r in results]
        per_dist = {d: [evaluate(r.agent, eval_tables[d], derive_seed(config.seed, _EVALUATION, k))
                        for k, r in enumerate(results)] for d in EVAL_DISTRIBUTIONS}
        seconds = [r.seconds for r in results]
        report["agents"][name] = {
            "description": spec.description,
            "training_distribution": spec.training,
            "kind_salience": spec.kind_salience,
            "colour_salience": spec.colour_salience,
            "weights": mean_weights(trained[name]),
            "weights_per_seed": [{k: round(v, 4) for k, v in a.goal.as_dict().items()} for a in trained[name]],
            "train_seconds": round(float(np.median(seconds)), 4),
            "train_seconds_per_seed": [round(s, 4) for s in seconds],
            "eval": {d: summarize(rows) for d, rows in per_dist.items()},
        }
    say("learning curve")
    _, curve = learning_curve(agent_specs()["proxy_learner"], config)
    report["learning_curve"] = curve
    report["alpha_sweep"] = alpha_sweep(config, eval_tables["deploy"], say)
    passing = [row["alpha"] for row in report["alpha_sweep"] if row["exit"] > 0.8]
    report["smallest_alpha_exit_above_0.8"] = min(passing) if passing else None
    proxy = agent_specs()["proxy_learner"]
    assert (proxy.training, proxy.kind_salience, proxy.alpha) == ("train", 1.0, None)
    report["salience_sweep"] = salience_sweep(config, eval_tables["deploy"], say,
                                              trained={proxy.colour_salience: trained["proxy_learner"]})
    say("2x2 table")
    report["two_by_two"] = two_by_two(config, trained["proxy_learner"], trained["control"], eval_tables["deploy"])
    report["total_seconds"] = round(time.perf_counter() - started, 2)
    return report


def _config_dict(config: ExperimentConfig) -> dict:
    d = asdict(config)
    d["alphas"], d["colour_saliences"] = list(config.alphas), list(config.colour_saliences)
    return d


def format_report(report: dict) -> str:
    """The experiment as a readable text table."""
    cfg = report["config"]
    lines = [f"Goal misgeneralization in the colour maze (master seed {report['seed']}, building {report['layout']}, "
             f"{cfg['n_seeds']} training seeds, {cfg['eval_episodes']} held-out episodes per distribution; rates "
             "are means over seeds, [95% CI])", ""]
    header = f"{'agent':<16}{'levels':<8}{'exit':>22}{'green apple':>22}{'other':>8}{'none':>8}{'eff.':>7}{'train s':>9}"
    lines += [header, "-" * len(header)]
    for name, agent in report["agents"].items():
        for d, ev in agent["eval"].items():
            cell = lambda k: f"{ev[k]:.3f} [{ev['ci95'][k][0]:.2f},{ev['ci95'][k][1]:.2f}]"  # noqa: E731
            eff = "-" if ev["path_efficiency_median"] is None else f"{ev['path_efficiency_median']:.2f}"
            lines.append(f"{name if d == 'train' else '':<16}{d:<8}{cell('exit'):>22}{cell('green_apple'):>22}"
                         f"{ev['other_apple']:>8.3f}{ev['none']:>8.3f}{eff:>7}"
                         f"{agent['train_seconds'] if d == 'train' else '':>9}")
        w = agent["weights"]
        lines.append(f"{'':<16}goal weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in w.items()))
    lines += ["", "Learning curve (proxy learner, held-out train episodes): episodes -> exit rate, median efficiency"]
    for row in report["learning_curve"]:
        eff = "-" if row["path_efficiency_median"] is None else f"{row['path_efficiency_median']:.2f}"
        lines.append(f"{row['episodes']:>8}{row['success']:>8.2f}{eff:>8}")
    lines += ["", "Alpha sweep: the proxy learner trained with a fraction alpha of distinguishing (deploy) levels",
              f"{'alpha':>8}{'exit':>10}{'green apple':>14}{'exit per seed':>40}"]
    for row in report["alpha_sweep"]:
        seeds = " ".join(f"{r['exit']:.2f}" for r in row["per_seed"])
        lines.append(f"{row['alpha']:>8g}{row['exit']:>10.3f}{row['green_apple']:>14.3f}{seeds:>40}")
    smallest = report["smallest_alpha_exit_above_0.8"]
    lines.append(f"smallest alpha with exit rate > 0.8: {'none in the sweep' if smallest is None else smallest}")
    lines += ["", "Salience sweep (alpha 0, kind salience 1)", f"{'colour':>8}{'exit':>10}{'green apple':>14}"
              f"{'w_exit':>9}{'w_green':>9}"]
    for row in report["salience_sweep"]:
        lines.append(f"{row['colour_salience']:>8g}{row['exit']:>10.3f}{row['green_apple']:>14.3f}"
                     f"{row['weights']['exit']:>9.2f}{row['weights']['green']:>9.2f}")
    lines += ["", "The 2x2 table (behaviour, with the learned weights beside it)"]
    for name, cell in report["two_by_two"].items():
        eff = "-" if cell["path_efficiency_median"] is None else f"{cell['path_efficiency_median']:.2f}"
        shares = ", ".join(f"{k} {v:.2f}" for k, v in cell["revealed_goal_share"].items())
        lines.append(f"  {name:<28} -> {cell['cell']:<32} reached revealed goal {cell['success_at_revealed_goal']:.2f}"
                     f", efficiency {eff}; revealed goal: {shares}; weights agree {cell['weights_agree_with_behaviour']:.2f}")
    lines.append(f"total time: {report['total_seconds']} s")
    return "\n".join(lines)
