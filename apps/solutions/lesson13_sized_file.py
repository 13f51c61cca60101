# Lesson 13, exercise: stream a file in pieces, with a Content-Length the app knows in advance,
# and answer HEAD with the same headers without reading the file.
#
# The file is this app's own source. Its size comes from the file system before any byte is
# read, so the app can set Content-Length itself: the server then frames the body by that
# length instead of chunking it, even though the body arrives in 1 KiB pieces from a
# generator. For HEAD the app sends the headers a GET would get, Content-Length included
# (RFC 9110 §8.6 allows it there only if it equals the GET's length), and returns no body at
# all: nothing is read, and the server has nothing to drop.
#
#   cargo run --release -- apps/solutions/lesson13_sized_file.py
#   curl -si http://127.0.0.1:8888/ | head -12
#   curl -sI http://127.0.0.1:8888/       (HEAD: the same Content-Length, no body)

import os

PATH = os.path.abspath(__file__)
PIECE = 1024


def pieces(path, length):
    """Yield the file in PIECE-byte pieces, never more than the `length` announced."""
    with open(path, "rb") as file:
        left = length
        while left > 0:
            piece = file.read(min(PIECE, left))
            if not piece:
                # The file shrank since it was measured: stop, and the server will see (and
                # report) a body shorter than its Content-Length.
                return
            left -= len(piece)
            yield piece


def application(environ, start_response):
    """Send this file, sized up front; for HEAD, the headers alone."""
    length = os.path.getsize(PATH)
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/x-python; charset=utf-8"),
            ("Content-Length", str(length)),
        ],
    )
    if environ["REQUEST_METHOD"] == "HEAD":
        return []
    return pieces(PATH, length)
