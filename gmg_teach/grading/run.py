"""Run an assembled notebook cell by cell in a sandboxed kernel, with a time limit per cell and capped output.

A cell that runs past its limit, or kills its kernel (``os._exit``, a crash, running out of memory), costs that
cell: the kernel is replaced by a fresh one in the same private folder, the cells before it that completed are
run again (test cells excepted: their result is already known), and the run goes on with the next cell. After
``max_restarts`` replacements the remaining cells are not run. Output kept per cell is capped (``output_cap``
characters); the rest is dropped as it arrives, so a flood costs the grader neither memory nor disk.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .isolation import Sandbox

OUTPUT_CAP = 20_000


@dataclass
class CellRun:
    status: str  # "ok", "error", "timeout", "died", "not run"
    text: str = ""  # what the cell printed and its error message, capped


@dataclass
class RunLog:
    cells: dict[int, CellRun] = field(default_factory=dict)
    restarts: int = 0
    notes: list[str] = field(default_factory=list)


class CappedClient(NotebookClient):
    """nbclient's client, keeping at most ``output_cap`` characters of output per cell."""

    output_cap = OUTPUT_CAP

    def output(self, outs, msg, display_id, cell_index):
        kept = sum(_size(out) for out in outs)
        if kept >= self.output_cap:
            if not any(out.get("name") == "gmg-cut" for out in outs):
                from nbformat.v4 import new_output

                note = new_output("stream", name="stdout", text=f"\n[output cut at {self.output_cap} characters]\n")
                note["name"] = "gmg-cut"
                outs.append(note)
            return None
        return super().output(outs, msg, display_id, cell_index)


def _size(out) -> int:
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    if out.get("output_type") == "error":
        return len(out.get("evalue", "")) + sum(map(len, out.get("traceback", [])))
    return sum(len(str(value)) for value in out.get("data", {}).values())


def cell_text(cell) -> str:
    """What a cell showed: printed lines, or the error's message (never a traceback)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", "").rstrip())
        elif output.get("output_type") == "error":
            message = output.get("evalue", "") if output.get("ename") == "CheckFailed" else \
                f"{output.get('ename')}: {output.get('evalue', '')}"
            parts.append(message if message.startswith("✗") else f"✗ {message}")
    return "\n".join(p for p in parts if p)[:OUTPUT_CAP]


def run_cells(nb, sandbox: Sandbox, timeout: float, replay_skip: set[int], max_restarts: int = 3) -> RunLog:
    """Execute every cell of ``nb`` (changing ``nb``'s outputs); cells in ``replay_skip`` are not re-run after
    a restart."""
    log = RunLog()
    index, failed_starts = 0, 0
    while index < len(nb.cells):
        index, ready = _run_from(nb, index, sandbox, timeout, replay_skip, log)
        if not ready:  # the kernel never started: not the student's doing, try again
            failed_starts += 1
            if failed_starts < 3:
                log.cells.pop(index, None)
                time.sleep(1)
                continue
            log.notes.append("a kernel would not start three times in a row; later cells were not run")
            for rest in range(index, len(nb.cells)):
                log.cells[rest] = CellRun("not run")
            break
        failed_starts = 0
        if index < len(nb.cells):  # the kernel was lost at ``index``
            if log.restarts >= max_restarts:
                log.notes.append(f"stopped after {log.restarts} kernel restarts; later cells were not run")
                for rest in range(index + 1, len(nb.cells)):
                    log.cells[rest] = CellRun("not run")
                break
            log.restarts += 1
            index += 1
    return log


def _run_from(nb, start: int, sandbox: Sandbox, timeout: float, replay_skip: set[int], log: RunLog):
    """Start a kernel, replay what completed before ``start``, run on; (the index of a lost cell, or len(cells);
    whether the kernel started at all)."""
    km = sandbox.kernel_manager()
    client = CappedClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", km=km,
                          resources={"metadata": {"path": str(sandbox.folder)}})
    replies: dict[int, str] = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.__setitem__(
        cell_index, execute_reply["content"]["status"])
    where = {"index": start, "replaying": start > 0, "ready": False}
    try:
        with client.setup_kernel(env=sandbox.launch_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 cwd=str(sandbox.folder)):
            where["ready"] = True
            for earlier in range(start):
                if log.cells[earlier].status in ("ok", "error") and earlier not in replay_skip:
                    saved = nb.cells[earlier].get("outputs")
                    client.execute_cell(nb.cells[earlier], earlier)
                    nb.cells[earlier]["outputs"] = saved
            where["replaying"] = False
            for index in range(start, len(nb.cells)):
                where["index"] = index
                client.execute_cell(nb.cells[index], index)
                status = "ok" if replies.get(index) == "ok" else "error"
                log.cells[index] = CellRun(status, cell_text(nb.cells[index]))
        return len(nb.cells), True
    except CellTimeoutError:
        lost = CellRun("timeout", f"stopped after the time limit of {timeout:g} s")
    except DeadKernelError:
        lost = CellRun("died", "the kernel died (out of memory, os._exit() or a crash)")
    except Exception as err:  # the kernel did not start or stopped answering: this cell is lost, not the class
        lost = CellRun("died", f"the kernel stopped answering ({type(err).__name__}: {err})"[:300])
    finally:
        sandbox.stop(km)
    if not where["ready"]:
        return start, False
    if where["replaying"]:  # what ran before does not run again: give up on the rest
        log.notes.append(f"after a restart, the cells before cell {start + 1} did not run again ({lost.status}); "
                         "later cells were not run")
        for rest in range(start, len(nb.cells)):
            log.cells[rest] = CellRun("not run")
        return len(nb.cells), True
    log.cells[where["index"]] = lost
    return where["index"], True
