# Lesson 17, exercise: a gzip middleware. When the client accepts gzip (its Accept-Encoding
# header says so, with a weight above 0), it compresses the wrapped app's body and fixes the
# headers to match: Content-Encoding: gzip, no Content-Length (the compressed length is not
# known until the end, so the server frames the body), and on every response, compressed or
# not, Vary: Accept-Encoding, so that a cache keeps the two versions apart and never hands a
# gzip body to a client that did not ask for one.
#
# It keeps PEP 3333's rules for middleware ("Middleware Handling of Block Boundaries"):
#
#   - it returns an iterable as soon as the app returns one, and never waits for several of
#     the app's blocks: each block goes into the compressor at once, and what comes out is
#     passed on, b"" while the compressor is still gathering (the PEP's way of saying
#     "nothing yet, but I am not blocking");
#   - data the app sends with write() goes out through the server's write(), compressed, and
#     data the app yields is never sent with write();
#   - the server calls close() on the middleware's iterable, which calls the app's;
#   - a start_response called again with exc_info (an error page) is passed on with it, and
#     decides afresh whether to compress.
#
# It leaves alone what it must not touch: a response that already has a Content-Encoding (the
# app compressed it itself), and 204 and 304 responses, which have no body. Another thing a
# production middleware would do: a strong ETag names one representation, and the compressed
# body is another (RFC 9110 §8.8.3), so it would change the ETag too; left out here.
#
# (A line saying "coding: gzip" among the first two would make Python read this file with an
# encoding named gzip: PEP 263.)
#
#   cargo run --release -- apps/solutions/lesson17_gzip.py
#   curl -i --compressed http://127.0.0.1:8888/
#   curl -i -H 'Accept-Encoding: gzip;q=0' http://127.0.0.1:8888/      (q=0: not acceptable)
#   curl -i --compressed http://127.0.0.1:8888/write                     (write() compressed)

import gzip
import re
import zlib

# RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals.
QVALUE = re.compile(r"(0(\.[0-9]{0,3})?|1(\.0{0,3})?)")


def weight(params):
    """The q= of one Accept-Encoding member (1 when absent, 0 when malformed)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0


def accepts_gzip(accept_encoding):
    """Whether an Accept-Encoding value accepts gzip (RFC 9110 §12.5.3).

    `gzip` (or its old name `x-gzip`) with a weight above 0 says yes; `gzip;q=0` says no.
    Without a `gzip` member, `*` stands for every coding not named. With no header at all any
    coding is acceptable by the RFC, but a client that sent none (curl without --compressed)
    may not be able to decompress: no compression then.
    """
    gzip_weight = star_weight = None
    for member in accept_encoding.split(","):
        coding, *params = member.split(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            gzip_weight = weight(params)
        elif coding == "*":
            star_weight = weight(params)
    chosen = gzip_weight if gzip_weight is not None else star_weight
    return bool(chosen)


def with_vary(headers):
    """`headers` with Accept-Encoding in Vary (added to the app's Vary, or a Vary of its own)."""
    named = set()
    for name, value in headers:
        if name.lower() == "vary":
            named.update(member.strip().lower() for member in value.split(","))
    if "*" in named or "accept-encoding" in named:
        return headers
    return headers + [("Vary", "Accept-Encoding")]


def should_compress(status, headers):
    """A body that exists and is not encoded yet."""
    code = status[:3]
    if code in ("204", "304") or code.startswith("1"):
        return False
    return not any(name.lower() == "content-encoding" for name, _ in headers)


class Compression:
    """The choice made at start_response: a gzip compressor, or None to pass bytes through."""

    def __init__(self):
        self.packer = None


class GzipBody:
    """The middleware's iterable: the app's blocks, compressed as they come."""

    def __init__(self, result, compression):
        self.result = result
        self.compression = compression

    def __iter__(self):
        for block in self.result:
            packer = self.compression.packer
            # One value out for each value in, b"" included: never wait for the next block.
            yield block if packer is None else packer.compress(block)
        if self.compression.packer is not None:
            yield self.compression.packer.flush()

    def close(self):
        # The server closes this object; the app's result is ours to close.
        if hasattr(self.result, "close"):
            self.result.close()


def gzipped(app):
    """Return an app that gzips `app`'s body for clients that accept it."""

    def wrapped(environ, start_response):
        wanted = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        compression = Compression()

        def start(status, headers, exc_info=None):
            headers = with_vary(headers)
            compress = wanted and should_compress(status, headers)
            if compress:
                headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
                headers.append(("Content-Encoding", "gzip"))
            # Called first: when the headers are already out, this raises (exc_info), and
            # the choice made for them stays as it was.
            server_write = start_response(status, headers, exc_info)
            if not compress:
                compression.packer = None
                return server_write
            packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            compression.packer = packer

            def write(data):
                # Bytes passed to write() must be on their way when it returns: flush them.
                piece = packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)
                server_write(piece)

            return write

        return GzipBody(app(environ, start), compression)

    return wrapped


# ---- The app it wraps: one path per case the middleware must handle. ----

GREETING = b"hello world! " * 20 + b"\n"


def greeting(environ, start_response):
    """`/` a body worth compressing; the other paths, the cases a gzip layer must get right."""
    path = environ.get("PATH_INFO", "")
    text = [("Content-Type", "text/plain")]
    if path == "/write":
        write = start_response("200 OK", text)
        write(b"written with write(), ")
        return [b"then returned\n"]
    if path == "/stream":
        start_response("200 OK", text)
        return (b"line %d of 50\n" % n for n in range(1, 51))
    if path == "/packed":
        packed = gzip.compress(GREETING, mtime=0)
        start_response(
            "200 OK",
            text + [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))],
        )
        return [packed]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/cached":
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [("ETag", '"v1"')])
            return []
        start_response("200 OK", text + [("ETag", '"v1"')])
        return [GREETING]
    start_response("200 OK", text + [("Content-Length", str(len(GREETING)))])
    return [GREETING]


application = gzipped(greeting)
