"""Run PyTorch's operator database against mushin and report each entry's outcome.

    python scripts/op_db_report.py                      # every entry, a summary at the end
    python scripts/op_db_report.py --only add,argmax    # these names (all their variants)
    python scripts/op_db_report.py --write-passing      # also rewrite tests/op_db_passing.txt

An entry passes when every float64 sample (int64 or bool for integer-only ops) gives
PyTorch's values and gradients (see tests/op_db.py). Needs torch and expecttest.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import op_db  # noqa: E402  (tests/op_db.py)

PASSING = ROOT / "tests" / "op_db_passing.txt"


def _run(index: int) -> tuple[str, str, str]:
    opinfo = op_db.op_db()[index]
    summary, outcomes = op_db.run_entry(opinfo)
    detail = next((f"{outcome.status}: {outcome.detail}" for outcome in outcomes
                   if outcome.status == summary), "")
    return op_db.entry_name(opinfo), summary, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated op names")
    parser.add_argument("--write-passing", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quiet", action="store_true", help="print only failing entries")
    options = parser.parse_args()
    database = op_db.op_db()
    wanted = set(options.only.split(",")) if options.only else None
    indices = [index for index, opinfo in enumerate(database)
               if wanted is None or opinfo.name in wanted]
    with multiprocessing.Pool(options.jobs) as pool:
        results = pool.map(_run, indices, chunksize=4)
    counts = collections.Counter(summary for _, summary, _ in results)
    for name, summary, detail in results:
        if not (options.quiet and summary in ("pass", "missing")):
            print(f"{name:40} {summary:10} {detail}"[:240])
    print(", ".join(f"{status}: {count}" for status, count in counts.most_common()),
          f"(of {len(results)})")
    if options.write_passing:
        passing = sorted(name for name, summary, _ in results if summary == "pass")
        PASSING.write_text("".join(f"{name}\n" for name in passing))
        print(f"{len(passing)} entries written to {PASSING.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
