"""Train and measure every example of the gallery (``gmg-teach gallery``).

For each example: the misgeneralizing agent and its control, each over several training seeds, measured on the
misgeneralizing agent's training distribution (``train``) and on the shift (``shift``): the share of episodes that
reach the **intended** goal and the **proxy** goal, with 95% confidence intervals over training seeds
(:func:`~gmg_teach.measure.stats.mean_ci`), and each agent's cell of the 2x2 table on the shift by the course's
one definition (:func:`~gmg_teach.measure.generalization.classify`).
"""

from __future__ import annotations

import os

import numpy as np

from ..measure.generalization import classify
from ..measure.stats import mean_ci
from . import cheese, leader, monster

EXAMPLES = {
    cheese.NAME: {
        "module": cheese, "title": "Cheese in the corner", "intended": "reach the cheese",
        "proxy": "reach the top-right corner", "reward_advantage": False,
        "built_in": "features 'cheese' and one per tile (where it is); places 3x as salient as cheese",
        "learned": "the map (all-goals Q-learning) and every goal weight (ridge regression)",
        "paper": "Langosco et al. / jaxgmg 13x13: off-distribution return 0.13 at k=1 vs 0.88 optimal, 0.63-0.69 "
                 "from k>=7; Turner et al.: P(cheese) 69.1% at decision squares (Procgen, 3.5M-param IMPALA net)",
    },
    leader.NAME: {
        "module": leader, "title": "Follow the leader", "intended": "touch the blue pillar (+1)",
        "proxy": "touch the pillar the leader waits at", "reward_advantage": False,
        "built_in": "features 'blue', 'orange', 'yellow', 'leader'; the leader 5x as salient as a colour",
        "learned": "the map and every goal weight",
        "paper": "Shah et al.: a deep RL agent trained beside an expert bot follows an anti-expert at test time "
                 "into negative reward (3D world, goal spheres visited in order)",
    },
    monster.NAME: {
        "module": monster, "title": "Monster gridworld", "intended": "fetch what pays (shield with monsters "
        "about, apple once they are gone)", "proxy": "fetch shields", "reward_advantage": True,
        "built_in": "features 'bias', 'monsters', 'shield', 'monsters_and_shield'; two choices (apple, shield)",
        "learned": "the map and the values of each choice (semi-Markov linear Q-learning)",
        "paper": "Shah et al.: trained on 25-step episodes the agent keeps collecting shields in 200-step episodes "
                 "after the monsters are gone; trained on long episodes it collects apples",
    },
}


def fast_budget() -> bool:
    """The small budget of tests and notebooks under ``GMG_TEACH_FAST=1``."""
    return os.environ.get("GMG_TEACH_FAST") == "1"


def _config(module, fast: bool):
    config_class = {cheese: cheese.CheeseConfig, leader: leader.LeaderConfig, monster: monster.MonsterConfig}[module]
    return config_class.fast() if fast else config_class()


def summarize(rows: list[dict], intended: str) -> dict:
    """Rates with CIs over training seeds, and the 2x2 cell on the shift (from the seeds' pooled measurements)."""
    out = {}
    for split in ("train", "shift"):
        out[split] = {k: mean_ci([r[split][k] for r in rows]) for k in ("intended", "proxy")}
    shift = [r["shift"] for r in rows]
    shares = {o: float(np.mean([s["shares"][o] for s in shift])) for o in shift[0]["shares"]}
    success = float(np.mean([s["success_at_revealed"] for s in shift]))
    effs = [s["efficiency_median"] for s in shift if s["efficiency_median"] is not None]
    efficiency = float(np.median(effs)) if effs else None
    out["shift_cell"] = {"revealed_goal_share": shares, "success_at_revealed_goal": success,
                         "path_efficiency_median": efficiency,
                         "cell": classify(success, efficiency, shares, intended=intended)}
    out["seconds"] = mean_ci([r["seconds"] for r in rows], upper=np.inf)
    return out


def run_gallery(seed: int = 0, fast: bool | None = None, names=None, progress=None) -> dict:
    """Every example (or those ``names``), trained and measured from master seed ``seed``. Returns plain data
    (JSON-able) plus, under ``"_objects"``, the trained agents and worlds for lessons to plot."""
    fast = fast_budget() if fast is None else fast
    report, objects = {"seed": seed, "fast": fast, "examples": {}}, {}
    for name, spec in EXAMPLES.items():
        if names is not None and name not in names:
            continue
        if progress:
            progress(f"training {spec['title']}")
        result = spec["module"].run(seed, _config(spec["module"], fast))
        objects[name] = {k: result.pop(k) for k in ("agents", "world") if k in result}
        entry = {k: spec[k] for k in ("title", "intended", "proxy", "reward_advantage", "built_in", "learned",
                                      "paper")}
        intended = entry["intended_outcome"] = result["intended"]
        entry["proxy_outcome"] = result["proxy"]
        for role in ("misgeneralizing", "control"):
            rows = result[role]["per_seed"]
            entry[role] = {"trained_on": result[role]["trained_on"], **summarize(rows, intended),
                           "per_seed": [_plain(r) for r in rows]}
        if "sweep" in result:
            entry["sweep"] = result["sweep"]
        report["examples"][name] = entry
    report["_objects"] = objects
    return report


def _plain(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("agents", "world")}


def thresholds_hold(report: dict) -> dict[str, bool]:
    """The issue's bar, per example: misgeneralizing agent proxy on the shift >= 0.8 and intended on train >= 0.9;
    control intended on the shift >= 0.8 (means over training seeds)."""
    out = {}
    for name, e in report["examples"].items():
        out[name] = (e["misgeneralizing"]["shift"]["proxy"][0] >= 0.8
                     and e["misgeneralizing"]["train"]["intended"][0] >= 0.9
                     and e["control"]["shift"]["intended"][0] >= 0.8)
    return out


def format_report(report: dict) -> str:
    """A plain-text table of the report."""
    fmt = lambda m: f"{m[0]:.2f} [{m[1]:.2f}, {m[2]:.2f}]"  # noqa: E731
    lines = [f"Gallery, master seed {report['seed']}{' (fast budget)' if report['fast'] else ''}. "
             "Rates: mean [95% CI over training seeds].", ""]
    for name, e in report["examples"].items():
        lines.append(f"== {e['title']}{'  (the proxy has a reward advantage in training)' if e['reward_advantage'] else ''}")
        lines.append(f"   intended: {e['intended']};  proxy: {e['proxy']}")
        lines.append(f"   built in: {e['built_in']};  learned: {e['learned']}")
        lines.append(f"   paper: {e['paper']}")
        lines.append(f"   {'agent':<40} {'train intended':>20} {'shift intended':>20} {'shift proxy':>20}  cell on shift")
        for role in ("misgeneralizing", "control"):
            r = e[role]
            lines.append(f"   {role + ' (' + r['trained_on'] + ')':<40} {fmt(r['train']['intended']):>20} "
                         f"{fmt(r['shift']['intended']):>20} {fmt(r['shift']['proxy']):>20}  {r['shift_cell']['cell']}")
        if "sweep" in e:
            lines.append("   k sweep (shift, cheese reached): " + ", ".join(
                f"k={row['k']}: {row['shift_cheese'][0]:.2f}" for row in e["sweep"]))
        lines.append("")
    holds = thresholds_hold(report)
    lines.append("Thresholds hold: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in holds.items()))
    return "\n".join(lines)
