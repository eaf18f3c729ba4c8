"""How long ``tripposter --help`` takes to start, beside its peers measured in the same run.

Run as ``.venv/bin/python benchmarks/startup.py [--rounds N]``. Every row is a fresh interpreter,
run from an empty folder (so ``flask --help`` finds no app to load). The rounds are interleaved:
round 1 runs every row once, then round 2, and so on, so a busy moment on the machine falls on
all rows alike. Two figures per row, min and median over the rounds:

- wall: the whole process, start to exit, as a user waits for it;
- imports: the sum of the top-level imports that ``python -X importtime`` reports (a second run).

The last column says whether the row imported the face model's runtime (onnxruntime), the job
queue (huey) or the web app; ``tripposter --help`` must import none of them (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable
ROWS: dict[str, list[str]] = {
    "python -c pass (floor)": [PY, "-c", "pass"],
    "flask --help (peer)": [PY, "-m", "flask", "--help"],
    "tripposter --help": [PY, "-m", "tripposter.cli", "--help"],
    "worker's imports": [PY, "-c", "import tripposter.cli, tripposter.compose"],
    "web app's imports": [PY, "-c", "import tripposter.web.app"],
}
HEAVY = {"onnxruntime": "onnxruntime", "huey": "huey", "tripposter.web.app": "web app"}


def wall(cmd: list[str], cwd: str) -> float:
    """Seconds for one run of ``cmd``, start to exit."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def imports(cmd: list[str], cwd: str) -> tuple[float, set[str]]:
    """Seconds spent in top-level imports per ``-X importtime``, and every module imported."""
    proc = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], cwd=cwd, check=True, capture_output=True, text=True)
    total, names = 0, set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        names.add(name.strip())
        if not name.startswith("  "):  # a top-level import; nested ones are inside its cumulative time
            total += int(cumulative)
    return total / 1e6, names


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {label: [] for label in ROWS}
    times: dict[str, list[float]] = {label: [] for label in ROWS}
    heavy: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as empty:
        for label, cmd in ROWS.items():  # warm-up: the OS file cache, .pyc files
            wall(cmd, empty)
        for _ in range(args.rounds):
            for label, cmd in ROWS.items():
                walls[label].append(wall(cmd, empty))
                seconds, names = imports(cmd, empty)
                times[label].append(seconds)
                heavy[label] = {short for module, short in HEAVY.items() if module in names}
    print(f"{args.rounds} interleaved rounds after one warm-up, each row a fresh process; ms\n")
    print(f"{'command':<24} {'wall min':>9} {'wall med':>9} {'imports min':>12} {'imports med':>12}  imported")
    for label in ROWS:
        w, t = walls[label], times[label]
        print(
            f"{label:<24} {min(w) * 1000:>9.0f} {statistics.median(w) * 1000:>9.0f} "
            f"{min(t) * 1000:>12.0f} {statistics.median(t) * 1000:>12.0f}  {', '.join(sorted(heavy[label])) or '-'}"
        )
    ratio = statistics.median(walls["tripposter --help"]) / statistics.median(walls["flask --help (peer)"])
    print(f"\ntripposter --help takes {ratio:.2f}x the wall time of flask --help (medians).")


if __name__ == "__main__":
    main()
