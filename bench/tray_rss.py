"""Memory (and CPU) of the real tray app on a recording, in a private desktop session.

    python bench/tray_rss.py RECORDING [--calibration FILE] [--seconds S] [--python PY] [--json]

Not a test: it measures. It starts the session the desktop tests use (tests/desktop.py: Xvfb, a D-Bus
session bus, dunst and trayer), a fresh ``POSTUREGUARD_HOME``, and the real ``postureguard run --source
RECORDING`` in it (with ``--calibration FILE``, or a calibration made first by ``postureguard calibrate``
from the recording's first frames), and samples the app's ``/proc/<pid>/status`` once a second until
the recording has played (``--seconds``, default: its length) or the app ends. Then it ends the app
with SIGTERM and prints:

* ``rss_mb``: VmRSS (resident memory) when monitoring began (the log's "monitor: running"), its
  median and its last value while the recording played; ``peak_mb``: VmHWM (the kernel's high-water
  mark of VmRSS over the process's life); ``anon_mb``/``file_mb``: RssAnon and RssFile at the end
  (heap and native allocations against mapped libraries and the model file);
* ``threads``: the app's thread count at the end;
* ``cpu_percent_of_core``: the app's user+system CPU time (all threads, from ``/proc/<pid>/stat``)
  from "monitor: running" to the end, per second of wall time. It includes decoding every frame the
  recording is read for (a camera driver does part of that in live use) and the tray's own work;
  ``decode_cpu_percent`` is what reading the recording alone costs (measured here, in this process,
  the way the app reads it: every frame grabbed, one every 0.5 s decoded), and
  ``cpu_without_decode_percent`` the difference.

``--top N`` also lists the N busiest threads (CPU share while monitored, from
``/proc/<pid>/task/*/stat``) and the N largest parts of the resident memory at the end, from
``/proc/<pid>/smaps``: each mapped file (a shared library, the model) and ``[anon]`` for the rest.

``--python`` runs the app with another interpreter (the lock's venv: set ``PYTHONPATH=src`` so it
imports this tree). Memory is in MB of 1024 kB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from desktop import start_session  # noqa: E402

#: Seconds to wait for the app to start monitoring (model load on a loaded 2-core machine).
START_S = 120.0


def status(pid: int) -> dict[str, float]:
    """The kB fields of ``/proc/<pid>/status`` (VmRSS, VmHWM, RssAnon, ...) in MB, and Threads."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            out[key] = int(parts[0]) / 1024.0
        elif key == "Threads":
            out[key] = float(parts[0])
    return out


def resident_by_mapping(pid: int) -> dict[str, float]:
    """Resident MB per mapped file of ``pid`` (``[anon]``: heap, stacks and other anonymous memory)."""
    out: dict[str, float] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if not head:
            continue
        if not head[0].endswith(":"):  # a mapping's header: address perms offset dev inode [path]
            name = head[5] if len(head) > 5 and head[5].startswith("/") else "[anon]"
        elif head[0] == "Rss:":
            out[name] = out.get(name, 0.0) + int(head[1]) / 1024.0
    return out


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread of ``pid``, keyed ``"<tid> <name>"``."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[f"{task.name} {name}"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of every thread of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def recording_seconds(path: Path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
        return cap.get(cv2.CAP_PROP_FRAME_COUNT) / fps
    finally:
        cap.release()


def decode_cpu_percent(path: Path, seconds: float, check_s: float = 0.5) -> float:
    """CPU share of one core that reading ``path`` costs, the monitor's way, for ``seconds``."""
    from postureguard.vision.sources import open_source

    source = open_source([str(path)])
    next_t, last_t = 0.0, 0.0

    def want(t: float) -> bool:
        nonlocal next_t
        if t >= next_t - 1e-6:
            next_t = t + check_s
            return True
        return False

    c0 = time.process_time()
    try:
        for frame in source.frames(want):
            last_t = frame.t
            if frame.t >= seconds:
                break
    finally:
        source.close()
    return 100.0 * (time.process_time() - c0) / max(last_t, 1e-9)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recording", type=Path)
    ap.add_argument("--calibration", type=Path, help="upright reference (default: made from the recording)")
    ap.add_argument("--seconds", type=float, help="how long to monitor (default: the recording's length)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs the app")
    ap.add_argument("--top", type=int, default=0, metavar="N", help="list the N largest resident mappings")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    recording = args.recording.resolve()
    seconds = args.seconds or recording_seconds(recording)
    app_cmd = [args.python, "-m", "postureguard"]

    with tempfile.TemporaryDirectory(prefix="pg-tray-rss-") as tmp, start_session() as session:
        home = Path(tmp) / "home"
        env = {**session.env, "POSTUREGUARD_HOME": str(home)}
        cal = args.calibration
        if cal is None:
            cal = Path(tmp) / "cal.json"
            subprocess.run([*app_cmd, "calibrate", "--source", str(recording), "--out", str(cal)],
                           env=env, check=True, capture_output=True, timeout=START_S)  # fmt: skip
        app = session.popen([*app_cmd, "-v", "run", "--source", str(recording), "--calibration", str(cal)],
                            "tray-rss.log", env=env)  # fmt: skip
        try:
            deadline = time.monotonic() + START_S
            while "monitor: running" not in session.read_log("tray-rss.log"):
                if app.poll() is not None or time.monotonic() > deadline:
                    sys.stderr.write(session.read_log("tray-rss.log"))
                    raise SystemExit("the app did not start monitoring")
                time.sleep(0.1)
            t0, cpu0, threads0 = time.monotonic(), cpu_seconds(app.pid), thread_cpu(app.pid)
            first = status(app.pid)
            samples = [first]
            t1, cpu1 = t0, cpu0
            while time.monotonic() - t0 < seconds and app.poll() is None:
                time.sleep(1.0)
                samples.append(status(app.pid))
                cpu1, t1 = cpu_seconds(app.pid), time.monotonic()
            last = samples[-1]
            mappings = resident_by_mapping(app.pid) if args.top and app.poll() is None else {}
            threads1 = thread_cpu(app.pid) if args.top and app.poll() is None else {}
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
                app.wait(timeout=30)
    decode = decode_cpu_percent(recording, t1 - t0)
    cpu = 100.0 * (cpu1 - cpu0) / max(t1 - t0, 1e-9)
    result = {
        "recording": str(recording),
        "monitored_s": round(t1 - t0, 1),
        "rss_mb": {
            "start": round(first["VmRSS"], 1),
            "median": round(statistics.median(s["VmRSS"] for s in samples), 1),
            "end": round(last["VmRSS"], 1),
        },
        "peak_mb": round(last["VmHWM"], 1),
        "anon_mb": round(last["RssAnon"], 1),
        "file_mb": round(last["RssFile"], 1),
        "threads": int(last["Threads"]),
        "cpu_percent_of_core": round(cpu, 3),
        "decode_cpu_percent": round(decode, 3),
        "cpu_without_decode_percent": round(cpu - decode, 3),
        "busiest_threads_percent": {
            k: round(100.0 * (v - threads0.get(k, 0.0)) / max(t1 - t0, 1e-9), 3)
            for k, v in sorted(threads1.items(), key=lambda kv: threads0.get(kv[0], 0.0) - kv[1])[: args.top]
        },
        "largest_mb": {k: round(v, 1) for k, v in sorted(mappings.items(), key=lambda kv: -kv[1])[:args.top]},
        "python": args.python,
        "exit_status": app.returncode,
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        r = result
        sys.stdout.write(
            f"tray app on {recording.name} for {r['monitored_s']} s ({args.python})\n"
            f"RSS      {r['rss_mb']['start']} MB at start, {r['rss_mb']['median']} MB median, "
            f"{r['rss_mb']['end']} MB at the end; peak (VmHWM) {r['peak_mb']} MB\n"
            f"at end   {r['anon_mb']} MB anonymous, {r['file_mb']} MB file-backed, {r['threads']} threads\n"
            f"CPU      {r['cpu_percent_of_core']} % of one core; reading the recording alone "
            f"{r['decode_cpu_percent']} %, so {r['cpu_without_decode_percent']} % without it\n"
        )
        for name, share in r["busiest_threads_percent"].items():
            sys.stdout.write(f"  {share:7.3f} %   thread {name}\n")
        for name, mb in r["largest_mb"].items():
            sys.stdout.write(f"  {mb:7.1f} MB  {name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
