"""Rates with 95% confidence intervals across training seeds."""

from __future__ import annotations

import math

import numpy as np

# Two-sided 95% Student-t critical values by degrees of freedom (no scipy needed).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t_critical(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (conservative between table entries)."""
    if df < 1:
        return float("nan")
    for k in sorted(_T95):
        if df <= k:
            return _T95[k] if df == k else _T95[max(d for d in _T95 if d <= df)]
    return 1.96


def mean_ci(values, lower: float = 0.0, upper: float = 1.0) -> tuple[float, float, float]:
    """Mean and 95% t-interval of per-seed values, clipped to ``[lower, upper]``: ``(mean, lo, hi)``.

    The interval is over training seeds: a range that, by the usual t-interval argument, covers the *mean* rate
    over all possible training seeds in about 95% of experiments like this one. It is not the range a single new
    training run would fall in (that would be a wider prediction interval).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("mean_ci needs at least one value.")
    mean = float(x.mean())
    if x.size == 1:
        return mean, mean, mean
    half = t_critical(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, max(lower, mean - half), min(upper, mean + half)
