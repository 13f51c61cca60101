# Lesson 8, exercise: a gzip middleware. When the client accepts gzip (its Accept-Encoding
# header says so), it compresses the wrapped app's body and fixes the headers to match: a
# Content-Encoding header, a new Content-Length, and a Vary header so caches keep both apart.
# (A line saying "coding: gzip" among the first two would make Python read this file with an
# encoding named gzip: PEP 263.)
#
#   cargo run --release -- apps/solutions/lesson08_gzip.py
#   curl -i --compressed http://127.0.0.1:8888/

import gzip


def greeting(environ, start_response):
    """A body worth compressing."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello world! " * 20 + b"\n"]


def gzipped(app):
    """Return an app that gzips `app`'s body for clients that accept it."""

    def wrapped(environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return app(environ, start_response)
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            # The real start_response is called below, once the body is known: the returned
            # write() is not supported by this middleware.
            return None

        result = app(environ, start)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        packed = gzip.compress(body, mtime=0)
        headers = [(n, v) for n, v in seen["headers"] if n.lower() != "content-length"]
        headers += [
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(packed))),
            ("Vary", "Accept-Encoding"),
        ]
        start_response(seen["status"], headers)
        return [packed]

    return wrapped


application = gzipped(greeting)
