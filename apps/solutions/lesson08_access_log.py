# Lesson 8, exercise: an access-log middleware. After each response it writes one line to
# wsgi.errors: the method, the path, the status, how many body bytes went out, and how long the
# whole response took, from the call to the end of the body.
#
# "After the response" is the hard part: when the app returns, the body has not been sent
# yet; the server sends it while it iterates the result, and calls the result's close() at the
# end (PEP 3333, "Specification Details": on every path, a client that leaves included). So
# the middleware returns an iterable of its own, at once, that passes each block on as it
# comes, counts it, and whose close() first calls the app's close(), then logs. The status is
# caught on its way out, by wrapping start_response (the last call wins: an app that calls it
# again with exc_info changes its mind), and write() is wrapped to count its bytes too.
#
#   cargo run --release -- apps/solutions/lesson08_access_log.py
#   curl -N 'http://127.0.0.1:8888/stream?delay=0.5'      (the lines come one by one)
#   in the inspector's log: access: GET /stream 200 36 bytes in 1.0… s

import time

from urllib.parse import parse_qs


class Logged:
    """The middleware's iterable: the app's blocks, passed on as they come, counted."""

    def __init__(self, result, record, log):
        self.result = result
        self.record = record
        self.log = log

    def __iter__(self):
        for block in self.result:
            self.record["bytes"] += len(block)
            yield block

    def close(self):
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            # Logged even when the app's close() raises, and when the client left early.
            self.log()


def access_log(app):
    """Return an app that logs one line per response to wsgi.errors, after the body."""

    def wrapped(environ, start_response):
        started = time.perf_counter()
        record = {"status": "-", "bytes": 0}

        def start(status, headers, exc_info=None):
            server_write = start_response(status, headers, exc_info)
            record["status"] = status.split(" ", 1)[0]

            def write(data):
                server_write(data)
                record["bytes"] += len(data)

            return write

        def log():
            environ["wsgi.errors"].write(
                "access: %s %s %s %d bytes in %.3f s\n"
                % (
                    environ["REQUEST_METHOD"],
                    environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                    record["status"],
                    record["bytes"],
                    time.perf_counter() - started,
                )
            )

        # Returned at once: the app's result is wrapped, not iterated here.
        return Logged(app(environ, start), record, log)

    return wrapped


class Lines:
    """The wrapped app's streaming result, which says when it is closed."""

    def __init__(self, environ, delay):
        self.errors = environ["wsgi.errors"]
        self.delay = delay

    def __iter__(self):
        for n in range(1, 4):
            if n > 1:
                time.sleep(self.delay)
            yield b"line %d of 3\n" % n

    def close(self):
        self.errors.write("app: its result was closed\n")


def app(environ, start_response):
    """`/stream?delay=S`: three lines, S seconds apart; `/write`: write() then a list; else hello."""
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    plain = [("Content-Type", "text/plain")]
    if path == "/stream":
        start_response("200 OK", plain)
        return Lines(environ, float(query.get("delay", ["0"])[0]))
    if path == "/write":
        write = start_response("200 OK", plain)
        write(b"written, ")
        return [b"then returned\n"]
    start_response("200 OK", plain)
    return [b"hello world!\n"]


application = access_log(app)
