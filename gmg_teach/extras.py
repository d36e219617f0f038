"""Which optional part of the package (a pip *extra*) a command needs, said in one line instead of a traceback.

``pip install gmg-teach`` is the engine. The extras, declared in pyproject.toml, are for roles:
``[course]`` (students: JupyterLab, widgets), ``[instructor]`` (nbgrader, building, grading, HTML export),
``[network]`` (torch) and ``[sb3]`` (Stable-Baselines3). A subcommand calls :func:`require` first; ``gmg_teach.cli``
also turns any :class:`ModuleNotFoundError` of a module listed in :data:`EXTRA_OF` into the same one line.
"""

from __future__ import annotations

from importlib.util import find_spec

EXTRA_OF = {  # top-level module -> the extra that installs it
    "jupyterlab": "course", "notebook": "course", "ipywidgets": "course", "ipykernel": "course",
    "IPython": "course", "jupyter_server": "course",
    "nbgrader": "instructor", "nbformat": "instructor", "nbclient": "instructor", "nbconvert": "instructor",
    "jupyter_client": "instructor", "jupyter_core": "instructor", "zmq": "instructor", "traitlets": "instructor",
    "torch": "network",
    "stable_baselines3": "sb3",
}


class MissingExtra(ValueError):
    """A command needs a module of an extra that is not installed (the message says what to install)."""


def missing_message(what: str, module: str, extra: str | None = None) -> str:
    extra = extra or EXTRA_OF.get(module, "instructor")
    return (f"{what} needs {module}, which comes with the [{extra}] extra: "
            f"pip install \"gmg-teach[{extra}]\" (in a checkout: pip install -e \".[{extra}]\").")


def require(what: str, *modules: str, extra: str | None = None) -> None:
    """Raise :class:`MissingExtra` naming the extra unless every module can be imported."""
    for module in modules:
        if find_spec(module) is None:
            raise MissingExtra(missing_message(what, module, extra))
