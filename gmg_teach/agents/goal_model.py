"""The goal, learned: a linear reward model over what the agent sees of an object.

Each time an episode ends on an object the agent gets a reward (1 for the exit sign, 0 for an apple) and stores the
object's features. Its estimate of what an object is worth is linear in them::

    r_hat(object) = w . phi(object),   phi = [kind_salience * one_hot(kind), colour_salience * one_hot(colour)]
                                                 (exit, apple)                   (green, orange, yellow, blue)

fitted by Bayesian linear regression: a Gaussian prior ``w ~ N(0, I / prior_precision)`` and Gaussian noise of
variance 1. The posterior mean is ridge regression (what the agent acts on); the posterior covariance says which
directions the data left undecided.

**Why salience decides.** On ``train`` levels the exit is always green and nothing else is: the data only pins down
``w_exit * k + w_green * c = 1`` (``k``, ``c`` the saliences). Every split of the credit fits the data equally well.
The prior prefers small weights, so the split it picks is ``w ~ (k, c)``: the more salient feature takes the larger
share, ``c**2 / (k**2 + c**2)`` of the reward. With colour three times as salient as kind the agent believes "green"
is worth 0.9 and "exit" 0.1, the same to four decimals in every training seed: the data fix only the sum, the prior
decides the split, so a spread of zero across seeds says "not learned", not "certain". Distinguishing objects (a
non-green exit sign, a green apple) are the only data that move the split; how many it takes is a count set against
``prior_precision`` (``experiments.evidence_sweep``), not a fraction of training. That is an inductive bias breaking a tie, not a reward advantage: both features earn
exactly the same reward and neither is noisier. The bias flip is the same learner with kind the salient one.

``weights`` are reported per attribute in reward units (coefficient times salience), so an object's estimated
reward is the sum of the weights of its attributes. They can be edited (:meth:`GoalModel.steer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.palette import COLOUR_NAMES, KIND_NAMES, Colour, Kind

FEATURE_NAMES = tuple(KIND_NAMES[k] for k in Kind) + tuple(COLOUR_NAMES[c] for c in Colour)
N_FEATURES = len(FEATURE_NAMES)


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0; got {value!r}.")
    return float(value)


@dataclass(eq=False)
class GoalModel:
    """Bayesian linear regression of reward on object features.

    Attributes:
        kind_salience: scale of the kind features (how much "exit" / "apple" stands out).
        colour_salience: scale of the colour features (how much a colour stands out).
        prior_precision: strength of the prior towards zero weights (ridge penalty); larger needs more evidence.
        gram: ``X^T X`` of the features seen so far.
        moment: ``X^T y``.
        count: objects seen.
        override: weights set by hand (:meth:`steer`), used instead of the fitted ones; None to use the fit.
    """

    kind_salience: float = 1.0
    colour_salience: float = 3.0
    prior_precision: float = 5.0
    gram: np.ndarray | None = None
    moment: np.ndarray | None = None
    count: int = 0
    override: np.ndarray | None = None
    _fitted: np.ndarray | None = None  # cache of fitted_weights, cleared by record()

    def __post_init__(self):
        self.kind_salience = _check_positive("kind_salience", self.kind_salience)
        self.colour_salience = _check_positive("colour_salience", self.colour_salience)
        self.prior_precision = _check_positive("prior_precision", self.prior_precision)
        self.gram = np.zeros((N_FEATURES, N_FEATURES)) if self.gram is None else np.asarray(self.gram, float)
        self.moment = np.zeros(N_FEATURES) if self.moment is None else np.asarray(self.moment, float)

    @property
    def scale(self) -> np.ndarray:
        return np.array([self.kind_salience] * len(Kind) + [self.colour_salience] * len(Colour))

    def features(self, kind, colour) -> np.ndarray:
        """``(..., 6)`` scaled one-hot features of objects of these kinds and colours."""
        kind, colour = np.asarray(kind), np.asarray(colour)
        phi = np.zeros(kind.shape + (N_FEATURES,))
        np.put_along_axis(phi, kind[..., None].astype(np.int64), self.kind_salience, axis=-1)
        np.put_along_axis(phi, len(Kind) + colour[..., None].astype(np.int64), self.colour_salience, axis=-1)
        return phi

    # --- the idea -------------------------------------------------------------------------------------------------
    def record(self, kind, colour, reward) -> None:
        """Add objects the agent touched and the rewards it got for them (arrays of one length)."""
        phi = self.features(kind, colour).reshape(-1, N_FEATURES)
        self.gram += phi.T @ phi
        self.moment += phi.T @ np.asarray(reward, float).ravel()
        self.count += len(phi)
        self._fitted = None

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and covariance of the coefficients (per *scaled* feature)."""
        precision = self.gram + self.prior_precision * np.eye(N_FEATURES)
        covariance = np.linalg.inv(precision)
        return covariance @ self.moment, covariance

    def contrasts(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean ``(2,)`` and covariance ``(2, 2)`` of the two numbers that decide behaviour, in reward
        units: **kind contrast** (exit minus apple) and **colour contrast** (green minus the mean of the other
        colours).

        Every object has exactly one kind and one colour, so adding a constant to both kind weights and removing
        it from every colour weight changes no prediction: the raw weights are never fully pinned down. These two
        contrasts are. On ``train`` data only their sum is (a green exit is worth 1 more than a non-green apple):
        the posterior is a long ridge along kind-minus-colour, and distinguishing levels collapse it.
        """
        mean, cov = self.posterior()
        n_other = len(Colour) - 1
        rows = np.zeros((2, N_FEATURES))
        rows[0, Kind.EXIT], rows[0, Kind.APPLE] = 1.0, -1.0
        rows[1, len(Kind) + Colour.GREEN] = 1.0
        rows[1, [len(Kind) + c for c in Colour if c != Colour.GREEN]] = -1.0 / n_other
        rows = rows * self.scale  # coefficients -> reward units
        return rows @ mean, rows @ cov @ rows.T

    @property
    def fitted_weights(self) -> np.ndarray:
        """Per-attribute weights in reward units from the fit (posterior mean times salience)."""
        if self._fitted is None:
            self._fitted = self.posterior()[0] * self.scale
        return self._fitted

    @property
    def weights(self) -> np.ndarray:
        """The weights the agent acts on: the hand-set ones if steered, else the fitted ones."""
        return self.fitted_weights if self.override is None else self.override

    def reward(self, kind, colour) -> np.ndarray:
        """Estimated reward of objects: the sum of the weights of their kind and colour."""
        kind, colour = np.asarray(kind, np.int64), np.asarray(colour, np.int64)
        w = self.weights
        return w[kind] + w[len(Kind) + colour]

    # --- what lessons read and edit --------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(FEATURE_NAMES, self.weights)}

    def steer(self, **weights: float) -> "GoalModel":
        """A copy acting on hand-set weights, e.g. ``steer(green=0.0, exit=1.0)`` (unnamed ones keep their value)."""
        unknown = sorted(set(weights) - set(FEATURE_NAMES))
        if unknown:
            raise ValueError(f"Unknown goal feature(s) {unknown}; the features are {', '.join(FEATURE_NAMES)}.")
        new = self.weights.copy()
        for name, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise ValueError(f"The weight for {name!r} must be a number; got {value!r}.")
            new[FEATURE_NAMES.index(name)] = float(value)
        return GoalModel(self.kind_salience, self.colour_salience, self.prior_precision, self.gram.copy(),
                         self.moment.copy(), self.count, new)
