# A streaming response: the app returns a generator, and the server sends each chunk as the
# generator yields it, without knowing the total length in advance.
#
# It shows why the headers go out late (just before the first chunk), and how a body without
# Content-Length ends: for an HTTP/1.1 request the server sends each chunk with its size
# (Transfer-Encoding: chunked) and a chunk of size 0 after the last; for an HTTP/1.0 request
# it closes the connection after the last chunk (lesson 13).
# `?n=5` sets how many lines; `?delay=0.5` waits between them, so the chunks are visible.
#
#   cargo run --release -- apps/stream.py
#   curl -N 'http://127.0.0.1:8888/?n=5&delay=0.5'

import time
from urllib.parse import parse_qs


def application(environ, start_response):
    """Count lines, one chunk per line."""
    # PEP 3333: QUERY_STRING "May be empty or absent", so read it with a default.
    query = parse_qs(environ.get("QUERY_STRING", ""))
    count = int(query.get("n", ["10"])[0])
    delay = float(query.get("delay", ["0"])[0])
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])

    def lines():
        for i in range(1, count + 1):
            if delay and i > 1:
                time.sleep(delay)
            yield ("line %d of %d\n" % (i, count)).encode("ascii")

    return lines()
