"""Hold idle TCP connections open to a server: connected, sending nothing.

    python bench/idle.py PORT N [HOST]

Opens N connections to HOST:PORT (default 127.0.0.1) one after the other, then prints one line

    OPEN <opened> FAILED <failed> SECONDS <time taken>

and holds them, sending nothing, until its standard input ends (or a line arrives on it). Then
it looks at every socket without blocking: one the server has closed (or reset) meanwhile is
readable and reads as end-of-file or an error. It prints

    DROPPED <closed by the server>

closes them all and exits. It never holds them longer than 15 minutes, so a benchmark that
dies cannot leave it behind for long. bench/run.py starts it pinned to the load generator's
core for the "idle" cell; both it and bench/idle_memory.py use the functions below.

A connection counts as opened when connect() returned: the kernel completed the handshake,
so the server has it either accepted or waiting in its listen queue. Each connect() may take
at most CONNECT_TIMEOUT seconds (a full listen queue drops SYNs, and the retry comes 1 s
later), and all of them together at most OPEN_LIMIT seconds.
"""
import os
import resource
import select
import socket
import sys
import time

CONNECT_TIMEOUT = 2.0
OPEN_LIMIT = 30.0
HOLD_LIMIT = 15 * 60


def raise_fd_limit(needed):
    """Let this process (and the processes it starts) hold `needed` more descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(hard, max(want, 4096))
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def open_idle(host, port, n):
    """Open up to n connections that send nothing; returns (sockets, failed)."""
    raise_fd_limit(n)
    socks, failed = [], 0
    deadline = time.monotonic() + OPEN_LIMIT
    for _ in range(n):
        if time.monotonic() > deadline:
            failed += 1
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(CONNECT_TIMEOUT)
        try:
            s.connect((host, port))
        except OSError:
            s.close()
            failed += 1
            continue
        s.setblocking(False)
        socks.append(s)
    return socks, failed


def dropped(socks):
    """How many of the sockets the server has closed or reset (without blocking)."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s, select.POLLIN | select.POLLERR | select.POLLHUP)
        by_fd[s.fileno()] = s
    count = 0
    for fd, _ in poller.poll(0):
        try:
            # The server sends nothing to a client that sent nothing, so readable means closed
            # (b"") or reset (an error); a 408 or another answer counts as closed too.
            by_fd[fd].recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            continue
        except OSError:
            pass
        count += 1
    return count


def server_sockets(port, pids):
    """(established, accepted): the server-side TCP connections on `port` (IPv4), and how many
    of them the processes `pids` hold a descriptor for. The rest wait in the listen queue: a
    connection not yet accepted has no inode in /proc/net/tcp."""
    held = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                held.add(int(target[8:-1]))
    # A connection by its two addresses: the kernel may list one twice when the table
    # changes between two reads of the file.
    established, accepted = set(), set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            # local_address is HEX_IP:HEX_PORT, st 01 is ESTABLISHED, field 9 the inode.
            if int(fields[1].rsplit(":", 1)[1], 16) != port or fields[3] != "01":
                continue
            key = (fields[1], fields[2])
            established.add(key)
            if fields[9] != "0" and int(fields[9]) in held:
                accepted.add(key)
    return len(established), len(accepted)


class Lines:
    """The lines another process writes to a pipe, each waited for at most a given time
    (select() on the raw descriptor: a buffered readline() could swallow the next line)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buffer = b""

    def next(self, limit):
        """The next line without its newline, or None after `limit` seconds or at the end."""
        deadline = time.monotonic() + limit
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def rest(self, limit):
        """Everything still to come until the end, waiting at most `limit` seconds."""
        deadline = time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0 and select.select([self.fd], [], [],
                                                                          left)[0]:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.buffer += chunk
        text, self.buffer = self.buffer.decode(errors="replace"), b""
        return text


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    start = time.monotonic()
    socks, failed = open_idle(host, port, n)
    print(f"OPEN {len(socks)} FAILED {failed} SECONDS {time.monotonic() - start:.2f}",
          flush=True)
    # Wait for run.py: a line, or the end of stdin (run.py gone).
    select.select([sys.stdin], [], [], HOLD_LIMIT)
    print(f"DROPPED {dropped(socks)}", flush=True)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
