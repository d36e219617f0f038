"""Grade a class of 30 crafted submissions of the toy assignment with --jobs 1 and --jobs 2.

Run from the repository root:  python benchmarks/bench_grader.py [--timeout 5]

The class cycles through every crafted kind (correct, partly wrong, raising, hanging, broken files, moved, deleted
and duplicated cells, edited tests, tampering; see tests/fixtures/grading/crafted.py). Prints the wall time of each
run and the gradebook, and checks that both runs wrote the same gradebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
from crafted import CRAFTED  # noqa: E402

from gmg_teach.grading.grader import grade_class  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=5.0, help="time limit per notebook (the hanging ones)")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submitted"
        folder.mkdir()
        kinds = list(islice(cycle(sorted(CRAFTED)), args.students))
        for number, kind in enumerate(kinds, start=1):
            (folder / f"s{number:02d}_{kind}.ipynb").write_text(CRAFTED[kind](), encoding="utf-8")
        gradebooks = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"grades_jobs{jobs}.csv"
            start = time.perf_counter()
            grade_class([folder], "toy", out, solutions_dir=FIXTURES / "solutions", jobs=jobs, timeout=args.timeout)
            print(f"--jobs {jobs}: {args.students} submissions in {time.perf_counter() - start:.1f} s")
            gradebooks[jobs] = out.read_text(encoding="utf-8")
        print(gradebooks[2], end="")
        print("same gradebook with --jobs 1 and --jobs 2:", gradebooks[1] == gradebooks[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
