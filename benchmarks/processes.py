"""Measured processes: wall time, exit code and the peak memory of a whole process tree.

`measure` runs one command to completion under `TreeRssSampler`, which sums the RSS (and PSS) of
the process and all its descendants from /proc: the product's run process, its step processes
and dbt all count, as they would on a user's machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

# A measured command that runs longer than this is killed (with its process group) and fails.
PROCESS_TIMEOUT_S = 3600


class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_bytes = 0
        self.peak_processes = 0
        self.peak_breakdown: list[tuple[str, float]] = []  # (command, MB) at the peak
        self.peak_pss_bytes = 0
        self.samples = 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def sample(self) -> None:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # Fields after the command name (which may hold spaces): state ppid ... rss is 24th.
            fields = stat[stat.rindex(b")") + 2 :].split()
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * self._page
        tree, stack = [], [self.pid]
        while stack:
            pid = stack.pop()
            if pid in rss:
                tree.append(pid)
            stack.extend(children.get(pid, ()))
        total = sum(rss[pid] for pid in tree)
        self.samples += 1
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_processes = total, len(tree)
            self.peak_breakdown = [(_cmdline(pid), rss[pid] / 2**20) for pid in tree]
        # PSS splits pages shared by forked processes (forkserver and its steps) between them,
        # so its sum does not count them twice as the RSS sum does. Informational.
        self.peak_pss_bytes = max(self.peak_pss_bytes, sum(_pss(pid) for pid in tree))


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:120]


def measure(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    timeout_s: float = PROCESS_TIMEOUT_S,
) -> dict[str, Any]:
    """Run `cmd` to completion, or kill it after `timeout_s` (`timed_out`); wall seconds, exit
    code, peak tree RSS, output in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # The machine's load average around the measurement: other work on the machine (the measured
    # tree adds its own ~1-2) makes both the floor and the product slower, unevenly.
    load_before = os.getloadavg()
    with log.open("wb") as out:
        started_at = time.time()
        t0 = time.perf_counter()
        process = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = TreeRssSampler(process.pid)
        sampler.start()
        timed_out = False
        try:
            rc = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)  # our own session: the process we started
            process.wait()
            rc = -signal.SIGKILL
        seconds = time.perf_counter() - t0
        ended_at = time.time()
        sampler.stop()
    return {
        "seconds": seconds,
        "returncode": rc,
        "timed_out": timed_out,
        "started_at": started_at,
        "ended_at": ended_at,
        "peak_rss_mb": sampler.peak_bytes / 2**20,
        "peak_pss_mb": sampler.peak_pss_bytes / 2**20,
        "peak_processes": sampler.peak_processes,
        "peak_rss_by_process_mb": [
            {"cmd": cmd, "mb": round(mb, 1)} for cmd, mb in sampler.peak_breakdown
        ],
        "rss_samples": sampler.samples,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "log": str(log),
    }
