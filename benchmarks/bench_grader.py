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

``--nbgrader``: also time ``nbgrader autograde`` against ``gmg-teach grade --jobs 1`` on one class of at least 40
submissions, in this run: the crafted submissions that are safe to run unsandboxed (no ``a_`` attack: nbgrader
would let them rewrite files), topped up with copies of the correct one. Wall time and CPU time (this process and
its children, kernels included) of each, and their ratio. The machine's load average is printed with it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
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
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader autograde on the same class")
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
        if args.nbgrader:
            versus_nbgrader(tmp / "versus", crafted, args.assignment, solutions, exercises, args.timeout)
    return 1 if failures else 0


def _cpu() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def versus_nbgrader(root: Path, crafted, name: str, solutions: Path, exercises: Path, timeout: float) -> None:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    safe = {student: item for student, item in crafted.items() if not student.startswith("a_")}
    for k in range(max(0, 40 - len(safe))):
        safe[f"z_copy_{k}"] = crafted["correct"]
    expected = exercises / f"{name}.expected.json"
    course = root / "course"
    (course / "source" / name).mkdir(parents=True)
    shutil.copy(solutions / f"{name}.ipynb", course / "source" / name)
    shutil.copy(expected, course / "source" / name)
    write_class(root / "ours", safe)
    for student in safe:
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        shutil.copy(root / "ours" / f"{student}.ipynb", folder / f"{name}.ipynb")
        shutil.copy(expected, folder)
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_assignments = [dict(name=name)]
    config.CourseDirectory.db_students = [dict(id=student) for student in safe]
    config.ExecutePreprocessor.timeout = int(timeout)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # alembic
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.generate_assignment(name, force=True)
    load = os.getloadavg()
    wall, cpu = time.monotonic(), _cpu()
    for student in safe:
        api.autograde(name, student, force=True)
    theirs = time.monotonic() - wall, _cpu() - cpu
    wall, cpu = time.monotonic(), _cpu()
    grade_class([root / "ours"], name, root / "ours.csv", solutions_dir=solutions, exercises_dir=exercises, jobs=1,
                timeout=timeout)
    ours = time.monotonic() - wall, _cpu() - cpu
    print(f"versus nbgrader autograde, {len(safe)} submissions, one process each (load average before: "
          f"{load[0]:.1f}, after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  nbgrader autograde:      {theirs[0]:7.1f} s wall, {theirs[1]:7.1f} s CPU")
    print(f"  gmg-teach grade --jobs 1: {ours[0]:7.1f} s wall, {ours[1]:7.1f} s CPU (sandboxed)")
    print(f"  ratio gmg-teach / nbgrader: wall {ours[0] / theirs[0]:.2f}, CPU {ours[1] / theirs[1]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
