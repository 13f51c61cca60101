# Lesson 5, exercise: a response iterable with a close() method, as a file or a database
# cursor would have. The server must call close() when it is done with the result, whatever
# happened: the whole body sent, an error in the middle, or a client that went away.
#
# The countdown waits between its lines (one second unless `?delay=` says otherwise), so
# there is time to interrupt it. close() says how far it got on wsgi.errors: the inspector's
# log view shows the line, attributed to its exchange (without the inspector, the server's
# output).
#
# Interrupted, close() still runs, and counts more lines than curl printed: the first write
# after curl quit succeeds (the bytes only reach the kernel, which then hears from the
# client's machine that nobody reads them), and only the next one fails. In our run, curl
# stopped after 10, 9 and 8, and close() said "after 5 of 10 lines"; the record's error
# says the client went away.
#
#   cargo run --release -- apps/solutions/lesson05_closing.py
#   curl -N http://127.0.0.1:8888/             5, 4, 3, 2, 1, a second apart
#   curl -N 'http://127.0.0.1:8888/?from=10'   then Ctrl-C after a few lines
#
# portable: GET /?delay=0

import time
from urllib.parse import parse_qs


class Countdown:
    """Yields `start`, ..., 1 as lines, `delay` seconds apart; close() says how far it got."""

    def __init__(self, start, delay, errors):
        self.start = start
        self.delay = delay
        self.errors = errors
        self.yielded = 0

    def __iter__(self):
        for n in range(self.start, 0, -1):
            if self.yielded and self.delay:
                time.sleep(self.delay)
            self.yielded += 1
            yield b"%d\n" % n

    def close(self):
        if self.yielded == self.start:
            self.errors.write("closed after all %d lines\n" % self.start)
        else:
            self.errors.write(
                "closed early, after %d of %d lines: the server stopped iterating\n"
                % (self.yielded, self.start)
            )


def number(query, name, default, lowest, highest):
    """A number from the query string, kept within [lowest, highest]."""
    try:
        value = float(query.get(name, [default])[0])
    except ValueError:
        value = default
    return min(max(value, lowest), highest)


def application(environ, start_response):
    """Count down, one chunk per line."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    start = int(number(query, "from", 5, 1, 100))
    delay = number(query, "delay", 1.0, 0.0, 10.0)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Countdown(start, delay, environ["wsgi.errors"])
