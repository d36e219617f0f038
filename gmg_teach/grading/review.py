"""Read the student's code for what the instructor should know: two kinds of findings, each with cell and line.

- **Zero** (status ``tampering``): what would change grading. Rebinding at module level a name the instructor's
  locked setup cells import or define (``def visible_check``, ``check_add = ...``); locals, loop variables and
  names a test cell defines itself do not count. Changing attributes of anything imported or reached through a
  subscript or call, in any scope (``compare._same_plain = ...`` in a function, ``_h = [np]; _h[0].allclose =``),
  ``setattr``/``delattr`` on those or with a computed name, ``getattr`` with a built name, frames and
  tracebacks, the grader's ``_gmg`` state, ``get_ipython`` as a value and IPython's hooks, names only the hidden
  tests define (the reference). The guard undoes some of it before each test; the zero makes the attempt cost
  what it tried to gain.
- **Review** (status ``review``, points kept): code that reaches into the interpreter or the machine rather than
  solving the exercise: ``exec``/``eval``/``compile``, frames and ``sys.modules``, changing attributes of an
  imported module (``checks.visible_check = ...``, ``np.allclose = ...``), ``builtins``, ``importlib``, ``ctypes``,
  ``subprocess``, ``os.system``/``os.fork``/``os.kill``, ``gc.get_referrers``, ``inspect.currentframe``, event
  hooks of ``get_ipython()``, files named by absolute path. The sandbox already keeps such code from reaching
  anything outside the submission, so it costs no points; the note says exactly what was seen.

Honest code is not flagged: ``from IPython.display import display``, ``import gc; gc.collect()``,
``import inspect; inspect.signature(f)``, magics such as ``%matplotlib inline``.
"""

from __future__ import annotations

import ast
import re

REVIEW_CALLS = {"exec", "eval", "compile", "__import__", "globals", "vars", "breakpoint", "setattr", "delattr"}
REVIEW_MODULES = {"builtins", "importlib", "ctypes", "subprocess", "socket", "pty", "mmap", "multiprocessing",
                  "signal", "resource", "site", "sysconfig", "unittest", "pickle", "marshal", "runpy", "code",
                  "threading", "_thread", "concurrent", "asyncio"}
REVIEW_ATTRIBUTES = {"modules", "settrace", "setprofile", "_getframe", "__dict__", "__globals__", "__builtins__",
                     "f_globals", "f_locals", "f_back", "f_code", "__subclasses__", "_gmg_builtins", "__code__",
                     "__closure__", "meta_path", "path_hooks", "addaudithook"}
REVIEW_MODULE_CALLS = {
    "gc": {"get_objects", "get_referrers", "get_referents"},
    "inspect": {"currentframe", "stack", "getouterframes", "getframeinfo", "trace"},
    "sys": {"exit"},
    "os": {"system", "fork", "forkpty", "kill", "killpg", "popen", "execv", "execve", "execl", "execvp", "spawnv",
           "spawnl", "_exit", "putenv", "chmod", "chown", "remove", "unlink", "rename", "replace", "chdir", "fchdir"},
}
MAGIC_METHODS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}  # what IPython turns magics into


def parse(source: str) -> ast.Module | None:
    """Parse a cell as IPython would run it (magics become calls); None if it is not valid Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def imports_of(tree: ast.Module | None) -> dict[str, tuple[str, str | None]]:
    """Names bound by the import statements of a cell: name -> (module, attribute or None)."""
    bound: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = (top, None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = (node.module, alias.name)
    return bound


def _root(node: ast.AST) -> str | None:
    """The name an attribute/subscript chain starts from: ``a`` for ``a.b[0].c``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _through_item(node: ast.AST) -> bool:
    """Whether an attribute chain passes through a subscript or a call (``h[0].x``, ``f().x``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, (ast.Subscript, ast.Call)):
            return True
        node = node.value
    return False


def _string(node: ast.AST) -> str | None:
    """The value of a string expression built from literals (``"f_" + "back"``, f-strings of literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_string(v) if not isinstance(v, ast.FormattedValue) else _string(v.value) for v in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    return None


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.Delete):
        return node.targets
    return []


def _module_bindings(body: list[ast.stmt]):
    """(statement, name) for every name a cell binds in the student's namespace: module-level statements (and
    those nested in module-level if/for/while/with/try), not the locals of functions, classes or lambdas."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node, node.name
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    yield node, alias.asname or alias.name.split(".")[0]
            continue
        for target in _targets(node):
            for child in ast.walk(target):
                if isinstance(child, ast.Name):
                    yield node, child.id
        for child in _walk_scope(node):
            if isinstance(child, ast.NamedExpr):
                yield node, child.target.id
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _module_bindings(inner)
        for handler in getattr(node, "handlers", []):
            if handler.name:
                yield handler, handler.name
            yield from _module_bindings(handler.body)
        for case_ in getattr(node, "cases", []):
            yield from _module_bindings(case_.body)


def _walk_scope(node: ast.AST):
    """The expressions of one statement, not entering nested statements, functions or lambdas."""
    todo = [c for c in ast.iter_child_nodes(node) if not isinstance(c, (ast.stmt, ast.excepthandler))]
    while todo:
        child = todo.pop()
        yield child
        if not isinstance(child, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo += [c for c in ast.iter_child_nodes(child) if not isinstance(c, ast.stmt)]


def _global_bindings(tree: ast.Module):
    """(statement, name) for names a function declares ``global`` and then binds."""
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        declared = {n for g in ast.walk(func) if isinstance(g, ast.Global) for n in g.names}
        for child in ast.walk(func):
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)) and child.id in declared:
                yield child, child.id


def _holders(trees: list[ast.Module], imported: set[str]) -> set[str]:
    """Names that hold an imported module or object: bound by an import (in any scope), or assigned one, a chain
    of its attributes or a container holding it (``c = compare``, ``h = [np]``, ``for m in [np]``)."""
    held = set(imported) | {"__builtins__", "get_ipython"}
    for tree in trees:
        for name, _ in imports_of(tree).items():
            held.add(name)

    def holds(value) -> bool:
        if isinstance(value, (ast.Name, ast.Attribute)):
            return _root(value) in held and not _through_item(value)
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return any(holds(v) for v in value.elts)
        if isinstance(value, ast.Dict):
            return any(holds(v) for v in value.values if v is not None)
        if isinstance(value, ast.Starred):
            return holds(value.value)
        return False

    for _ in range(5):  # to a fixed point (aliases of aliases)
        before = len(held)
        for tree in trees:
            for node in ast.walk(tree):
                value = getattr(node, "value", None) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) \
                    else node.iter if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) else None
                if value is not None and holds(value):
                    for target in ([node.target] if not isinstance(node, ast.Assign) else node.targets):
                        held |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        if len(held) == before:
            break
    return held


def review(sources: list[tuple[str, str]], protected: dict[str, tuple[str, str | None]],
           instructor_defined: set[str] = frozenset(), hidden: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(zeroing findings, review findings) for code cells given as (label, source), one line each.

    ``protected``: what the instructor's locked setup cells import; ``instructor_defined``: what they define;
    ``hidden``: names only the hidden tests define (an answer using one is reading the reference)."""
    zero, flags = [], []
    names = set(protected) | set(instructor_defined)
    parsed = [(label, parse(source)) for label, source in sources]
    trees = [tree for _, tree in parsed if tree is not None]
    held = _holders(trees, set(protected))
    student_bound = {n.id if isinstance(n, ast.Name) else n.arg if isinstance(n, ast.arg) else n.name
                     for tree in trees for n in ast.walk(tree)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) or isinstance(n, ast.arg)
                     or isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for label, tree in parsed:
        if tree is None:
            continue  # a syntax error only fails that cell
        for node, name in [*_module_bindings(tree.body), *_global_bindings(tree)]:
            if name in names:
                where = f"{label}, line {getattr(node, 'lineno', '?')}"
                what = protected.get(name)
                origin = f" (the instructor's {what[1] or what[0]} from {what[0]})" if what else ""
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    imported = imports_of(ast.Module(body=[node], type_ignores=[])).get(name)
                    if imported == what:
                        continue  # importing the same check again is harmless
                zero.append(f"{where}: rebinds {name!r}{origin}, which the tests use")
        magic = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr in MAGIC_METHODS
                 and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name)
                 and n.func.value.func.id == "get_ipython"}
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            where = f"{label}, line {getattr(node, 'lineno', '?')}"
            zero += [f"{where}: {finding}" for finding in _zeroing(node, held, names, hidden - student_bound, called)]
            flags += [f"{where}: {finding}" for finding in _flags(node, held, magic)]
    return _unique(zero), _unique(flags)


FRAME_ATTRIBUTES = {"__traceback__", "tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins",
                    "gi_frame", "cr_frame", "ag_frame", "_getframe", "currentframe", "__globals__", "__builtins__"}
IPYTHON_HOOKS = {"input_transformers", "input_transformers_post", "input_transformers_cleanup", "events",
                 "ast_transformers", "user_ns", "user_global_ns", "register_magic_function", "set_hook",
                 "set_custom_exc"}


def _zeroing(node: ast.AST, held: set[str], names: set[str], hidden: set[str], called: set[int]) -> list[str]:
    """What changes grading (or reads what grades it) wherever it is written, functions included."""
    found = []
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
        root = _root(node)
        if root in held or root in names:
            found.append(f"changes {root}.{node.attr}, an attribute of something imported (the tests use it)")
        elif _through_item(node.value):
            found.append(f"changes the attribute {node.attr!r} of an object reached through a subscript or a call")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr",
                                                                                           "getattr"):
        literal = len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
        attribute = node.args[1].value if literal else None
        target = node.args[0] if node.args else None
        if node.func.id != "getattr" and (attribute is None or target is None or _root(target) in held or
                                          _root(target) in names or _through_item(target)):
            found.append(f"calls {node.func.id}() on an imported object or with a computed name")
        elif node.func.id == "getattr" and len(node.args) > 1 and not literal and \
                not isinstance(node.args[1], ast.Name):
            found.append("calls getattr() with a name built at run time")
    text = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
        _string(node) if isinstance(node, (ast.Constant, ast.BinOp, ast.JoinedStr)) else \
        node.asname or node.name if isinstance(node, ast.alias) else None
    if text is not None:
        if re.search(r"(^|[^A-Za-z0-9])_gmg", text):
            found.append(f"refers to {text[:40]!r}, the grader's own state")
        if text in FRAME_ATTRIBUTES:
            found.append(f"uses {text!r}: reads the grader's frames")
        if text in IPYTHON_HOOKS and not isinstance(node, ast.Name):
            found.append(f"uses {text!r}: hooks into how IPython runs the test cells")
        if text in hidden and isinstance(node, (ast.Name, ast.Constant)) and not (
                isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)):
            found.append(f"refers to {text!r}, which only the hidden tests define (the reference)")
    if isinstance(node, ast.Name) and node.id == "get_ipython" and isinstance(node.ctx, ast.Load) and \
            id(node) not in called:
        found.append("uses get_ipython as a value (not to run a magic)")
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) and \
            isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) and \
            node.value.func.id in ("globals", "vars") and _string(node.slice) in names:
        found.append(f"rebinds {_string(node.slice)!r} through {node.value.func.id}(), which the tests use")
    return found


def _flags(node: ast.AST, modules: set[str], magic: set[int]) -> list[str]:
    found = []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REVIEW_CALLS:
        found.append(f"calls {node.func.id}()")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython" and \
            id(node) not in magic:
        found.append("uses get_ipython() beyond magics")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith(("/", "..")):
            found.append(f"opens {first.value!r}, outside its own folder")
    if isinstance(node, ast.Attribute):
        if node.attr in REVIEW_ATTRIBUTES:
            found.append(f"uses .{node.attr}")
        root = _root(node.value) if isinstance(node.value, ast.Name) else None
        if root in REVIEW_MODULE_CALLS and node.attr in REVIEW_MODULE_CALLS[root]:
            found.append(f"uses {root}.{node.attr}")
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            module = node.module if isinstance(node, ast.ImportFrom) and node.module else alias.name
            if module.split(".")[0] in REVIEW_MODULES:
                found.append(f"imports {module.split('.')[0]}")
            if isinstance(node, ast.ImportFrom) and module in REVIEW_MODULE_CALLS and alias.name in \
                    REVIEW_MODULE_CALLS[module]:
                found.append(f"imports {module}.{alias.name}")
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
            "site-packages" in node.value or node.value.endswith(".pth") or "solutions" in node.value):
        found.append(f"mentions {node.value[:60]!r}")
    return found


def _unique(items: list[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
