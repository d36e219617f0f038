"""Read the student's code for what the instructor should know: two kinds of findings, each with cell and line.

- **Zero** (status ``tampering``): the student's code rebinds a name the instructor's cells import or define for
  the tests (``def visible_check``, ``check_add = ...``, ``from mymodule import check_add``). That is the one
  change a scan can see that would alter grading; the guard undoes it before each test, and the zero makes the
  attempt cost what it tried to gain.
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

REVIEW_CALLS = {"exec", "eval", "compile", "__import__", "globals", "vars", "breakpoint", "setattr", "delattr"}
REVIEW_MODULES = {"builtins", "importlib", "ctypes", "subprocess", "socket", "pty", "mmap", "multiprocessing",
                  "signal", "resource", "site", "sysconfig", "unittest", "pickle", "marshal", "runpy", "code"}
REVIEW_ATTRIBUTES = {"modules", "settrace", "setprofile", "_getframe", "__dict__", "__globals__", "__builtins__",
                     "f_globals", "f_locals", "f_back", "f_code", "__subclasses__", "_gmg_builtins", "__code__",
                     "__closure__", "meta_path", "path_hooks", "addaudithook"}
REVIEW_MODULE_CALLS = {
    "os": {"system", "fork", "forkpty", "kill", "killpg", "popen", "execv", "execve", "execl", "execvp", "spawnv",
           "spawnl", "_exit", "putenv", "chmod", "chown", "remove", "unlink", "rename", "replace"},
    "gc": {"get_objects", "get_referrers", "get_referents"},
    "inspect": {"currentframe", "stack", "getouterframes", "getframeinfo", "trace"},
    "sys": {"exit"},
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


def _bound_names(node: ast.AST) -> list[str]:
    """Names a statement binds at the top of the student's namespace."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    targets = []
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.With,
                         ast.AsyncWith, ast.Delete, ast.NamedExpr)):
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                targets.append(child.id)
    return targets


def review(sources: list[tuple[str, str]], protected: dict[str, tuple[str, str | None]],
           instructor_defined: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(zeroing findings, review findings) for code cells given as (label, source), one line each."""
    zero, flags = [], []
    names = set(protected) | set(instructor_defined)
    for label, source in sources:
        tree = parse(source)
        if tree is None:
            continue  # a syntax error only fails that cell
        modules = {name for name, (_, attribute) in imports_of(tree).items() if attribute is None} | \
            {name for name, (_, attribute) in protected.items() if attribute is None}
        magic = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr in MAGIC_METHODS
                 and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name)
                 and n.func.value.func.id == "get_ipython"}
        for node in ast.walk(tree):
            where = f"{label}, line {getattr(node, 'lineno', '?')}"
            for name in _bound_names(node):
                if name in names:
                    what = protected.get(name)
                    origin = f" (the instructor's {what[1] or what[0]} from {what[0]})" if what else ""
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        imported = imports_of(ast.Module(body=[node], type_ignores=[])).get(name)
                        if imported == what:
                            continue  # importing the same check again is harmless
                    zero.append(f"{where}: rebinds {name!r}{origin}, which the tests use")
            flags += [f"{where}: {finding}" for finding in _flags(node, modules, magic)]
    return _unique(zero), _unique(flags)


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
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) in modules:
            found.append(f"changes {_root(node)}.{node.attr}, part of an imported module")
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
