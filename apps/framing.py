# How does the client know where the body ends? One path per answer (lesson 13).
#
# The same three chunks, 34 bytes in all, sent in different ways:
#
#   /joined    one bytes object in a list: the server counts it and adds Content-Length
#   /sized     a generator, with the Content-Length the app computed itself: no chunking
#   /chunks    a generator without Content-Length: chunked for an HTTP/1.1 request, ended
#              by closing the connection for an HTTP/1.0 one
#   /empty     204 No Content: no body at all, whatever the headers say
#   /cached    200 with an ETag; sent again with If-None-Match: "v1", a 304 without a body
#   /          this index
#
# The app does not look at REQUEST_METHOD: for a HEAD request the server sends the headers
# and drops the body the app produced (and says so in a note).
#
#   cargo run --release -- apps/framing.py          (add --keep-alive for the last part)
#   curl -si --raw http://127.0.0.1:8888/chunks     (--raw: the chunk sizes are left in)
#   curl -si --http1.0 http://127.0.0.1:8888/chunks (the same body, ended by the close)

CHUNKS = [b"first chunk\n", b"second\n", b"third and last\n"]
LENGTH = sum(len(chunk) for chunk in CHUNKS)
ETAG = '"v1"'

INDEX = b"""apps/framing.py: the same 34 bytes, framed in different ways.
/joined   one chunk in a list: the server adds Content-Length
/sized    a generator with the app's own Content-Length
/chunks   a generator without Content-Length: chunked, or closed
/empty    204 No Content
/cached   200 with an ETag; If-None-Match: "v1" gets a 304
"""


def chunks():
    """Yield the body one piece at a time, as a streaming app would."""
    yield from CHUNKS


def application(environ, start_response):
    """Route by PATH_INFO to one way of framing the same body."""
    path = environ["PATH_INFO"]
    text = [("Content-Type", "text/plain")]
    if path == "/joined":
        start_response("200 OK", text)
        return [b"".join(CHUNKS)]
    if path == "/sized":
        start_response("200 OK", text + [("Content-Length", str(LENGTH))])
        return chunks()
    if path == "/chunks":
        start_response("200 OK", text)
        return chunks()
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/cached":
        if environ.get("HTTP_IF_NONE_MATCH") == ETAG:
            start_response("304 Not Modified", [("ETag", ETAG)])
            return []
        start_response("200 OK", text + [("ETag", ETAG)])
        return [b"".join(CHUNKS)]
    start_response("200 OK", text)
    return [INDEX]
