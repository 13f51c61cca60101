# An app that goes wrong on purpose, one way per path, to see what the server does with each.
#
#   /raise     an exception before start_response: the server sends a 500 (with --debug, the
#              traceback is in its body)
#   /late      an exception in the generator after the first chunk went out: too late for a
#              500, the server can only stop and close the connection, without the chunk of
#              size 0 that ends a chunked body (so an HTTP/1.1 client sees the body is cut)
#   /str       returns a str instead of a list of bytes
#   /bytes     returns bytes directly (iterating bytes gives integers)
#   /no-start  returns a list without calling start_response
#   /exc-info  catches its own error and calls start_response again with exc_info, replacing
#              the 200 it had set with a 500 page (allowed because nothing was sent yet)
#   /exc-info-late  the same, after the first chunk went out: start_response re-raises the
#              error it was given, the app lets it propagate, and the server aborts the
#              response as for /late
#   /          this index
#
#   cargo run --release -- --debug apps/errors.py
#   curl -i http://127.0.0.1:8888/raise

import sys

INDEX = b"""apps/errors.py: one failure per path.
/raise     exception before start_response
/late      exception after the first chunk was sent
/str       returns a str
/bytes     returns bytes
/no-start  returns without calling start_response
/exc-info  start_response again with exc_info, a 500 page
/exc-info-late  the same after the first chunk: too late, the server aborts
"""


def late(start_response):
    """A generator that fails after its first chunk."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first chunk, then...\n"
    raise RuntimeError("the generator failed after the first chunk was sent")


def exc_info_page(start_response):
    """The PEP 3333 way to turn an error into an error page."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("something failed after start_response")
    except ValueError:
        # A second call is only allowed with exc_info; the server would re-raise the error if
        # the headers were already sent.
        start_response(
            "500 Internal Server Error",
            [("Content-Type", "text/plain")],
            sys.exc_info(),
        )
        return [b"the app caught its error and sent this page instead\n"]


def exc_info_too_late(start_response):
    """A generator that tries the error page after its first chunk was sent."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first chunk, then...\n"
    try:
        raise ValueError("something failed after the first chunk was sent")
    except ValueError:
        # The headers are on the wire: this call raises (PEP 3333: start_response "must raise
        # an error, and should re-raise using the exc_info tuple"), and the app must not
        # catch what it raises. It propagates to the server, which aborts the response.
        start_response(
            "500 Internal Server Error",
            [("Content-Type", "text/plain")],
            sys.exc_info(),
        )
    yield b"never sent\n"


def application(environ, start_response):
    """Route by PATH_INFO to one failure."""
    path = environ.get("PATH_INFO", "")
    if path == "/raise":
        raise RuntimeError("the app failed before start_response")
    if path == "/late":
        return late(start_response)
    if path == "/str":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return "a str, not a list of bytes"
    if path == "/bytes":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return b"bytes, not a list of bytes"
    if path == "/no-start":
        return [b"a body without a status"]
    if path == "/exc-info":
        return exc_info_page(start_response)
    if path == "/exc-info-late":
        return exc_info_too_late(start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [INDEX]
