"""A linear (and so also tabular) Q-learner over binary features: the gallery's generic value learner.

``Q(x, a) = sum_f salience[f] * x[f] * w[f, a]`` for a batch of binary feature vectors ``x``. With one feature per
state this is plain tabular Q-learning; with a few shared features it generalizes, and that is where a proxy can hide:
two features that are always on together in training get identical updates (semi-gradient TD from zero weights), so
they split the credit in proportion to salience squared and the learned values cannot say which one mattered.

The update is the semi-gradient one, ``w[f, a] += lr * salience[f] * x[f] * (target - Q(x, a))``, with the target
computed by the caller (one-step, or semi-Markov with ``discount ** steps`` for choices that last several steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(eq=False)
class LinearQ:
    """Linear Q-values over named binary features and named choices.

    Attributes:
        features: the features' names (columns of ``x``).
        choices: the actions' names.
        salience: per feature, its scale (1 unless given).
        learning_rate: step size of the semi-gradient update.
        w: ``(features, choices)`` weights, zeros at first.
    """

    features: tuple[str, ...]
    choices: tuple[str, ...]
    salience: np.ndarray | None = None
    learning_rate: float = 0.05
    w: np.ndarray = field(default=None)

    def __post_init__(self):
        self.features, self.choices = tuple(self.features), tuple(self.choices)
        n = len(self.features)
        self.salience = np.ones(n) if self.salience is None else np.asarray(self.salience, float)
        if self.salience.shape != (n,) or not (self.salience > 0).all():
            raise ValueError(f"salience needs one number > 0 per feature ({n}); got {self.salience!r}.")
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1]; got {self.learning_rate!r}.")
        self.w = np.zeros((n, len(self.choices))) if self.w is None else np.asarray(self.w, float)

    def values(self, x) -> np.ndarray:
        """``(batch, choices)`` Q-values of binary feature rows ``x (batch, features)``."""
        return (np.asarray(x, float) * self.salience) @ self.w

    def act(self, x, rng: np.random.Generator, epsilon: float = 0.0, allowed=None) -> np.ndarray:
        """Epsilon-greedy choices among ``allowed (batch, choices)`` (all if None); ties broken through ``rng``."""
        q = self.values(x)
        allowed = np.ones(q.shape, bool) if allowed is None else np.asarray(allowed, bool)
        q = np.where(allowed, q, -np.inf)
        best = allowed & (q >= q.max(axis=1, keepdims=True) - 1e-12)
        greedy = (rng.random(q.shape) * best).argmax(axis=1)
        if epsilon <= 0:
            return greedy
        random = (rng.random(q.shape) * allowed).argmax(axis=1)
        return np.where(rng.random(len(q)) < epsilon, random, greedy)

    def update(self, x, choice, target) -> None:
        """One semi-gradient step for each row of a batch: move ``Q(x, choice)`` towards ``target``."""
        xs = np.asarray(x, float) * self.salience
        choice = np.asarray(choice, np.int64)
        error = np.asarray(target, float) - (xs * self.w[:, choice].T).sum(axis=1)
        np.add.at(self.w.T, choice, self.learning_rate * error[:, None] * xs)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{choice: {feature: weight times salience}}``: what each feature adds to each choice's value."""
        scaled = self.w * self.salience[:, None]
        return {c: {f: float(scaled[i, j]) for i, f in enumerate(self.features)} for j, c in enumerate(self.choices)}
