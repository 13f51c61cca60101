"""The side-by-side benchmark: wsgiscope against the WSGI servers people use.

Started by bench/run.sh, which builds the release binary and the venv first. For every round,
every server, every app: start the server pinned to core 0, warm it up, then drive it with wrk
pinned to core 1 for each (connections, Connection: close) cell, reading the server's CPU time
from /proc before and after. Servers are interleaved (round 1 runs them all, then round 2 ...),
so a slow minute on a shared machine hurts every server a little instead of one a lot.

Settings, from the environment:
    DURATION=5      seconds per cell          ROUNDS=2     rounds (the best round is reported)
    WARMUP=1        seconds of warm-up        QUICK=1      hello app, -c16 with close, 2 s cells
    SERVERS=a,b     a subset of the servers   APPS=a,b     a subset of the apps
    CONNS=1,16      connection counts         CLOSE=yes,no with/without Connection: close
    WSGISCOPE_BIN=path  another wsgiscope binary (to compare builds)

Outputs: the table on stdout, and under target/bench/: latest.md (markdown, with date and
machine), latest.tsv (one row per cell, tab-separated, for scripts) and rounds.jsonl (every
measurement of every round).
"""
import datetime
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("WSGISCOPE_BIN") or os.path.join(ROOT, "target", "release", "wsgiscope")
VENV = os.path.join(ROOT, "target", "bench-venv")
PY = os.path.join(VENV, "bin", "python")
OUT = os.path.join(ROOT, "target", "bench")
SERVER_CORE, CLIENT_CORE = "0", "1"
HOST = "127.0.0.1"
TMUX = ["tmux", "-L", "wsgiscope-bench"]
# The inspector's pane: big enough for every view.
TMUX_SIZE = ["-x", "120", "-y", "40"]
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

QUICK = os.environ.get("QUICK") == "1"
DURATION = float(os.environ.get("DURATION", "2" if QUICK else "5"))
WARMUP = float(os.environ.get("WARMUP", "1"))
ROUNDS = int(os.environ.get("ROUNDS", "2"))


def env_list(name, default):
    value = os.environ.get(name)
    return value.split(",") if value else default


# name -> (file, gunicorn's module:callable, URL path, POST bytes)
APPS = {
    "hello": ("apps/hello.py", "hello:application", "/", 0),
    "echo": ("apps/echo.py", "echo:application", "/", 1024),
    "stream": ("apps/stream.py", "stream:application", "/?n=10", 0),
    "flask": ("apps/flask_app.py", "flask_app:app", "/hello/bench", 0),
}
SERVERS = ["wsgiscope", "wsgiscope+tui", "wsgiref", "werkzeug", "gunicorn", "waitress", "bjoern"]
APP_NAMES = env_list("APPS", ["hello"] if QUICK else list(APPS))
SERVER_NAMES = env_list("SERVERS", SERVERS)
CONNS = [int(c) for c in env_list("CONNS", ["16"] if QUICK else ["1", "16"])]
CLOSES = [c == "yes" for c in env_list("CLOSE", ["yes"] if QUICK else ["yes", "no"])]


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, limit=30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {limit} s")


class Server:
    """One server process serving one app, pinned to the server core."""

    def __init__(self, name, app):
        self.name, self.app = name, app
        self.port = free_port()
        path, gunicorn_app, _, _ = APPS[app]
        pin = ["taskset", "-c", SERVER_CORE]
        venv = ["--venv", VENV] if app == "flask" else []
        self.session = None
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        if name == "wsgiscope":
            cmd = [BIN, "--no-tui", "--port", str(self.port), *venv, path]
            self.proc = subprocess.Popen(pin + cmd, **quiet)
            self.pid = self.proc.pid
        elif name == "wsgiscope+tui":
            # The inspector needs a terminal: a tmux pane. The tmux server runs on the server
            # core too, since drawing the screen is part of the inspector's cost.
            self.session = f"bench-{self.port}"
            cmd = " ".join([BIN, "--port", str(self.port), *venv, path])
            subprocess.run(
                pin + TMUX + ["new-session", "-d", "-s", self.session, *TMUX_SIZE,
                              f"exec {cmd}"], check=True, cwd=ROOT)
            self.proc = None
            self.pid = int(subprocess.run(
                TMUX + ["list-panes", "-t", self.session, "-F", "#{pane_pid}"],
                check=True, capture_output=True, text=True).stdout.split()[0])
        elif name == "gunicorn":
            cmd = [os.path.join(VENV, "bin", "gunicorn"), "--workers", "1", "--worker-class",
                   "sync", "--bind", f"{HOST}:{self.port}", "--log-level", "warning",
                   "--chdir", os.path.join(ROOT, "apps"), gunicorn_app]
            self.proc = subprocess.Popen(pin + cmd, **quiet)
            self.pid = self.proc.pid
        else:
            cmd = [PY, os.path.join(ROOT, "bench", "serve.py"), name, str(self.port), path]
            self.proc = subprocess.Popen(pin + cmd, **quiet)
            self.pid = self.proc.pid
        wait_port(self.port)

    def pids(self):
        """The server process and its descendants (gunicorn's worker)."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self):
        """utime + stime of the server's processes, in seconds."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the command name: field 3 is state, so utime (14) and stime (15) are 11, 12.
            total += int(fields[11]) + int(fields[12])
        return total / TICKS

    def rss_mib(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * PAGE_KIB
            except OSError:
                continue
        return total / 1024

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.session:
            deadline = time.monotonic() + 5
            while os.path.exists(f"/proc/{self.pid}") and time.monotonic() < deadline:
                time.sleep(0.05)
            subprocess.run(TMUX + ["kill-session", "-t", self.session],
                           stderr=subprocess.DEVNULL)


def wrk(port, app, conns, close, seconds):
    _, _, path, post = APPS[app]
    cmd = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s",
           "--latency", "-s", os.path.join(ROOT, "bench", "wrk.lua")]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://{HOST}:{port}{path}")
    env = dict(os.environ, WRK_POST_BYTES=str(post))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[len("BENCH "):])
    raise RuntimeError(f"wrk gave no summary: {out.stdout}{out.stderr}")


def measure(server, conns, close):
    before = server.cpu_seconds()
    result = wrk(server.port, server.app, conns, close, DURATION)
    cpu = server.cpu_seconds() - before
    requests = result["requests"]
    socket_errors = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    return {
        "server": server.name, "app": server.app, "conns": conns, "close": close,
        "rps": requests / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
        "cpu_us_per_req": cpu * 1e6 / requests if requests else None,
        "rss_mib": server.rss_mib(), "requests": requests,
        "socket_errors": socket_errors, "non_2xx": result["status"],
    }


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return (f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def fmt(value, digits=1):
    return "—" if value is None else f"{value:,.{digits}f}"


def main():
    os.makedirs(OUT, exist_ok=True)
    cells = [(c, x) for c in CONNS for x in CLOSES]
    total = ROUNDS * len(SERVER_NAMES) * len(APP_NAMES) * (len(cells) * DURATION + WARMUP)
    print(f"# {ROUNDS} rounds x {len(SERVER_NAMES)} servers x {len(APP_NAMES)} apps x "
          f"{len(cells)} cells, {DURATION:g} s each: about {total / 60:.0f} min", flush=True)
    rows = []
    with open(os.path.join(OUT, "rounds.jsonl"), "w") as log:
        for round_no in range(1, ROUNDS + 1):
            for name in SERVER_NAMES:
                for app in APP_NAMES:
                    server = Server(name, app)
                    try:
                        # Warm-up: imports, caches, the first accept.
                        wrk(server.port, app, 16, True, WARMUP)
                        for conns, close in cells:
                            row = measure(server, conns, close)
                            row["round"] = round_no
                            rows.append(row)
                            log.write(json.dumps(row) + "\n")
                            log.flush()
                            print(f"round {round_no} {name:14} {app:6} c{conns:<2} "
                                  f"{'close' if close else 'keep '} {row['rps']:9.0f} req/s "
                                  f"p99 {row['p99_ms']:7.2f} ms cpu "
                                  f"{fmt(row['cpu_us_per_req'])} us/req", flush=True)
                    finally:
                        server.stop()
    report(rows)


def best(rows):
    """Per cell, the round with the highest req/s (its own latency, CPU and RSS with it)."""
    out = {}
    for row in rows:
        key = (row["app"], row["conns"], row["close"], row["server"])
        if key not in out or row["rps"] > out[key]["rps"]:
            out[key] = row
    return out


def report(rows):
    cells = best(rows)
    header = ["app", "conns", "close", "server", "req/s", "p50 ms", "p99 ms", "CPU µs/req",
              "RSS MiB", "errors", "non-2xx", "× wsgiref", "× bjoern"]
    table = []
    for app in APP_NAMES:
        for conns in CONNS:
            for close in CLOSES:
                ref = cells.get((app, conns, close, "wsgiref"))
                fast = cells.get((app, conns, close, "bjoern"))
                for name in SERVER_NAMES:
                    row = cells.get((app, conns, close, name))
                    if row is None:
                        continue
                    table.append([
                        app, str(conns), "yes" if close else "no", name, fmt(row["rps"], 0),
                        fmt(row["p50_ms"], 2), fmt(row["p99_ms"], 2),
                        fmt(row["cpu_us_per_req"]), fmt(row["rss_mib"]),
                        str(row["socket_errors"]), str(row["non_2xx"]),
                        fmt(row["rps"] / ref["rps"], 2) if ref else "—",
                        fmt(row["rps"] / fast["rps"], 2) if fast else "—",
                    ])
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    about = (f"{stamp}, {machine()}; server on core {SERVER_CORE}, wrk on core {CLIENT_CORE}; "
             f"{DURATION:g} s per cell, best of {ROUNDS} interleaved rounds (the round with the "
             f"highest req/s, with that round's latency, CPU and RSS)")
    widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
    print()
    print(about)
    for r in [header] + table:
        print("  ".join(c.rjust(w) if i >= 4 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    with open(os.path.join(OUT, "latest.tsv"), "w") as f:
        for r in [header] + table:
            f.write("\t".join(c.replace(",", "") for c in r) + "\n")
    with open(os.path.join(OUT, "latest.md"), "w") as f:
        f.write(f"{about}.\n\n")
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join("---:" if i >= 4 else "---" for i in range(len(header))) + "|\n")
        for r in table:
            f.write("| " + " | ".join(r) + " |\n")
    targets(cells)


def targets(cells):
    """The issue's targets, on the hello app with -c16 and Connection: close."""
    key = ("hello", 16, True)
    get = lambda name: cells.get(key + (name,))
    ours, tui, ref, fast = get("wsgiscope"), get("wsgiscope+tui"), get("wsgiref"), get("bjoern")
    if not ours:
        return
    lines = []
    if ref:
        ratio = ours["rps"] / ref["rps"]
        lines.append((ratio >= 2.5, f"req/s {ratio:.2f}x wsgiref's (target >= 2.5x)"))
    if fast and ours["cpu_us_per_req"] and fast["cpu_us_per_req"]:
        lines.append((ours["cpu_us_per_req"] <= fast["cpu_us_per_req"],
                      f"CPU {ours['cpu_us_per_req']:.1f} us/req, bjoern "
                      f"{fast['cpu_us_per_req']:.1f} (target <= bjoern's)"))
    lines.append((ours["p99_ms"] < 2, f"p99 {ours['p99_ms']:.2f} ms (target < 2 ms)"))
    if tui:
        ratio = tui["rps"] / ours["rps"]
        lines.append((ratio >= 0.8, f"with the inspector {ratio:.0%} of headless (target >= 80%)"))
    text = "\n".join(f"  {'PASS' if ok else 'MISS'}  {what}" for ok, what in lines)
    print("\nTargets (hello, -c16, Connection: close):\n" + text)
    with open(os.path.join(OUT, "latest.md"), "a") as f:
        f.write("\nTargets (hello, -c16, Connection: close):\n\n```\n" + text + "\n```\n")


if __name__ == "__main__":
    sys.exit(main())
