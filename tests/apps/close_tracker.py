# Used by tests/close.rs. The app's result is an object with a close() method, which PEP 3333
# says the server must call on every path: normal completion, an error during iteration, a
# client that disconnects. close() writes "close() called" to wsgi.errors (so it lands in the
# exchange record) and, when the query string names a file (`?marker=/tmp/x`), into that file.
#
#   /normal  two small chunks
#   /raise   one chunk, then an exception during iteration
#   /big     many 1 MiB chunks, for a client that goes away mid-response

from urllib.parse import parse_qs

MIB = 1024 * 1024


class Tracked:
    """An iterable result that reports its close()."""

    def __init__(self, environ, chunks, fail_at=None):
        self.errors = environ["wsgi.errors"]
        self.marker = parse_qs(environ["QUERY_STRING"]).get("marker", [None])[0]
        self.chunks = chunks
        self.fail_at = fail_at

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("failed during iteration")
            yield chunk

    def close(self):
        self.errors.write("close() called\n")
        if self.marker:
            with open(self.marker, "w") as f:
                f.write("close() called\n")


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    path = environ["PATH_INFO"]
    if path == "/raise":
        return Tracked(environ, [b"one\n", b"two\n"], fail_at=1)
    if path == "/big":
        return Tracked(environ, (b"x" * MIB for _ in range(200)))
    return Tracked(environ, [b"one\n", b"two\n"])
