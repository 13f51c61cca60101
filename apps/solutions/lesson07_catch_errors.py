# Lesson 7, exercise: a middleware that catches the wrapped app's exception and sends a
# friendly 500 page itself, calling start_response again with exc_info, which PEP 3333 allows
# as long as no byte of the body was sent.
#
#   cargo run --release -- apps/solutions/lesson07_catch_errors.py
#   curl -i http://127.0.0.1:8888/boom

import sys


def fragile(environ, start_response):
    """An app that fails on /boom, after it called start_response."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ["PATH_INFO"] == "/boom":
        raise ZeroDivisionError("1 / 0 on purpose")
    return [b"all is well; try /boom\n"]


def catch_errors(app):
    """Return an app that turns an exception raised by `app` into a 500 page."""

    def wrapped(environ, start_response):
        try:
            # A list is built here, inside the try: a generator would fail later, in the server.
            return list(app(environ, start_response))
        except Exception as error:
            start_response(
                "500 Internal Server Error",
                [("Content-Type", "text/plain")],
                sys.exc_info(),
            )
            return [b"sorry, something broke: %s\n" % type(error).__name__.encode("ascii")]

    return wrapped


application = catch_errors(fragile)
