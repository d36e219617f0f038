"""Grade a crafted class of any assignment with --jobs 1 and --jobs 2: misgrades, wall time, peak grader memory.

Run from the repository root:
    python benchmarks/bench_grader.py                                  # the toy assignment of the tests
    python benchmarks/bench_grader.py --assignment 01_the_maze --timeout 60

The class is generated from ``solutions/<a>.ipynb`` and ``exercises/<a>.ipynb`` by tests/fixtures/grading/crafted.py
(correct, partial, untouched, raising / hanging / lying-__eq__ / deleted / moved / decoy / duplicated / re-flagged
answers for every exercise, os._exit, a stdout flood, a fork bomb, a 10 TB allocation, every tampering route,
invalid JSON, empty, another assignment, honest imports), at least 40 submissions, each with its expected points
(from the cell points) and status. The benchmark checks and prints:

- misgrades (expected vs gradebook), for both runs;
- that no file outside the grader's output changed: content hashes of every submission, the package and the
  instructor's files, and the environment's fingerprint, before and after;
- that a rerun gives a byte-identical gradebook, and --jobs 2 the same gradebook as --jobs 1;
- wall time per run, and the peak memory of the grader (PSS of its own processes, kernels excluded: shared pages
  of the fork()ed workers counted once), sampled every 0.1 s.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
from crafted import crafted_class, misgrades, read_source, write_class  # noqa: E402

from gmg_teach.grading import isolation  # noqa: E402
from gmg_teach.grading.grader import grade_class  # noqa: E402


def _pss(proc: Path) -> int:
    """Proportional set size: resident memory, pages shared between fork()ed workers counted once in all."""
    for line in (proc / "smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss_of_grader(root_pid: int) -> int:
    """Memory (PSS) of ``root_pid`` and its descendants that are not kernels (or their sandboxes)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            rss = _pss(entry)
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(stat[1]), []).append(int(entry.name))
        info[int(entry.name)] = (rss, cmd)
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        rss, cmd = info.get(pid, (0, ""))
        if "ipykernel_launcher" in cmd:
            continue  # a kernel (bwrap, prlimit, setpriv and the kernel itself): the student's, capped by --memory
        total += rss
        todo += children.get(pid, [])
    return total


class PeakMemory:
    def __enter__(self):
        self.peak, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, _rss_of_grader(os.getpid()))

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _digests(paths) -> dict[str, str]:
    files = [p for top in paths for p in ([top] if top.is_file() else sorted(top.rglob("*"))) if p.is_file()
             and "__pycache__" not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="toy")
    parser.add_argument("--timeout", type=float, default=10.0, help="time limit per cell, seconds")
    args = parser.parse_args()
    if args.assignment == "toy":
        solutions, exercises = FIXTURES / "solutions", FIXTURES / "exercises"
    else:
        solutions, exercises = ROOT / "solutions", ROOT / "exercises"
    solution = solutions / f"{args.assignment}.ipynb"
    others = sorted(p for p in solutions.glob("*.ipynb") if p != solution)
    crafted = crafted_class(solution, exercises / f"{args.assignment}.ipynb", others[0] if others else None)
    source = read_source(solution)
    print(f"{args.assignment}: {len(crafted)} crafted submissions; sandbox: {isolation.sandbox_mode() or 'bubblewrap'}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="gmg-bench-") as tmp:
        tmp = Path(tmp)
        write_class(tmp / "submitted", crafted)
        watched = [tmp / "submitted", isolation.package_dir(), solutions, exercises]
        before = _digests(watched)
        environment = isolation.fingerprint(isolation.environment_paths())
        books = {}
        for label, jobs in (("jobs 1", 1), ("jobs 2", 2), ("jobs 2 again", 2)):
            out = tmp / f"{label.replace(' ', '_')}.csv"
            start = time.monotonic()
            with PeakMemory() as memory:
                grade_class([tmp / "submitted"], args.assignment, out, solutions_dir=solutions,
                            exercises_dir=exercises, jobs=jobs, timeout=args.timeout)
            wall = time.monotonic() - start
            with out.open(newline="", encoding="utf-8") as f:
                rows = {row["student"]: row for row in csv.DictReader(f)}
            wrong = misgrades(source, crafted, rows)
            failures += len(wrong)
            books[label] = out.read_bytes()
            print(f"{label:>13}: {wall:6.1f} s wall, grader peak memory {memory.peak / 2**20:6.0f} MB, "
                  f"{len(wrong)} misgrades")
            for line in wrong:
                print(f"    MISGRADE {line}")
        same_files = _digests(watched) == before
        same_env = isolation.changed_files(environment, isolation.fingerprint(isolation.environment_paths())) == []
        print(f"no file outside the grader's output changed: {same_files and same_env} "
              f"(submissions, package, instructor files: {same_files}; environment: {same_env})")
        print(f"--jobs 2 gives the --jobs 1 gradebook: {books['jobs 2'] == books['jobs 1']}; rerun byte-identical: "
              f"{books['jobs 2 again'] == books['jobs 2']}")
        failures += (not same_files) + (not same_env) + (books["jobs 2"] != books["jobs 1"]) + \
            (books["jobs 2 again"] != books["jobs 2"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
