"""Peak memory of a process tree, sampled from /proc while a benchmark runs (Linux only).

Task processes of the LocalExecutor are short-lived forks; sampling every half second catches the
ones that live long enough to matter (a batch task runs for many seconds)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024) if hasattr(os, "sysconf") else 4096 / (1024 * 1024)


TICK_S = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def parse_stat(text: str) -> tuple[int, int, int, int]:
    """(pid, ppid, rss in pages, CPU ticks used: user + system) from a /proc/<pid>/stat line; the
    command name may hold spaces and ')'."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()  # fields[0] is field 3 of proc(5): state
    return pid, int(fields[1]), int(fields[21]), int(fields[11]) + int(fields[12])


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages divided among the processes sharing them, so that the
    sum over a tree of forks is not counted many times over as RSS would be."""
    try:
        for line in (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def descendants(parents: dict[int, int], roots: Iterable[int]) -> set[int]:
    """The roots and every process below them, from a pid -> ppid map."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [r for r in roots if r in parents]
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def role(cmdline: str) -> str:
    """What an Airflow process is, from its title: a task (the forked task runner), its supervisor
    (an executor worker), or a component."""
    if cmdline.startswith("docpipe bench loop worker"):
        return "loop"
    if "moto_server" in cmdline:
        return "moto"
    if cmdline.startswith("airflow worker -- LocalExecutor"):
        return "supervisor"
    if cmdline.startswith("airflow worker -- "):
        return "task"
    for component in ("scheduler", "dag-processor", "triggerer", "api-server", "api_server", "standalone"):
        if component in cmdline:
            return component
    return "other"


@dataclass
class TreeSampler:
    """Samples the RSS of every process under `roots` (and the roots) in a background thread.

    `peak_by_role` keeps the largest single-process RSS per role (see `role`); `peak_total_mb` the
    largest sum of PSS over the tree at one instant (every tenth sample); `cpu_by_role()` the CPU seconds each role used while
    sampled (a process's last half second before it exits is missed)."""

    roots: list[int]
    interval: float = 0.5
    peak_by_role: dict[str, float] = field(default_factory=dict)
    peak_total_mb: float = 0.0
    samples: int = 0
    examples: dict[str, set[str]] = field(default_factory=dict)  # a few process titles per role
    _cpu: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # pid -> (role, first, last ticks)
    _titles: dict[int, str] = field(default_factory=dict)  # pid -> last title seen
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        stats: dict[int, tuple[int, int, int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                text = (entry / "stat").read_text()
                pid, ppid, rss, ticks = parse_stat(text)
            except (OSError, ValueError, IndexError):
                continue
            stats[pid] = (ppid, rss, ticks)
        tree = descendants({pid: v[0] for pid, v in stats.items()}, self.roots)
        with_pss = self.samples % 10 == 0  # PSS walks the page tables: every tenth sample is enough
        total = 0.0
        for pid in tree:
            mb = stats[pid][1] * PAGE_MB
            if with_pss:
                total += pss_mb(pid)
            # Read the title every time: a fork keeps its parent's title (and short name) until it
            # renames itself, and an exiting process shows none (then keep the one it had).
            try:
                title = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                title = ""
            title = title or self._titles.get(pid, "")
            if not title:
                continue
            self._titles[pid] = title
            r = role(title)
            seen = self.examples.setdefault(r, set())
            if len(seen) < 5:
                seen.add(title[:120])
            self.peak_by_role[r] = max(self.peak_by_role.get(r, 0.0), mb)
            ticks = stats[pid][2]
            first = self._cpu[pid][1] if pid in self._cpu else (0 if self.samples else ticks)
            self._cpu[pid] = (r, first, ticks)
        if with_pss:
            self.peak_total_mb = max(self.peak_total_mb, total)
        self.samples += 1

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds per role since sampling began (processes already running then count from then)."""
        out: dict[str, float] = {}
        for r, first, last in self._cpu.values():
            out[r] = out.get(r, 0.0) + (last - first) * TICK_S
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.sample()
