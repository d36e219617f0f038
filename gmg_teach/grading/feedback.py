"""Friendly pass lines and plain-language hints for exercise checks.

A check function in ``gmg_teach.grading.checks`` runs a few sub-checks on the student's object and either prints
one line, ``✓ q_update: 6/6 checks passed``, or fails with a hint the student can act on. This module is the whole
protocol; a check looks like this::

    from gmg_teach.grading.feedback import report

    def check_q_update(q_update):
        with report("q_update") as r:
            q = np.zeros((3, 2))
            got = q_update(q.copy(), state=0, action=1, reward=1.0, next_state=2, alpha=0.5, gamma=0.9)
            r.equal(got, reference_q_update(q.copy(), 0, 1, 1.0, 2, 0.5, 0.9),
                    given="an all-zero Q, state 0, action 1, reward 1, alpha 0.5")
            r.check(got is not q, "return a new table instead of changing the one you were given")

Rules the checks rely on (and why):

- ``r.check(ok, hint)`` and ``r.equal(got, expected, given=...)`` record one sub-check each and keep going, so the
  pass line can count them; when the block ends, every failed hint is shown (the first three) in one message.
- Inside the block, a ``NotImplementedError`` (the untouched ``raise NotImplementedError()`` stub) becomes "you have
  not written this yet", and any other exception from the student's code becomes one line naming it. The failure is
  a :class:`CheckFailed`, an ``AssertionError`` subclass, so graders treat it as a failed test; it is raised without
  the chained traceback, and Jupyter shows only its message (``_render_traceback_``), never a numpy traceback.
- Warnings raised inside the block are silenced: nbgrader gives zero to a test cell that writes to stderr, and a
  ``RuntimeWarning`` from a correct answer must not cost a student the points.
- A check function must return ``None``: nbgrader reads a number shown by a test cell as partial credit.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any, Iterator

from .compare import same, show

_MAX_HINTS_SHOWN = 3


class CheckFailed(AssertionError):
    """A check that did not pass; the message is written for the student."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: the hint is the whole story."""
        return [f"✗ {self}"]


class CheckReport:
    """Counts the sub-checks of one exercise and collects the hints of those that failed."""

    def __init__(self, name: str):
        self.name = name
        self.total = 0
        self.hints: list[str] = []

    def check(self, ok: Any, hint: str) -> bool:
        """Record one sub-check; ``hint`` says, in words, what to fix if ``ok`` is false. Returns ``bool(ok)``."""
        self.total += 1
        ok = bool(ok)
        if not ok:
            self.hints.append(hint)
        return ok

    def equal(self, got: Any, expected: Any, given: str, atol: float = 1e-8) -> bool:
        """Record whether ``got`` equals ``expected`` (numbers and arrays to within ``atol``).

        ``given`` describes the input in words; the hint reads "With {given}: expected {expected}, but your code
        returned {got}." ``compare.same`` normalises ``got`` to plain data first and keeps the reference on the
        left, so an object whose ``__eq__`` always says yes cannot pass.
        """
        return self.check(same(expected, got, atol), f"With {given}: expected {show(expected)}, "
                                                     f"but your code returned {show(got)}.")

    def summary(self) -> str:
        """The one line shown to the student when the block ends."""
        passed = self.total - len(self.hints)
        line = f"{self.name}: {passed}/{self.total} checks passed"
        if not self.hints:
            return line
        shown = "".join(f"\n  - {hint}" for hint in self.hints[:_MAX_HINTS_SHOWN])
        more = len(self.hints) - _MAX_HINTS_SHOWN
        return line + shown + (f"\n  (and {more} more)" if more > 0 else "")


@contextmanager
def report(name: str) -> Iterator[CheckReport]:
    """Run the sub-checks of exercise ``name``: print the pass line, or raise :class:`CheckFailed` with the hints."""
    r = CheckReport(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield r
    except CheckFailed:
        raise
    except NotImplementedError:
        raise CheckFailed(f"{name}: you have not written this yet. Replace `raise NotImplementedError()` "
                          "with your code, run that cell, then run this one again.") from None
    except Exception as err:  # the student's code crashed: name the error in one line, hide the traceback
        raise CheckFailed(f"{name}: your code raised {type(err).__name__}: {err}") from None
    if r.total == 0:
        raise RuntimeError(f"the check for {name} ran no sub-checks")  # a bug in the check, not the student's
    if r.hints:
        raise CheckFailed(r.summary())
    print(f"✓ {r.summary()}")
