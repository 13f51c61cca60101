# Used by tests/event_loop.rs: an app that lets a test see, from outside, what the server's
# single-threaded loop does with the app and with Python's other threads.
#
#   /anything        "PATH host HOST": which request this was, so interleaved clients can
#                    tell their answers apart
#   /in-flight       counts the calls under way (from the call until the result's close()),
#                    remembering the most seen at once; sleeps a little so overlaps would show
#   /most-in-flight  that maximum, and wsgi.multithread / wsgi.multiprocess
#   /ticks           how often the background thread has ticked so far
#   /slow-reader?mib=32  one body of that many MiB, then a last line saying how many ticks
#                    the background thread made while the server sent it
#
# At import it starts a background thread that ticks every 10 ms, as an app's own worker
# thread (a scheduler, a metrics flusher) would. It can only tick while nobody else holds the
# GIL: a server that keeps the GIL while it waits for a socket freezes it.

import threading
import time
from urllib.parse import parse_qs

MIB = 1024 * 1024
TICK = 0.01
# How long /in-flight holds its call, and its result, open: long enough that two calls
# running at once would overlap.
HOLD = 0.01

TICKS = 0


def tick():
    global TICKS
    while True:
        time.sleep(TICK)
        TICKS += 1


threading.Thread(target=tick, name="ticker", daemon=True).start()

LOCK = threading.Lock()
IN_FLIGHT = 0
MOST_IN_FLIGHT = 0


def enter():
    global IN_FLIGHT, MOST_IN_FLIGHT
    with LOCK:
        IN_FLIGHT += 1
        MOST_IN_FLIGHT = max(MOST_IN_FLIGHT, IN_FLIGHT)


def leave():
    global IN_FLIGHT
    with LOCK:
        IN_FLIGHT -= 1


class Counted:
    """A result that still counts as in flight until the server calls its close()."""

    def __iter__(self):
        time.sleep(HOLD)
        yield b"counted"

    def close(self):
        leave()


def slow_reader(mib):
    start = TICKS
    # One chunk, larger than every socket buffer between the server and the client: the
    # server's write of it waits until the client reads.
    yield b"x" * (mib * MIB)
    yield b"\nticks while sending: %d\n" % (TICKS - start)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = parse_qs(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/in-flight":
        enter()
        time.sleep(HOLD)
        return Counted()
    if path == "/most-in-flight":
        return [
            b"most in flight: %d; multithread %r; multiprocess %r"
            % (
                MOST_IN_FLIGHT,
                environ["wsgi.multithread"],
                environ["wsgi.multiprocess"],
            )
        ]
    if path == "/ticks":
        return [b"%d" % TICKS]
    if path == "/slow-reader":
        return slow_reader(int(query.get("mib", ["32"])[0]))
    return [("%s host %s" % (path, environ.get("HTTP_HOST", "-"))).encode("latin-1")]
