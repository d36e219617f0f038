"""The student's process only answers questions: calls of its functions, values of its variables, as plain data.

Under ``gmg-teach grade`` the test cells run in the grader's process (``grader``), never in the student's kernel.
A name a test cell uses that the instructor's cells do not define is the student's: :class:`StudentNamespace`
looks it up in the kernel when it is used. A function becomes a :class:`StudentFunction`, whose calls go to the
kernel (arguments pickled: grader -> kernel only) and come back as plain data (``checks.encode``/``decode``: numbers,
strings, lists, tuples, dicts, numpy arrays), decoded strictly and size-capped by the grader. Nothing the kernel
sends can be more than a value the student's function could have returned. See /GRADING_PROTOCOL.md.

Two sides, one module (cheap to import: no kernel client here):

- kernel side: :func:`answer`, called through ``user_expressions`` of an ``execute_request``; returns base64 of
  the JSON reply (``{"results": [...], "generators": [...]}``, ``{"kind": ...}`` or ``{"error": [name, message]}``).
- grader side: :class:`StudentNamespace`, :class:`StudentFunction`, :func:`read_reply`.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import io
import json
import pickle
import re
import time

REPLY_CAP = 1024**2  # characters of JSON: a larger answer is refused in the kernel (the grader drops > 2 MB)
_BASE64 = re.compile(r"'([A-Za-z0-9+/=]*)'")


# ---------------------------------------------------------------------------------------------------------------
# Kernel side
# ---------------------------------------------------------------------------------------------------------------
def answer(request: str) -> str:
    """Answer one request of the grader in the student's namespace (runs in the student's kernel)."""
    from IPython import get_ipython

    from .checks import encode

    namespace = get_ipython().user_ns

    try:
        asked = _unpickle(request)
        name = asked["name"]
        if asked["op"] == "get":
            if name not in namespace:
                reply = {"kind": "missing"}
            elif callable(namespace[name]):
                reply = {"kind": "function"}
            else:
                reply = {"kind": "value", "value": _encoded(encode, namespace[name])}
        else:
            if name not in namespace:
                raise NameError(f"name {name!r} is not defined")
            function = namespace[name]
            module, values = asked.get("patch") or (None, {})
            module = importlib.import_module(module) if module else None
            saved = {key: getattr(module, key) for key in values}
            try:
                for key, value in values.items():
                    setattr(module, key, value)
                results = [_encoded(encode, _located_call(function, args, kwargs)) for args, kwargs in asked["calls"]]
            finally:
                for key, value in saved.items():
                    setattr(module, key, value)
            reply = {"results": results, "generators": [g.bit_generator.state for g in generators(asked["calls"])]}
    except BaseException as err:  # noqa: BLE001 - whatever the student's code raised, as a name and a message
        reply = {"error": [type(err).__name__, str(err)[:2000]]}
    text = json.dumps(reply)
    if len(text) > REPLY_CAP:
        text = json.dumps({"error": ["ValueError", "the answer is too large (over 1 MB as data)"]})
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _encoded(encode, value):
    from .compare import NotPlain

    try:
        return encode(value)
    except NotPlain:
        return {"opaque": type(value).__name__}


def _located_call(function, args, kwargs):
    """function(*args, **kwargs); a crash's message names the line of the cell defining the function."""
    from .checks import where

    try:
        return function(*args, **kwargs)
    except Exception as err:
        err.args = (f"{err}{where(err, function)}",)
        raise


def generators(calls) -> list:
    """The numpy Generators among the arguments of ``calls``, in a fixed order, each once."""
    import numpy as np

    found, seen, todo = [], set(), [calls]
    while todo:
        item = todo.pop(0)
        if isinstance(item, np.random.Generator):
            if id(item) not in seen:
                seen.add(id(item))
                found.append(item)
        elif type(item) in (list, tuple):
            todo[:0] = list(item)
        elif type(item) is dict:
            todo[:0] = list(item.values())
    return found


# ---------------------------------------------------------------------------------------------------------------
# Grader side
# ---------------------------------------------------------------------------------------------------------------
class NotPlainValue:
    """What came back when the student's value was not plain data: equal to nothing, named by its type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<a {type(self).__name__}: not plain data>"


def not_plain(type_name) -> NotPlainValue:
    name = type_name if isinstance(type_name, str) and type_name.isidentifier() and len(type_name) < 60 else "object"
    return type(name, (NotPlainValue,), {"__slots__": ()})()


class GraderTimeLimit(Exception):
    """The instructor's test code spent more than the time limit of CPU on one submission's answers."""


class KernelAnswerError(Exception):
    """The kernel's reply is not a reply of the protocol (the student's process broke it): counts as a crash."""


def read_reply(content: dict):
    """The decoded JSON reply from an ``execute_reply``'s content (``user_expressions["r"]``); raises
    :class:`KernelAnswerError` for anything else."""
    try:
        result = content["user_expressions"]["r"]
        if result.get("status") != "ok":
            raise KernelAnswerError(f"{result.get('ename', 'an error')}: {str(result.get('evalue', ''))[:300]}")
        text = result["data"]["text/plain"]
        found = _BASE64.fullmatch(text) if isinstance(text, str) and len(text) < 2 * REPLY_CAP else None
        if not found:
            raise KernelAnswerError("the student's process did not answer with data")
        reply = json.loads(base64.b64decode(found.group(1)).decode("utf-8"))
    except KernelAnswerError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError):
        raise KernelAnswerError("the student's process did not answer with data") from None
    if type(reply) is not dict:
        raise KernelAnswerError("the student's process did not answer with data")
    return reply


def raised(error) -> Exception:
    """The student's exception, rebuilt in the grader: the real NotImplementedError, else a same-named one."""
    if type(error) is not list or len(error) != 2 or not all(type(e) is str for e in error):
        return KernelAnswerError("the student's process did not answer with data")
    name, message = error
    if name == "NotImplementedError":
        return NotImplementedError(message)
    name = name if name.isidentifier() and len(name) < 60 else "Error"
    return type(name, (Exception,), {})(message)


class StudentFunction:
    """A stand-in for the student's function ``name``: calls run in the kernel, results come back as plain data."""

    def __init__(self, name: str, ask, patch=None):
        self.__name__ = self.name = name
        self._ask, self._patch = ask, patch

    def __repr__(self) -> str:
        return f"<your function {self.name}>"

    def __call__(self, *args, **kwargs):
        return self.many([(args, kwargs)])[0]

    def many(self, calls: list) -> list:
        """Results of every (args, kwargs) in ``calls``, run in order in one request."""
        from .checks import MAX_DECODED, decode

        reply = self._ask({"op": "call", "name": self.name, "calls": calls, "patch": self._patch})
        if "error" in reply:
            raise raised(reply["error"])
        results, states = reply.get("results"), reply.get("generators")
        mine = generators(calls)
        if type(results) is not list or len(results) != len(calls) or type(states) is not list \
                or len(states) != len(mine):
            raise KernelAnswerError("the student's process did not answer with data")
        try:
            budget = [MAX_DECODED]  # one for the whole answer
            values = [decode(result, budget) for result in results]
            for generator, state in zip(mine, states):
                generator.bit_generator.state = state
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as err:
            raise KernelAnswerError(f"the student's process answered with something that is not data ({err})"[:300]) \
                from None
        return values

    def patched(self, module: str, values: dict) -> "StudentFunction":
        return StudentFunction(self.name, self._ask, (module, dict(values)))


class StudentNamespace(dict):
    """The globals of the instructor's test code: a name not defined here (nor a builtin) is the student's."""

    def __init__(self):
        super().__init__(__name__="__main__", __builtins__=builtins)
        self.asker = None  # the current kernel's (the runner replaces it after a restart)
        self.cpu_deadline = float("inf")  # process_time() after which the test asks no more (the grader's own work)
        self._fetched: set[str] = set()

    def _ask(self, asked: dict) -> dict:
        if self.asker is None:
            raise KeyError(asked.get("name"))  # no kernel yet (the setup cells): the name is not defined
        if time.process_time() > self.cpu_deadline:  # checked here, between statements: never an async exception
            raise GraderTimeLimit("checking your answers took the grader too long (too large an answer?)")
        return self.asker(asked)

    def forget_student_names(self) -> None:
        """Look the student's names up again (their cells may have changed them since)."""
        for name in self._fetched:
            self.pop(name, None)
        self._fetched.clear()

    def __missing__(self, name: str):
        from .checks import decode

        if name.startswith("__") or hasattr(builtins, name):
            raise KeyError(name)
        reply = self._ask({"op": "get", "name": name})
        kind = reply.get("kind")
        if kind == "function":
            value = StudentFunction(name, self._ask)
        elif kind == "value":
            try:
                value = decode(reply.get("value"))
            except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
                raise KernelAnswerError(f"the student's process did not answer with data for {name}") from None
        elif kind == "missing":
            raise KeyError(name)
        elif "error" in reply:
            raise raised(reply["error"])
        else:
            raise KernelAnswerError(f"the student's process did not answer with data for {name}")
        self[name] = value
        self._fetched.add(name)
        return value


BLOB_BYTES = 64 * 1024  # numpy arrays this large go to a kernel once, then are named by their digest


def request_code(asked: dict, sent: set) -> str:
    """The ``user_expressions`` expression asking the kernel ``asked``; large arrays whose digest is in ``sent``
    (this kernel has them) are named, not sent again."""
    import hashlib

    import numpy as np

    blobs = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if type(obj) is not np.ndarray or obj.nbytes < BLOB_BYTES or obj.dtype.hasobject:
                return None
            data = pickle.dumps(obj, protocol=4)
            key = hashlib.sha256(data).hexdigest()
            if key not in sent:
                blobs[key] = data
            return key

    buffer = io.BytesIO()
    Pickler(buffer, protocol=4).dump(asked)
    sent |= set(blobs)
    payload = base64.b64encode(pickle.dumps((buffer.getvalue(), blobs), protocol=4)).decode("ascii")
    return f"{ASKER}.answer('{payload}')"


ASKER = "_gmg_teach_grading_remote"  # the code run with each request imports the module under this name
ASKER_CODE = f"import gmg_teach.grading.remote as {ASKER}"  # an import statement: no name of the student's is used


_BLOBS: dict[str, bytes] = {}  # kernel side: the large arrays received so far


def _unpickle(request: str):
    data, blobs = pickle.loads(base64.b64decode(request))
    _BLOBS.update(blobs)

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, key):
            return pickle.loads(_BLOBS[key])  # a fresh copy each time

    return Unpickler(io.BytesIO(data)).load()
