# Lesson 5, exercise: a response iterable with a close() method, as a file or a database
# cursor would have. The server must call close() when it is done, whatever happened;
# watch the "closed after N chunks" line in the inspector's log view (or the server output).
#
#   cargo run --release -- apps/solutions/lesson05_closing.py
#   curl http://127.0.0.1:8888/

import sys


class Countdown:
    """Yields 3, 2, 1 as lines; says on stderr when the server closes it."""

    def __init__(self, start):
        self.start = start
        self.sent = 0

    def __iter__(self):
        for n in range(self.start, 0, -1):
            self.sent += 1
            yield b"%d\n" % n

    def close(self):
        print("closed after %d chunks" % self.sent, file=sys.stderr)


def application(environ, start_response):
    """Count down from 3, one chunk per line."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Countdown(3)
