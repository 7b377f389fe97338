"""Benchmark harness: serve a WSGI app with gunicorn in a subprocess, load it with wrk from another
process, read memory from /proc, and print a table of figures with their ratio to a baseline measured
in the same run on the same machine.

Used by the ``bench/bench_*.py`` scripts; each runs with one command, e.g.
``.venv/bin/python bench/bench_vote.py``.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"  # git-ignored: raw JSON of each run
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WRK = shutil.which("wrk") or "/usr/bin/wrk"

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPU, {mem_gb:.0f} GB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


# --------------------------------------------------------------------------- servers

class Server:
    """``gunicorn`` serving ``app_spec`` (``module:attr``) on a free port, as a context manager.

    ``env`` is added to the environment (the app reads its settings from there, or from
    ``BENCH_APP_CONFIG`` in ``bench/wsgi_contest.py``). ``ready_path`` is polled until it answers.
    """

    def __init__(self, app_spec: str, *, env: Optional[dict] = None, workers: int = 4,
                 ready_path: str = "/", timeout: int = 300, extra_args: Iterable[str] = ()):
        self.app_spec = app_spec
        self.port = free_port()
        self.env = dict(os.environ, **(env or {}))
        self.env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), str(BENCH_DIR)])
        self.workers = workers
        self.ready_path = ready_path
        self.timeout = timeout
        self.extra_args = list(extra_args)
        self.proc: Optional[subprocess.Popen] = None
        self._log = tempfile.TemporaryFile()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> "Server":
        cmd = [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "--worker-class", "sync", "--timeout", str(self.timeout), "--log-level", "warning",
               "--backlog", "2048", *self.extra_args, self.app_spec]
        self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=5) as resp:
                    resp.read()
                if len(self.worker_pids()) >= self.workers:
                    return self
            except urllib.error.HTTPError:
                if len(self.worker_pids()) >= self.workers:
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.app_spec} did not answer on {self.ready_path}:\n{self.log()}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def worker_pids(self) -> list[int]:
        if not self.proc:
            return []
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                pids += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return pids

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc/<pid>/stat."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime and stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, *, window: float = 0.5, busy: float = 0.02, timeout: float = 60.0) -> float:
        """Wait until the workers have worked off what an earlier run left queued, and return the seconds
        waited. When wrk stops, the requests it had sent are still in the workers' accept queue and are
        served afterwards: a slow page run before a measured run would otherwise delay the measured
        run's first requests (its p99 then shows the previous run, not the endpoint). Idle means the
        workers used less than ``busy`` CPU seconds over ``window`` seconds."""
        start = time.monotonic()
        last = self.cpu_seconds()
        while time.monotonic() - start < timeout:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - last < busy:
                return time.monotonic() - start
            last = now
        raise RuntimeError(f"the server did not become idle within {timeout:.0f} s")


def proc_status_kb(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM, ...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- wrk

# Counts responses by status in each thread and prints one JSON line at the end; the main
# script (GET/POST requests) is prepended. Status codes wrk itself counts as errors are in
# summary.errors.status (>= 400).
_WRK_COUNTERS = r"""
local __threads = {}
function setup(thread)
  table.insert(__threads, thread)
  if __setup then __setup(thread, #__threads) end
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok2xx = (ok2xx or 0) + 1
  elseif status >= 300 and status < 400 then ok3xx = (ok3xx or 0) + 1
  else bad = (bad or 0) + 1
    if not first_bad then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
  end
  if __response then __response(status, headers, body) end
end
function done(summary, latency, requests)
  local c2, c3, cb, fb = 0, 0, 0, nil
  for _, t in ipairs(__threads) do
    c2 = c2 + (t:get("ok2xx") or 0)
    c3 = c3 + (t:get("ok3xx") or 0)
    cb = cb + (t:get("bad") or 0)
    fb = fb or t:get("first_bad")
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "s2xx": %d, "s3xx": %d, "sbad": %d, ' ..
    '"err_connect": %d, "err_read": %d, "err_write": %d, "err_timeout": %d, "err_status": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, c2, c3, cb, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  if fb then io.write("BENCH_FIRST_BAD " .. string.gsub(fb, "\n", " ") .. "\n") end
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal (long brackets cannot hold every value; escape instead)."""
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) > 126:
            out.extend(f"\\{b}" for b in ch.encode())
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def post_rotation_script(requests: list[tuple[str, dict, str]]) -> str:
    """A wrk script sending POSTs that rotate over ``requests`` = [(path, headers, body), ...].

    Each wrk thread starts at a different offset and walks the list; a thread ``i`` of ``n``
    takes the items ``i, i+n, i+2n, ...`` so that two threads never send the same item at once.
    """
    rows = []
    for path, headers, body in requests:
        hdr = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        rows.append(f"  {{{lua_string(path)}, {{{hdr}}}, {lua_string(body)}}},")
    return (
        "local items = {\n" + "\n".join(rows) + "\n}\n"
        "local __nthreads = 1\n"
        "function __setup(thread, index) thread:set('tid', index - 1) end\n"
        "function init(args) __nthreads = tonumber(args[1] or '1'); __i = tid or 0 end\n"
        "function request()\n"
        "  local it = items[(__i % #items) + 1]\n"
        "  __i = __i + __nthreads\n"
        "  return wrk.format('POST', it[1], it[2], it[3])\n"
        "end\n"
    )


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    s2xx: int
    s3xx: int
    sbad: int
    socket_errors: int
    first_bad: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.s2xx + self.s3xx


def summarize_rounds(results: list[WrkResult]) -> dict:
    """The figures of several short wrk runs of one server as one: medians of the rounds' p50 and p99,
    requests and 2xx answers per second over all rounds, the 2xx count, and every bad answer."""
    seconds = sum(r.seconds for r in results)
    return {"p50": statistics.median(r.p50_ms for r in results),
            "p99": statistics.median(r.p99_ms for r in results),
            "rps": sum(r.requests for r in results) / seconds,
            "rate_2xx": sum(r.s2xx for r in results) / seconds,
            "s2xx": sum(r.s2xx for r in results),
            "bad": sum(r.sbad + r.socket_errors for r in results)}


def run_wrk(url: str, *, connections: int = 32, threads: int = 2, duration: float = 10,
            script: str = "", timeout: float = 30) -> WrkResult:
    """Run wrk against ``url`` (a GET unless ``script`` defines ``request``) and parse its figures.

    Raises RuntimeError when wrk fails or prints no summary.
    """
    if not os.path.exists(WRK):
        raise RuntimeError("wrk is not installed (Debian package wrk; see scripts/system-deps.sh)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + "\n" + _WRK_COUNTERS)
        path = fh.name
    try:
        cmd = [WRK, "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{int(round(duration))}s",
               "--timeout", f"{int(timeout)}s", "-s", path, url, "--", str(threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout + 60)
    finally:
        os.unlink(path)
    out = proc.stdout
    match = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{proc.stderr}")
    data = json.loads(match.group(1))
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    seconds = data["duration_us"] / 1e6
    rps = float(rps_match.group(1)) if rps_match else data["requests"] / seconds
    bad = re.search(r"^BENCH_FIRST_BAD (.*)$", out, re.M)
    return WrkResult(
        requests=data["requests"], seconds=seconds, rps=rps,
        p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000, s2xx=data["s2xx"], s3xx=data["s3xx"], sbad=data["sbad"],
        socket_errors=data["err_connect"] + data["err_read"] + data["err_write"] + data["err_timeout"],
        first_bad=bad.group(1) if bad else "", raw=data)


# --------------------------------------------------------------------------- reporting

@dataclass
class Row:
    """One line of the result table: a measured value, the baseline's, and the target on the ratio."""
    metric: str
    value: float
    unit: str
    baseline: Optional[float] = None
    target: str = ""  # e.g. ">= 0.6" or "<= 2.0" applied to value / baseline (or to value itself)
    on_ratio: bool = True

    @property
    def ratio(self) -> Optional[float]:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def passed(self) -> Optional[bool]:
        if not self.target:
            return None
        op, limit = self.target.split()
        subject = self.ratio if self.on_ratio else self.value
        if subject is None:
            return None
        return subject >= float(limit) if op == ">=" else subject <= float(limit)


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def print_table(title: str, rows: list[Row], notes: Iterable[str] = ()) -> str:
    """Print (and return) a Markdown table; also saved as JSON under bench/out/."""
    head = ["metric", "measured", "baseline", "ratio", "target", "ok"]
    lines = [f"### {title}", "", f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {machine()}", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        target = (("ratio " if r.on_ratio else "") + r.target) if r.target else ""
        ok = {None: "", True: "yes", False: "NO"}[r.passed]
        lines.append(f"| {r.metric} | {_fmt(r.value)} {r.unit} | "
                     f"{_fmt(r.baseline) + ' ' + r.unit if r.baseline is not None else '—'} | "
                     f"{_fmt(r.ratio) + '×' if r.ratio is not None else '—'} | {target} | {ok} |")
    notes = list(notes)
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    text = "\n".join(lines)
    print(text, flush=True)
    OUT_DIR.mkdir(exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "bench"
    (OUT_DIR / f"{name}.json").write_text(json.dumps(
        {"title": title, "machine": machine(), "at": datetime.now(timezone.utc).isoformat(),
         "rows": [dict(r.__dict__, ratio=r.ratio, passed=r.passed) for r in rows], "notes": notes},
        ensure_ascii=False, indent=2))
    return text


def settle(read, *, quiet: float = 2.0, timeout: float = 120.0):
    """Call ``read()`` until its value stays the same for ``quiet`` seconds (requests that wrk sent
    but stopped waiting for are still being served); return the last value."""
    last, since = read(), time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)
