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
    IDLE=256        idle connections in the "idle" cell (0 leaves the cell out)
    IDLE_SERVERS=wsgiscope,bjoern,gunicorn,waitress   the servers that get the idle cell
    WSGISCOPE_BIN=path  another wsgiscope binary (to compare builds)

The idle cell (hello app only): bench/idle.py, pinned to wrk's core, opens IDLE connections
that send nothing and holds them while `wrk -c16 -H 'Connection: close'` runs, as a browser's
preconnects or a silent telnet would. It comes after the server's plain cells and is compared
with the plain -c16 close cell of the same round (measured for it if CONNS or CLOSE left it
out). Before wrk starts, /proc/net/tcp and the server's descriptors tell how many of the idle
sockets the server accepted and how many wait in its listen queue; afterwards the helper
counts how many the server closed meanwhile. wrk's --timeout is 2 s, and wrk is killed if it
has not ended 20 s after its cell should have (it can hang in its first connect() when a
stalled server's listen queue is full), so a server that stalls (gunicorn's sync worker, or
wsgiscope --one-at-a-time) costs its cell and little more.

Outputs: the table on stdout, and under target/bench/: latest.md (markdown, with date and
machine), latest.tsv (one row per cell, tab-separated, for scripts), latest-idle.tsv (the idle
table) and rounds.jsonl (every measurement of every round, with its noise gauges).
"""
import datetime
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

from idle import Lines, server_sockets  # bench/idle.py: the idle cell's helper

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
IDLE = int(os.environ.get("IDLE", "256"))
IDLE_SERVERS = env_list("IDLE_SERVERS", ["wsgiscope", "bjoern", "gunicorn", "waitress"])
# The cell the idle one is compared with, and run beside: hello, -c16, Connection: close.
IDLE_APP, IDLE_CONNS, IDLE_CLOSE = "hello", 16, True
# A round is quiet for the idle comparison when other work took at most this % of either core.
QUIET = 10
# wrk's own default, written out: a request not answered in 2 s counts as a timeout.
WRK_TIMEOUT = "2s"


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
        self.summary = None
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        if name == "wsgiscope":
            # The access log (stdout) goes to /dev/null; the banner and the exit summary
            # ("Idle connections closed: ...") to a file, read in stop().
            self.stderr_path = os.path.join(OUT, f"wsgiscope-{self.port}.stderr")
            # --keep-alive: persistent connections where the client keeps them (the keep-alive
            # cells); with Connection: close the server closes after each response as ever.
            cmd = [BIN, "--no-tui", "--keep-alive", "--port", str(self.port), *venv, path]
            with open(self.stderr_path, "w") as err:
                self.proc = subprocess.Popen(pin + cmd, **dict(quiet, stderr=err))
            self.pid = self.proc.pid
        elif name == "wsgiscope+tui":
            # The inspector needs a terminal: a tmux pane. The tmux server runs on the server
            # core too, since drawing the screen is part of the inspector's cost.
            self.session = f"bench-{self.port}"
            cmd = " ".join([BIN, "--keep-alive", "--port", str(self.port), *venv, path])
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

    def sockets(self):
        """(established, accepted) on the server's port: see bench/idle.py."""
        return server_sockets(self.port, self.pids())

    def stop(self):
        # Collected first: if the main process must be killed, its children go too (gunicorn's
        # worker would otherwise outlive its arbiter).
        pids = self.pids()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.session:
            deadline = time.monotonic() + 5
            while os.path.exists(f"/proc/{self.pid}") and time.monotonic() < deadline:
                time.sleep(0.05)
            subprocess.run(TMUX + ["kill-session", "-t", self.session],
                           stderr=subprocess.DEVNULL)
        for pid in pids[1:]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.name == "wsgiscope":
            with open(self.stderr_path) as f:
                text = f.read()
            os.remove(self.stderr_path)
            found = re.search(r"Idle connections closed: (\d+) after --timeout, (\d+) to make "
                              r"room \(--max-connections\), (\d+) by the client", text)
            self.summary = found and dict(zip(("timed_out", "made_room", "by_client"),
                                              map(int, found.groups())))


def wrk(port, app, conns, close, seconds):
    _, _, path, post = APPS[app]
    cmd = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s",
           "--timeout", WRK_TIMEOUT, "--latency", "-s", os.path.join(ROOT, "bench", "wrk.lua")]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://{HOST}:{port}{path}")
    env = dict(os.environ, WRK_POST_BYTES=str(post))
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 20)
    except subprocess.TimeoutExpired:
        # wrk makes one blocking connect() before it starts: against a server whose listen
        # queue is full (a stalled server and enough idle sockets) it waits for the kernel's
        # SYN retries, about two minutes. subprocess.run has killed it; the cell got nothing.
        return {"requests": 0, "duration_us": int(seconds * 1e6), "bytes": 0, "p50_us": 0,
                "p99_us": 0, "connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0,
                "hung": True}
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[len("BENCH "):])
    raise RuntimeError(f"wrk gave no summary: {out.stdout}{out.stderr}")


def read_line(lines, prefix, limit):
    """The helper's next line, which must start with prefix, waiting at most limit seconds."""
    line = lines.next(limit)
    if not line or not line.startswith(prefix):
        raise RuntimeError(f"bench/idle.py said {line!r}, not {prefix} ...")
    return line.split()


class IdleSockets:
    """IDLE connections held open by bench/idle.py, pinned to the load generator's core."""

    def __init__(self, server, count):
        self.server = server
        base_established, base_accepted = server.sockets()
        self.proc = subprocess.Popen(
            ["taskset", "-c", CLIENT_CORE, sys.executable,
             os.path.join(ROOT, "bench", "idle.py"), str(server.port), str(count), HOST],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines = Lines(self.proc.stdout)
        # The helper gives up on connecting after 30 s in all.
        words = read_line(self.lines, "OPEN", 60)
        self.opened, self.failed = int(words[1]), int(words[3])
        # Give the server up to 3 s to accept them: until it holds them all, or until what
        # it holds stops changing (gunicorn's sync worker takes one and reads it).
        deadline, last, steady = time.monotonic() + 3, None, time.monotonic()
        while True:
            established, accepted = server.sockets()
            established -= base_established
            accepted -= base_accepted
            now = time.monotonic()
            if accepted != last:
                last, steady = accepted, now
            if (accepted >= self.opened or now > deadline
                    or (established >= self.opened and now - steady > 0.5)):
                break
            time.sleep(0.05)
        self.accepted = max(0, accepted)
        self.queued = max(0, established - accepted)
        self.dropped = None

    def close(self):
        """Ask the helper how many the server closed meanwhile, then close them all."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("close\n")
                self.proc.stdin.flush()
                self.dropped = int(read_line(self.lines, "DROPPED", 30)[1])
            finally:
                self.proc.stdin.close()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        # Let the server see the closes (wsgiscope counts them) before anything else runs.
        time.sleep(0.2)


def core_ticks():
    """Per core: (busy, total) clock ticks since boot, from /proc/stat. Busy is everything but
    idle and iowait, including steal (time the hypervisor gave to someone else)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *fields = line.split()
            if name in ("cpu" + SERVER_CORE, "cpu" + CLIENT_CORE):
                ticks = [int(x) for x in fields[:8]]
                out[name[3:]] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))
    return out


def children_cpu():
    """utime + stime of this process's reaped children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(server, conns, close, idle=0):
    held = IdleSockets(server, idle) if idle else None
    try:
        before, ticks, wrk_before = server.cpu_seconds(), core_ticks(), children_cpu()
        result = wrk(server.port, server.app, conns, close, DURATION)
        cpu = server.cpu_seconds() - before
        ticks_after, wrk_cpu = core_ticks(), children_cpu() - wrk_before
        rss = server.rss_mib()
    finally:
        if held:
            held.close()
    # How busy each core was with work that was neither the server nor wrk (other users of
    # the machine, steal): a noise gauge, in % of the core over the cell.
    others = {}
    for core, mine in ((SERVER_CORE, cpu), (CLIENT_CORE, wrk_cpu)):
        busy = ticks_after[core][0] - ticks[core][0]
        total = ticks_after[core][1] - ticks[core][1]
        others[core] = max(0.0, 100 * (busy / TICKS - mine) / (total / TICKS)) if total else None
    requests = result["requests"]
    seconds = result["duration_us"] / 1e6
    socket_errors = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    row = {
        "server": server.name, "app": server.app, "conns": conns, "close": close, "idle": idle,
        "rps": requests / seconds,
        # wrk reports 0 when nothing was answered: no latency then.
        "p50_ms": result["p50_us"] / 1000 if requests else None,
        "p99_ms": result["p99_us"] / 1000 if requests else None,
        "cpu_us_per_req": cpu * 1e6 / requests if requests else None,
        "rss_mib": rss, "requests": requests,
        "socket_errors": socket_errors, "timeouts": result["timeout"],
        "non_2xx": result["status"], "wrk_hung": result.get("hung", False),
        "others_server_core_pct": others[SERVER_CORE],
        "others_client_core_pct": others[CLIENT_CORE],
        # How much of its core each side used: the one near 100% is the bottleneck.
        "server_core_pct": 100 * cpu / seconds, "wrk_core_pct": 100 * wrk_cpu / seconds,
    }
    if held:
        row.update(idle_opened=held.opened, idle_failed=held.failed,
                   idle_accepted=held.accepted, idle_queued=held.queued,
                   idle_dropped=held.dropped)
    return row


def cells_for(name, app):
    """(connections, close, idle sockets) for each cell this server runs on this app, the
    idle cell last, after the plain cell it is compared with."""
    cells = [(c, x, 0) for c in CONNS for x in CLOSES]
    if IDLE > 0 and app == IDLE_APP and name in IDLE_SERVERS:
        if (IDLE_CONNS, IDLE_CLOSE, 0) not in cells:
            cells.append((IDLE_CONNS, IDLE_CLOSE, 0))
        cells.append((IDLE_CONNS, IDLE_CLOSE, IDLE))
    return cells


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
    # Every idle socket is a descriptor in the server (and in the helper): make room.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < IDLE + 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY
                                                    else IDLE + 1024, hard))
    plan = [(n, a) for n in SERVER_NAMES for a in APP_NAMES]
    cells = sum(len(cells_for(n, a)) for n, a in plan)
    total = ROUNDS * (cells * DURATION + len(plan) * WARMUP)
    print(f"# {ROUNDS} rounds x {cells} cells ({len(SERVER_NAMES)} servers, {len(APP_NAMES)} "
          f"apps), {DURATION:g} s each: about {total / 60:.0f} min", flush=True)
    rows = []
    with open(os.path.join(OUT, "rounds.jsonl"), "w") as log:
        for round_no in range(1, ROUNDS + 1):
            for name, app in plan:
                server = Server(name, app)
                done = []
                try:
                    # Warm-up: imports, caches, the first accept.
                    wrk(server.port, app, 16, True, WARMUP)
                    for conns, close, idle in cells_for(name, app):
                        row = measure(server, conns, close, idle)
                        row["round"] = round_no
                        done.append(row)
                        print(f"round {round_no} {name:14} {app:6} c{conns:<2} "
                              f"{'close' if close else 'keep '}"
                              f"{f' +{idle} idle' if idle else ''} {row['rps']:9.0f} req/s "
                              f"p99 {fmt(row['p99_ms'], 2):>7} ms cpu "
                              f"{fmt(row['cpu_us_per_req'])} us/req, cores used "
                              f"{use(row)}%, others on the cores "
                              f"{fmt(row['others_server_core_pct'], 0)}% / "
                              f"{fmt(row['others_client_core_pct'], 0)}%"
                              + (f"; errors {row['socket_errors']} (timeouts "
                                 f"{row['timeouts']}); idle accepted {row['idle_accepted']}, "
                                 f"queued {row['idle_queued']}, failed {row['idle_failed']}, "
                                 f"dropped {row['idle_dropped']}" if idle else "")
                              + ("; wrk hung and was killed" if row["wrk_hung"] else ""),
                              flush=True)
                finally:
                    server.stop()
                    # wsgiscope's own count of the connections closed before they sent a
                    # byte, from its exit summary. It covers this server's whole run: besides
                    # the idle sockets, the port probe and each wrk run's last few connections
                    # (opened, then closed unused when wrk stops) count as closed by the client.
                    for row in done:
                        if row["idle"] and server.summary:
                            row["idle_summary"] = server.summary
                        rows.append(row)
                        log.write(json.dumps(row) + "\n")
                    log.flush()
    report(rows)


def best(rows):
    """Per cell, the round with the highest req/s (its own latency, CPU and RSS with it)."""
    out = {}
    for row in rows:
        if row.get("idle"):
            continue
        key = (row["app"], row["conns"], row["close"], row["server"])
        if key not in out or row["rps"] > out[key]["rps"]:
            out[key] = row
    return out


def print_table(header, table):
    widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
    for r in [header] + table:
        print("  ".join(c.rjust(w) if i >= first_number(header) else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))


def first_number(header):
    """The columns before this one are text (left-aligned), the rest numbers."""
    return 4 if header[0] == "app" else 2


def write_tables(path_tsv, md, header, table):
    with open(path_tsv, "w") as f:
        for r in [header] + table:
            f.write("\t".join(c.replace(",", "") for c in r) + "\n")
    n = first_number(header)
    md.write("| " + " | ".join(header) + " |\n")
    md.write("|" + "|".join("---:" if i >= n else "---" for i in range(len(header))) + "|\n")
    for r in table:
        md.write("| " + " | ".join(r) + " |\n")


def disturbance(pair):
    """How much other work shared the cores with a (plain, idle) pair: the worst of its four
    noise gauges, in % (0 when unknown)."""
    return max(row.get(key) or 0 for row in pair
               for key in ("others_server_core_pct", "others_client_core_pct"))


def idle_pairs(rows):
    """Per server: (the quoted pair, every round's pairs, the quiet pairs) of the idle
    comparison, each pair (plain, idle) from one round: a plain cell slowed by a neighbour
    would flatter the ratio. Quiet: at most QUIET % of either core went to other work in both
    cells; with no quiet round, the least disturbed one stands in. The quoted pair is the
    quiet one with the median ratio (the lower of the two middle ones)."""
    plain = {(r["server"], r["round"]): r for r in rows
             if not r.get("idle") and (r["app"], r["conns"], r["close"])
             == (IDLE_APP, IDLE_CONNS, IDLE_CLOSE)}
    out = {}
    for r in rows:
        if r.get("idle") and (r["server"], r["round"]) in plain:
            out.setdefault(r["server"], []).append((plain[(r["server"], r["round"])], r))
    chosen = {}
    for name, pairs in out.items():
        quiet = [p for p in pairs if disturbance(p) <= QUIET] or [min(pairs, key=disturbance)]
        quiet.sort(key=lambda p: ratio(*p) or 0)
        chosen[name] = (quiet[(len(quiet) - 1) // 2], pairs, quiet)
    return chosen


def use(row):
    """How much of its core the server and wrk each used in one cell, in %."""
    return f"{fmt(row.get('server_core_pct'), 0)}/{fmt(row.get('wrk_core_pct'), 0)}"


def others(row):
    """The noise gauge of one cell: % of each core used by neither the server nor wrk."""
    return (f"{fmt(row.get('others_server_core_pct'), 0)}/"
            f"{fmt(row.get('others_client_core_pct'), 0)}")


def noise(rows):
    """One sentence on how busy the machine was besides the benchmark, over every cell."""
    parts = []
    for key, core in (("others_server_core_pct", SERVER_CORE),
                      ("others_client_core_pct", CLIENT_CORE)):
        values = sorted(r[key] for r in rows if r.get(key) is not None)
        if values:
            parts.append(f"core {core} median {values[len(values) // 2]:.0f}%, "
                         f"max {values[-1]:.0f}%")
    return ("other work on the cores during the cells (neither the server nor wrk): "
            + "; ".join(parts)) if parts else ""


def ratio(plain, idle):
    return idle["rps"] / plain["rps"] if plain["rps"] else None


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
    if noise(rows):
        about += f"; {noise(rows)}"
    print()
    print(about)
    print_table(header, table)
    md = open(os.path.join(OUT, "latest.md"), "w")
    with md:
        md.write(f"{about}.\n\n")
        write_tables(os.path.join(OUT, "latest.tsv"), md, header, table)
        pairs = idle_pairs(rows)
        if pairs:
            idle_report(pairs, md)
    targets(cells, pairs)


def idle_report(pairs, md):
    header = ["server", "round", "plain req/s", "plain p99 ms", "plain errors", "idle req/s",
              "idle p99 ms", "idle errors", "timeouts", "idle / plain", "every round",
              "CPU µs/req plain → idle", "server/wrk core % plain → idle",
              "others % plain → idle", "idle accepted", "queued", "failed", "dropped",
              "wsgiscope's count"]
    table = []
    for name in IDLE_SERVERS:
        if name not in pairs:
            continue
        (plain, idle), every, quiet = pairs[name]
        summary = idle.get("idle_summary")
        table.append([
            name, str(idle["round"]), fmt(plain["rps"], 0), fmt(plain["p99_ms"], 2),
            str(plain["socket_errors"]),
            fmt(idle["rps"], 0) + (" (wrk hung)" if idle.get("wrk_hung") else ""),
            fmt(idle["p99_ms"], 2),
            str(idle["socket_errors"]), str(idle["timeouts"]), fmt(ratio(plain, idle), 2),
            " ".join(fmt(ratio(p, i), 2) + ("*" if (p, i) in quiet else "")
                     for p, i in sorted(every, key=lambda x: x[1]["round"])),
            f"{fmt(plain['cpu_us_per_req'])} → {fmt(idle['cpu_us_per_req'])}",
            f"{use(plain)} → {use(idle)}",
            f"{others(plain)} → {others(idle)}",
            str(idle["idle_accepted"]), str(idle["idle_queued"]), str(idle["idle_failed"]),
            str(idle["idle_dropped"]),
            "—" if summary is None
            else "{timed_out} / {made_room} / {by_client}".format(**summary),
        ])
    close = " -H 'Connection: close'" if IDLE_CLOSE else ""
    title = (f"Idle connections: {IDLE} open while wrk -t1 -c{IDLE_CONNS}{close} runs on the "
             f"{IDLE_APP} app; plain and idle from the same round: of the quiet rounds (* in "
             f"'every round': other work took at most {QUIET}% of either core), the one with "
             f"the median ratio; the least disturbed round if none was quiet")
    note = ("accepted: idle sockets the server held a descriptor for before wrk started; "
            "queued: the rest, waiting in its listen queue; failed: connect() gave up; dropped: "
            "closed by the server during the cell; wsgiscope's count: its exit summary, idle "
            "connections closed after --timeout / to make room / by the client; server/wrk "
            "core %: how much of its core each used (near 100: the bottleneck); others %: how "
            "much of core 0 / core 1 went to neither the server nor wrk")
    print()
    print(title)
    print_table(header, table)
    print(note)
    md.write(f"\n{title}.\n\n")
    write_tables(os.path.join(OUT, "latest-idle.tsv"), md, header, table)
    md.write(f"\n{note[0].upper()}{note[1:]}.\n")


def targets(cells, pairs):
    """The issues' targets, on the hello app with -c16 and Connection: close."""
    key = ("hello", 16, True)
    get = lambda name: cells.get(key + (name,))
    ours, tui, ref, fast = get("wsgiscope"), get("wsgiscope+tui"), get("wsgiref"), get("bjoern")
    lines = []
    if ours and ref:
        times = ours["rps"] / ref["rps"]
        lines.append((times >= 2.5, f"req/s {times:.2f}x wsgiref's (target >= 2.5x)"))
    if ours and fast and ours["cpu_us_per_req"] and fast["cpu_us_per_req"]:
        lines.append((ours["cpu_us_per_req"] <= fast["cpu_us_per_req"],
                      f"CPU {ours['cpu_us_per_req']:.1f} us/req, bjoern "
                      f"{fast['cpu_us_per_req']:.1f} (target <= bjoern's)"))
    if ours:
        lines.append((ours["p99_ms"] < 2, f"p99 {ours['p99_ms']:.2f} ms (target < 2 ms)"))
    if ours and tui:
        share = tui["rps"] / ours["rps"]
        lines.append((share >= 0.8, f"with the inspector {share:.0%} of headless (target >= 80%)"))
    if "wsgiscope" in pairs:
        _, _, quiet = pairs["wsgiscope"]
        shares = [ratio(*p) or 0 for p in quiet]
        share = statistics.median(shares)
        lines.append((share >= 0.8, f"with {IDLE} idle connections {share:.0%} of plain req/s "
                                    f"in the same round, the median of {len(quiet)} quiet "
                                    f"rounds ({min(shares):.0%} to {max(shares):.0%}; target "
                                    f">= 80%)"))
        p99s = [p[1]["p99_ms"] if p[1]["p99_ms"] is not None else float("inf") for p in quiet]
        p99 = statistics.median(p99s)
        lines.append((p99 < 5, f"with {IDLE} idle connections p99 {fmt(p99, 2)} ms, the median "
                               f"of the same rounds ({fmt(min(p99s), 2)} to "
                               f"{fmt(max(p99s), 2)}; target < 5 ms)"))
    # Issue 10: --keep-alive, hello, -c16 without Connection: close, ahead of every peer's
    # keep-alive req/s in the same run, p99 under 2 ms.
    kept = lambda name: cells.get(("hello", 16, False, name))
    if kept("wsgiscope"):
        ours_kept = kept("wsgiscope")
        peers = {n: kept(n)["rps"] for n in ("gunicorn", "waitress", "bjoern") if kept(n)}
        if peers:
            best = max(peers, key=peers.get)
            lines.append((ours_kept["rps"] > peers[best],
                          f"--keep-alive {ours_kept['rps']:,.0f} req/s, the best peer {best} "
                          f"{peers[best]:,.0f} (target: ahead of every peer)"))
        lines.append((ours_kept["p99_ms"] is not None and ours_kept["p99_ms"] < 2,
                      f"--keep-alive p99 {fmt(ours_kept['p99_ms'], 2)} ms (target < 2 ms)"))
    if not lines:
        return
    text = "\n".join(f"  {'PASS' if ok else 'MISS'}  {what}" for ok, what in lines)
    print("\nTargets (hello, -c16, Connection: close):\n" + text)
    with open(os.path.join(OUT, "latest.md"), "a") as f:
        f.write("\nTargets (hello, -c16, Connection: close):\n\n```\n" + text + "\n```\n")


if __name__ == "__main__":
    sys.exit(main())
