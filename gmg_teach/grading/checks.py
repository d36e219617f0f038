"""Generic checks for graded exercises: run the student's function on cases, compare with expected values.

Nothing here knows any exercise. The test cell under an exercise (in ``solutions/<assignment>.ipynb``) says what
to check::

    visible_check("q_update", q_update, [
        case("an all-zero 3x4 table, state 0, action 1, reward 1", np.zeros((3, 4)), 0, 1, 1.0, 2, False, 0.5, 0.9),
    ])
    ### BEGIN HIDDEN TESTS
    def reference_q_update(q_table, state, action, reward, next_state, terminated, learning_rate, discount):
        ...
    hidden_check("q_update", q_update, reference_q_update, [case("random case 1 ...", ...), ...])
    ### END HIDDEN TESTS

- ``visible_check`` compares with expected values that ``gmg-teach build-exercises`` computed from the reference
  (the solution) and wrote to ``exercises/<assignment>.expected.json``, next to the exercise. Students see the
  cases and get instant, specific feedback; the reference itself is never handed out.
- ``hidden_check`` (only in hidden tests, inserted at grading time) compares with a reference defined in the hidden
  tests, on cases the visible ones do not reuse (``build-exercises`` refuses an assignment where they do).
- Under ``gmg-teach grade`` both run in the grader's process, ``function`` being a stand-in for the student's
  (``remote.StudentFunction``): the reference and the expected values never enter the student's kernel. ``calls``
  (many calls in one request) and ``patched`` (a setting of the package moved for the call, in the process where
  the function runs) work the same in a notebook and there.
- Both print ``✓ q_update: 6/6 checks passed`` or fail with hints naming the input, the expected value and what
  came back (protocol: ``feedback.report``). Comparisons use ``compare.same``: the student's value is normalised to
  plain data first, the reference is on the left, so an object whose ``__eq__`` always says yes fails.

Options of both: ``run(function, *args, **kwargs)`` turns one call into the value compared (default: call the
function on copies of the arguments), for answers that are not plain data or need several calls (frequencies of
a random choice, say); ``compare(expected, got) -> bool`` (default ``same``); ``hint(case, expected, got) -> str``
adds advice to a failure. A case may carry its own ``run``: ``case(...).using(run)``. ``show_values=False``: a
failure the hint explains reads "With {given}: {hint}" (the hint leads, no dump of both values; they are still shown
when the hint has nothing to say). ``hidden_check(..., label=...)``: the name its pass/fail line shows (say
"q_update (hidden tests)"); cases are still matched with the visible check's by ``name``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import pickle
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .compare import NotPlain, plain, same, show
from .feedback import report

EXPECTED_SUFFIX = ".expected.json"
_recording: dict | None = None  # set by ``start_recording`` while build-exercises runs a solution notebook
_hidden_memo: dict | None = None  # set by the grader: hidden expected values, computed once per grading process
_expected_file: Path | None = None  # set by the grader: the one file of visible expected values to read


@dataclass(frozen=True)
class Case:
    """One input of a check: a description in words and the arguments of the call."""

    given: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    run: Callable | None = None

    def using(self, run: Callable) -> "Case":
        """This case, turned into a compared value by ``run(function, *args, **kwargs)``."""
        return replace(self, run=run)

    def call(self, function, run: Callable | None):
        args, kwargs = copy.deepcopy(self.args), copy.deepcopy(self.kwargs)
        run = self.run or run
        return run(function, *args, **kwargs) if run else function(*args, **kwargs)


def case(given: str, *args, **kwargs) -> Case:
    return Case(given, args, kwargs)


def visible_check(name: str, function, cases: list[Case], *, run=None, compare=None, hint=None,
                  show_values: bool = True) -> None:
    """Check ``function`` on ``cases`` against the expected values stored when the exercises were built."""
    _check_cases(name, cases)
    if _recording is not None:
        _record(name, function, cases, run, compare)
        return
    expected = _stored(name)
    missing = [c.given for c in cases if c.given not in expected]
    if missing:
        raise RuntimeError(f"no expected value for the {name} case {missing[0]!r}; this notebook and its "
                           f"{EXPECTED_SUFFIX} file do not match (rebuild the exercises)")
    _run_cases(name, function, cases, lambda c: decode(expected[c.given]), run, compare, hint, show_values)


def hidden_check(name: str, function, reference, cases: list[Case], *, run=None, compare=None, hint=None,
                 show_values: bool = True, label: str | None = None) -> None:
    """Check ``function`` on ``cases`` against ``reference`` (defined in the hidden tests)."""
    _check_cases(name, cases)
    if _recording is not None:
        _recording.setdefault("hidden", {}).setdefault(name, []).extend((c.given, _digest(c)) for c in cases)
    def expected_of(c: Case):
        if _hidden_memo is None:
            return plain(c.call(reference, run))
        key = (name, label, c.given)
        if key not in _hidden_memo:  # the grader: each reference value once per process (cases are seeded)
            _hidden_memo[key] = plain(c.call(reference, run))
        return copy.deepcopy(_hidden_memo[key])

    _run_cases(label or name, function, cases, expected_of, run, compare, hint, show_values)


def calls(function, arguments: list[tuple]) -> list:
    """``[function(*args) for args in arguments]``. For a student's function under ``gmg-teach grade`` it is one
    request to their kernel, run in order there (objects shared between the tuples, a ``rng`` say, stay shared)."""
    from .remote import StudentFunction

    if isinstance(function, StudentFunction):
        return function.many([(tuple(args), {}) for args in arguments])
    return [function(*args) for args in arguments]


def patched(function, module, **values):
    """``function``, called with ``module.NAME = value`` for each of ``values`` (put back after the call), in the
    process where the function runs: the student's kernel under ``gmg-teach grade``, the notebook's otherwise."""
    from .remote import StudentFunction

    if isinstance(function, StudentFunction):
        return function.patched(module.__name__, values)

    def call(*args, **kwargs):
        saved = {key: getattr(module, key) for key in values}
        try:
            for key, value in values.items():
                setattr(module, key, value)
            return function(*args, **kwargs)
        finally:
            for key, value in saved.items():
                setattr(module, key, value)
    return call


def _check_cases(name: str, cases) -> None:
    givens = [c.given for c in cases]
    if not cases or len(set(givens)) != len(givens):
        raise RuntimeError(f"the {name} check needs at least one case, each with its own description")


def _run_cases(name, function, cases, expected_of, run, compare, hint, show_values=True) -> None:
    compare = compare or same
    with report(name) as r:
        for c in cases:
            try:
                got = c.call(function, run)  # the student's code runs before the expected value exists
            except NotImplementedError:
                raise
            except Exception as err:
                raise _located(err, function, c) from None
            expected = expected_of(c)
            ok = bool(compare(expected, got))
            message = f"With {c.given}: expected {show(expected)}, but your code returned {show(got)}."
            if not ok and hint:
                extra = hint(c, expected, got)
                if extra and not show_values:
                    message = f"With {c.given}: {extra}"
                elif extra:
                    message += f" {extra}"
            r.check(ok, message)


def _located(err: Exception, function, c: Case) -> Exception:
    """The student's crash, renamed like the original, its message naming the input and the line of their code."""
    return type(type(err).__name__, (Exception,), {})(f"{err} (with {c.given}{where(err, function)})")


def where(err: Exception, function) -> str:
    """", at line N of the cell defining f (`the line`)": the deepest frame of the traceback in the file (notebook
    cell) where ``function`` was defined; empty for a crash inside the package from what the student's code
    returned (and for a stand-in, whose kernel added it to the message already)."""
    filename = getattr(getattr(function, "__code__", None), "co_filename", None)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if filename and f.filename == filename]
    if not frames:
        return ""
    line = (frames[-1].line or "").strip()
    return f", at line {frames[-1].lineno} of the cell defining {getattr(function, '__name__', 'it')}" + (
        f" (`{line[:80]}`)" if line else "")


# ---------------------------------------------------------------------------------------------------------------
# The stored expected values (<assignment>.expected.json, next to the exercise)
# ---------------------------------------------------------------------------------------------------------------
def _stored(name: str) -> dict:
    """Expected values of check ``name``: from the one ``*.expected.json`` in the working folder that has it (the
    grader names its file)."""
    found = []
    for path in [_expected_file] if _expected_file else sorted(Path.cwd().glob(f"*{EXPECTED_SUFFIX}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and name in data.get("checks", {}):
            found.append(data["checks"][name])
    if len(found) != 1:
        raise RuntimeError(f"cannot find the expected values of the {name} check: keep the *{EXPECTED_SUFFIX} file "
                           "that came with this exercise in the same folder as the notebook"
                           if not found else f"two *{EXPECTED_SUFFIX} files here define the {name} check")
    return found[0]


def encode(value: Any) -> Any:
    """Plain data as JSON (arrays, tuples, non-string keys and NaN kept exactly)."""
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return {"array": encode(value.tolist()), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    return {"dict": [[encode(key), encode(item)] for key, item in value.items()]}


def decode(data: Any, budget: list[int] | None = None, _depth: int = 0) -> Any:
    """The value ``encode`` wrote, checked strictly: only plain data (numbers, strings, lists, tuples, dicts, numpy
    arrays of numbers, booleans or strings) comes out, anything else raises ``ValueError``; so do arrays of more
    than ``budget[0]`` bytes together (default ``MAX_DECODED``: a short JSON text cannot become a huge array). The
    grader decodes what a student's kernel answers with it, one budget per answer."""
    budget = [MAX_DECODED] if budget is None else budget
    if _depth > 40:
        raise ValueError("nested more than 40 levels deep")
    kind = type(data)
    if kind in (bool, int, float, str, type(None)):
        return data
    if kind is list:
        return [decode(item, budget, _depth + 1) for item in data]
    if kind is not dict or len(data) not in (1, 3):
        raise ValueError(f"not encoded data: {kind.__name__}")
    if "float" in data and data["float"] in ("nan", "inf", "-inf"):
        return float(data["float"])
    if "tuple" in data and type(data["tuple"]) is list:
        return tuple(decode(item, budget, _depth + 1) for item in data["tuple"])
    if "dict" in data and type(data["dict"]) is list:
        pairs = [decode(pair, budget, _depth + 1) for pair in data["dict"]]
        if not all(type(pair) is list and len(pair) == 2 and type(pair[0]) in (bool, int, float, str, tuple)
                   for pair in pairs):
            raise ValueError("not encoded data: a dict entry")
        return dict(pairs)
    if "opaque" in data:
        from .remote import not_plain

        return not_plain(data["opaque"])
    if set(data) == {"array", "dtype", "shape"}:
        dtype, shape = np.dtype(str(data["dtype"])), data["shape"]
        if dtype.kind not in "biufU" or type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("not encoded data: an array")
        budget[0] -= dtype.itemsize * math.prod(shape)
        if budget[0] < 0:
            raise ValueError(f"an answer larger than {MAX_DECODED // 2**20} MB")
        return np.array(decode(data["array"], budget, _depth + 1), dtype=dtype).reshape(shape)
    raise ValueError("not encoded data")


MAX_DECODED = 64 * 2**20


# ---------------------------------------------------------------------------------------------------------------
# Recording (used by build-exercises only, on the solution notebook)
# ---------------------------------------------------------------------------------------------------------------
def start_recording() -> None:
    """From now on ``visible_check`` stores what the function (the reference) returns instead of comparing."""
    global _recording
    _recording = {"checks": {}, "hidden": {}, "visible": {}}


def _record(name, function, cases, run, compare) -> None:
    values = _recording["checks"].setdefault(name, {})
    for c in cases:
        try:
            value = plain(c.call(function, run))
        except NotPlain as err:
            raise RuntimeError(f"the reference of {name} returned {err} for {c.given!r}; give the check a `run` "
                               "that turns the answer into numbers, strings, lists, dicts or arrays") from None
        if not (compare or same)(value, value):
            raise RuntimeError(f"the {name} check's comparison says the reference differs from itself on {c.given!r}")
        values[c.given] = encode(value)
        _recording["visible"].setdefault(name, []).append((c.given, _digest(c)))
    print(f"recorded {name}: {len(cases)} cases")


def _digest(c: Case) -> str | None:
    """A fingerprint of a case's inputs (None if they cannot be pickled)."""
    try:
        return hashlib.sha256(pickle.dumps((c.args, sorted(c.kwargs.items())), protocol=4)).hexdigest()
    except Exception:
        return None


def save_recording(path: str) -> None:
    """Write what was recorded (called by build-exercises as the last cell of the solution it runs)."""
    Path(path).write_text(json.dumps(_recording), encoding="utf-8")
