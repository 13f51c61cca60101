# Used by tests/output.rs. At import, what libraries do with sys.stdout and sys.stderr before
# they use them: faulthandler.enable() asks sys.stderr for its file descriptor (there is none,
# so it falls back to the real standard error, as Python's docs suggest), and code checks
# `closed`, `writable()`, `readable()` and `seekable()`.

import faulthandler
import io
import sys

try:
    faulthandler.enable()
    FAULTHANDLER = "enabled on sys.stderr"
except io.UnsupportedOperation:
    faulthandler.enable(file=sys.__stderr__)
    FAULTHANDLER = "fell back to sys.__stderr__"
assert faulthandler.is_enabled()


def describe(stream):
    return "closed=%r writable=%r readable=%r seekable=%r" % (
        stream.closed,
        stream.writable(),
        stream.readable(),
        stream.seekable(),
    )


def application(environ, start_response):
    lines = [
        "faulthandler " + FAULTHANDLER,
        "stdout " + describe(sys.stdout),
        "stderr " + describe(sys.stderr),
        "wsgi.errors " + describe(environ["wsgi.errors"]),
    ]
    try:
        environ["wsgi.errors"].fileno()
    except io.UnsupportedOperation as e:
        lines.append("fileno raised UnsupportedOperation: %s" % e)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("\n".join(lines) + "\n").encode()]
