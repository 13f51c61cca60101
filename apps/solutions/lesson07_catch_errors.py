# Lesson 7, exercise: a middleware that turns the wrapped app's exceptions into a friendly 500
# page, the PEP 3333 way: start_response again, with exc_info.
#
# An error can come at two moments: while the app is called, and while the server iterates
# what it returned (a generator runs only then). A try around the call catches the first
# kind; for the second, the middleware returns a generator of its own that iterates the app's
# result, passing each chunk on as soon as it comes (turning the result into a list would
# catch everything in one place, but hold back a streaming body until its end, and the
# PEP forbids middleware to delay a block). Either way it logs the traceback to wsgi.errors,
# and it calls the result's close() whatever happens, since the server can only close the
# middleware's own iterable.
#
# Before the first non-empty chunk, start_response with exc_info replaces the status and
# headers, and the error page goes out. After it, the headers are on the wire:
# start_response re-raises the app's error, and the middleware lets it propagate (PEP 3333:
# the app "must not trap any exceptions raised by start_response, if it called
# start_response with exc_info"), so the server aborts the response, as for lesson 7's /late.
#
#   cargo run --release -- apps/solutions/lesson07_catch_errors.py
#   curl -i http://127.0.0.1:8888/boom     the error in the call: the friendly 500
#   curl -i http://127.0.0.1:8888/lazy     the error in the first iteration: the same page
#   curl -iN http://127.0.0.1:8888/late    a line, a second later the error: the body stops

import sys
import time
import traceback


class Lines:
    """The wrapped app's result: lines, a pause, then maybe an error; close() is logged."""

    def __init__(self, lines, fail, errors):
        self.lines = lines
        self.fail = fail
        self.errors = errors

    def __iter__(self):
        for i, line in enumerate(self.lines):
            if i:
                time.sleep(1)
            yield line
        if self.fail:
            raise RuntimeError("the app's result failed while it was iterated")

    def close(self):
        self.errors.write("fragile: its result was closed\n")


def fragile(environ, start_response):
    """An app that fails on /boom (in the call), /lazy and /late (in the iteration)."""
    path = environ.get("PATH_INFO", "")
    errors = environ["wsgi.errors"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/boom":
        raise ZeroDivisionError("1 / 0 on purpose")
    if path == "/lazy":
        return Lines([], True, errors)
    if path == "/late":
        return Lines([b"line 1, sent at once\n", b"line 2, a second later\n"], True, errors)
    return Lines([b"all is well; try /boom, /lazy or /late\n"], False, errors)


PAGE = b"sorry, something went wrong; the details are in the server's log\n"


def error_page(start_response):
    """Start a 500 with the error being handled; raises it again if the headers are out."""
    start_response(
        "500 Internal Server Error",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(PAGE)))],
        sys.exc_info(),
    )
    return [PAGE]


def log(errors):
    """The traceback of the exception being handled, on wsgi.errors."""
    errors.write(traceback.format_exc())
    errors.flush()


class Guarded:
    """The middleware's iterable: the app's chunks passed on as they come, errors caught.

    A class rather than a generator with try/finally: the server calls close() on it even if
    it never iterated it, and a generator that never started would not run its finally.
    """

    def __init__(self, result, start_response, errors):
        self.result = result
        self.start_response = start_response
        self.errors = errors

    def __iter__(self):
        try:
            for chunk in self.result:
                yield chunk
        except Exception:
            log(self.errors)
            # Raises the app's error again when the headers were already sent: not caught
            # here, it ends the iteration and reaches the server.
            yield from error_page(self.start_response)

    def close(self):
        if hasattr(self.result, "close"):
            self.result.close()


def catch_errors(app):
    """Return an app that answers a 500 page when `app` raises, in the call or later."""

    def wrapped(environ, start_response):
        errors = environ["wsgi.errors"]
        try:
            result = app(environ, start_response)
        except Exception:
            log(errors)
            return error_page(start_response)
        return Guarded(result, start_response, errors)

    return wrapped


application = catch_errors(fragile)
