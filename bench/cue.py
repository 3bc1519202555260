"""What the on-screen cue costs: start-up, show and hide latency, memory and CPU of its process.

    DISPLAY=:0 python bench/cue.py [--rounds 20] [--idle 5]

Runs the real ``postureguard cue`` process (as the tray app starts it) on the X display in ``DISPLAY``
(a desktop, or ``xvfb-run``) and drives it through its stdin protocol. Prints: seconds from start to
``ready``; milliseconds from ``show`` to ``shown`` and ``hide`` to ``hidden`` (median and worst of the
rounds; ``shown`` is answered once GTK has the windows made and asked to map them, the first time
included); the process's resident memory (MB) idle
and while shown; and its CPU time (ms) during ``--idle`` seconds with the cue on screen, which should
stay near zero (nothing redraws while it stands).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds shown without changes, for CPU")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("cue bench: needs an X display (DISPLAY), e.g. xvfb-run python bench/cue.py")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "postureguard", "cue"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None

    def ask(line: str, want: str) -> float:
        start = time.perf_counter()
        proc.stdin.write(line + "\n")
        answer = proc.stdout.readline().strip()
        if not answer.startswith(want):
            sys.exit(f"cue bench: expected {want!r}, got {answer!r}")
        return (time.perf_counter() - start) * 1000

    first = proc.stdout.readline().strip()
    if first != "ready":
        sys.exit(f"cue bench: the cue did not start: {first!r}")
    ready_s = time.perf_counter() - t0
    idle_rss = rss_mb(proc.pid)
    shows, hides = [], []
    for _ in range(args.rounds):
        shows.append(ask("show posture all 60", "shown"))
        time.sleep(0.05)
        hides.append(ask("hide", "hidden"))
        time.sleep(0.7)  # a fade with a compositor takes 600 ms
    ask("show posture all 60", "shown")
    time.sleep(1.0)
    shown_rss = rss_mb(proc.pid)
    before = cpu_ms(proc.pid)
    time.sleep(args.idle)
    idle_cpu = cpu_ms(proc.pid) - before
    ask("hide", "hidden")
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    proc.wait(timeout=10)
    print(f"cue process ready after      {ready_s:.2f} s")
    print(f"show -> shown                median {statistics.median(shows):.1f} ms, worst {max(shows):.1f} ms"
          f" ({args.rounds} rounds)")  # fmt: skip
    print(f"hide -> hidden               median {statistics.median(hides):.1f} ms, worst {max(hides):.1f} ms")
    print(f"resident memory              {idle_rss:.0f} MB idle, {shown_rss:.0f} MB shown")
    print(f"CPU while shown, {args.idle:.0f} s        {idle_cpu:.0f} ms")


if __name__ == "__main__":
    main()
