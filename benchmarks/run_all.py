"""Run every benchmark in this folder (bench_*.py), each in its own process; print their results.

Usage: .venv/bin/python benchmarks/run_all.py [name-filter]
Each benchmark prints its measurements and the ratio to its target; this exits non-zero only if one crashes.
bench_dvc_report builds a DVC project first and runs six full reports (a few minutes on 2 cores); it compares
with the numbers in bench_dvc_report_baseline.json (recorded on the code before issue 10).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = argv[0] if argv else ""
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted not in script.stem:
            continue
        print(f"== {script.stem}", flush=True)
        done = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        if done.returncode != 0:
            failed.append(script.stem)
    if failed:
        print("crashed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
