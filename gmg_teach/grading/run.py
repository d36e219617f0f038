"""Run an assembled notebook cell by cell in a sandboxed kernel, with a time limit per cell and capped output.

Cells in ``in_grader`` (the instructor's tests) are decided in the grader's process, asking the kernel questions
(``remote``) through :class:`Asker`, one request at a time, within the cell's time limit. The kernel first runs the
cell's source as given (the grader passes the released, visible part: the helpers it defines exist in the kernel as
in the student's notebook); what that shows or raises counts for nothing.

A cell that runs past its limit, or kills its kernel (``os._exit``, a crash, running out of memory), costs that
cell: the kernel is replaced by a fresh one in the same private folder, the cells before it that completed are
run again (test cells excepted: their result is already known), and the run goes on with the next cell. After
``max_restarts`` replacements the remaining cells are not run. Output kept per cell is capped (``output_cap``
characters); the rest is dropped as it arrives, so a flood costs the grader neither memory nor disk.
"""

from __future__ import annotations

import queue
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .remote import ASKER_CODE, read_reply, request_code

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
    """nbclient's client, keeping only printed text and errors (at most ``output_cap`` characters per cell), no
    displays and no comm (widget) state: a flood of messages of any kind costs the grader no memory."""

    output_cap = OUTPUT_CAP

    def handle_comm_msg(self, outs, msg, cell_index):
        pass

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") not in ("stream", "error"):
            return None  # figures and displays: the grader reads only printed text and errors (``cell_text``)
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


class Asker:
    """Sends the grader's questions to one kernel (``remote.request_code``) and returns its decoded replies.

    The questions of one test cell share its time limit (``budget``: the time spent waiting on the kernel). A
    question not answered within it, or a dead kernel, loses the kernel: that question and every later one raise
    :class:`KernelLost`, and the runner replaces the kernel after the cell."""

    def __init__(self, client: NotebookClient, timeout: float):
        self.client, self.timeout = client, timeout
        self.lost: CellRun | None = None
        self.sent: set[str] = set()  # digests of the large arrays this kernel holds
        self.budget = timeout  # seconds left for the current test cell to wait on the kernel, all calls together

    def __call__(self, asked: dict) -> dict:
        if self.lost:
            raise KernelLost(self.lost.text)
        try:
            return read_reply(run_sync(self._ask)(asked))
        except (CellTimeoutError, DeadKernelError, KernelLost) as err:
            self.lost = CellRun("timeout" if isinstance(err, CellTimeoutError) else "died",
                                f"stopped after the time limit of {self.timeout:g} s"
                                if isinstance(err, CellTimeoutError) else
                                "the kernel died (out of memory, os._exit() or a crash)")
            raise KernelLost(self.lost.text) from None

    async def _ask(self, asked: dict) -> dict:
        msg_id = self.client.kc.execute(ASKER_CODE, silent=True, store_history=False, allow_stdin=False,
                            user_expressions={"r": request_code(asked, self.sent)})
        start = time.monotonic()
        deadline = start + max(0.0, self.budget)
        try:
            return await self._reply(msg_id, deadline)
        finally:
            self.budget -= time.monotonic() - start

    async def _reply(self, msg_id: str, deadline: float) -> dict:
        kc, km = self.client.kc, self.client.km
        while True:
            try:
                reply = await kc.get_shell_msg(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
            except queue.Empty:
                await self._drain()
                if time.monotonic() > deadline:
                    raise CellTimeoutError("timeout") from None
                if not await km.is_alive():
                    raise DeadKernelError("dead") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                await self._drain()
                return reply.get("content", {})

    async def _drain(self) -> None:
        """Drop what the kernel printed meanwhile (nobody reads it), so it never piles up."""
        for _ in range(10_000):
            try:
                await self.client.kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return


class KernelLost(Exception):
    """The kernel stopped answering the grader's questions (time limit, or it died)."""


def run_cells(nb, sandbox: Sandbox, timeout: float, in_grader: dict[int, Callable], max_restarts: int = 3) -> RunLog:
    """Execute every cell of ``nb`` in order (changing ``nb``'s outputs). A cell in ``in_grader`` runs as
    ``in_grader[index](ask) -> CellRun`` in this process instead of the kernel (and is not replayed after a
    restart)."""
    log = RunLog()
    index, failed_starts = 0, 0
    while index < len(nb.cells):
        index, ready = _run_from(nb, index, sandbox, timeout, in_grader, log)
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


def _run_from(nb, start: int, sandbox: Sandbox, timeout: float, in_grader, log: RunLog):
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
        # cleanup_kc: nbclient stops the client's channels (a heartbeat and two zmq threads) only when asked, since
        # it does not own this km; without it every submission left them behind in the grading process
        with client.setup_kernel(env=sandbox.launch_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 cwd=str(sandbox.folder), cleanup_kc=True):
            where["ready"] = True
            ask = Asker(client, timeout)
            for earlier in range(start):
                if log.cells[earlier].status in ("ok", "error") and earlier not in in_grader:
                    saved = nb.cells[earlier].get("outputs")
                    client.execute_cell(nb.cells[earlier], earlier)
                    nb.cells[earlier]["outputs"] = saved
            where["replaying"] = False
            for index in range(start, len(nb.cells)):
                where["index"] = index
                if index in in_grader:  # the visible part in the kernel (its helpers), result ignored; then the test
                    client.execute_cell(nb.cells[index], index)
                    ask.budget = timeout
                    log.cells[index] = in_grader[index](ask)
                    if ask.lost:
                        raise KernelLost(ask.lost.status)
                    continue
                client.execute_cell(nb.cells[index], index)
                status = "ok" if replies.get(index) == "ok" else "error"
                log.cells[index] = CellRun(status, cell_text(nb.cells[index]))
        return len(nb.cells), True
    except KernelLost:
        lost = ask.lost
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
