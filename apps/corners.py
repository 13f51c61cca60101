# The parts of PEP 3333 the other lessons pass by (lesson 19), one path each:
#
#   /keys      every environ key, and whether the PEP requires it, CGI offers it, or it is
#              an extension of this server
#   /errors    writes to wsgi.errors with write(), writelines() and flush()
#   /input     (POST) reads the body with each method wsgi.input must have
#   /file      returns wsgi.file_wrapper(a file-like object, 16): blocks of 16 bytes
#   /short     says Content-Length: 20 and sends 10 bytes
#   /long      says Content-Length: 5 and sends more
#   /head      answers HEAD with the GET's headers and no body, without making the body
#   /shift/…   moves path segments from PATH_INFO to SCRIPT_NAME with wsgiref.util.shift_path_info
#   /headers   builds its headers with wsgiref.headers.Headers
#   /          this index
#
#   cargo run --release -- apps/corners.py
#   curl -s --data-binary $'ab\ncd\nef\ngh\n' http://127.0.0.1:8888/input

import io

from wsgiref.headers import Headers
from wsgiref.util import application_uri, request_uri, shift_path_info

INDEX = b"""apps/corners.py: PEP 3333's corners, one path each.
/keys /errors /input (POST) /file /short /long /head /shift/a/b /headers
"""

# PEP 3333, "environ Variables": the CGI keys that must be present (unless empty, where
# allowed), and the wsgi.* keys that must always be.
REQUIRED = {
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
    "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
}
# Named by the PEP, but "May be empty or absent": QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH,
# the HTTP_ keys (one per request header); and the optional wsgi.file_wrapper.
OPTIONAL = {"QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "wsgi.file_wrapper"}
# Other CGI variables (RFC 3875), which a server "should attempt to provide".
CGI = {"REMOTE_ADDR", "REMOTE_HOST", "SERVER_SOFTWARE", "GATEWAY_INTERFACE", "AUTH_TYPE",
       "REMOTE_USER", "PATH_TRANSLATED", "REMOTE_IDENT"}

BLOCK = 16
FILE = b"A file-like object, sent by wsgi.file_wrapper in blocks of sixteen bytes.\n"


def kind(key):
    """Where a key of the environ comes from, in PEP 3333's terms."""
    if key in REQUIRED:
        return "required"
    if key in OPTIONAL or key.startswith("HTTP_"):
        return "optional"
    if key in CGI:
        return "CGI"
    return "extension"


def keys(environ):
    lines = ["%-22s %s" % (key, kind(key)) for key in sorted(environ)]
    return "\n".join(lines) + "\n"


def errors(environ):
    stream = environ["wsgi.errors"]
    stream.write("one line with write()\n")
    stream.writelines(["two lines ", "with writelines()\n", "the second one\n"])
    stream.flush()
    return "wrote 3 lines to wsgi.errors: see the server's log\n"


def read_input(environ):
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    steps = [
        ("read(1)", stream.read(1)),
        ("readline()", stream.readline()),
        ("readline(1)", stream.readline(1)),
        ("readlines()", stream.readlines()),
        ("read(1)", stream.read(1)),
    ]
    lines = ["CONTENT_LENGTH = %d" % length]
    lines += ["%-12s -> %r" % (call, got) for call, got in steps]
    return "\n".join(lines) + "\n"


def shift(environ):
    lines = []
    while True:
        lines.append("SCRIPT_NAME=%r PATH_INFO=%r" % (environ["SCRIPT_NAME"], environ["PATH_INFO"]))
        name = shift_path_info(environ)
        if name is None:
            break
        lines.append("  shift_path_info() -> %r" % name)
    lines.append("application_uri = %s" % application_uri(environ))
    lines.append("request_uri     = %s" % request_uri(environ))
    return "\n".join(lines) + "\n"


def application(environ, start_response):
    """Route by PATH_INFO to one corner of the PEP."""
    path = environ.get("PATH_INFO", "")
    plain = [("Content-Type", "text/plain")]
    if path == "/file":
        start_response("200 OK", plain)
        wrapper = environ.get("wsgi.file_wrapper")
        filelike = io.BytesIO(FILE)
        if wrapper is None:
            # The PEP's fallback where a server offers no file_wrapper.
            return iter(lambda: filelike.read(BLOCK), b"")
        return wrapper(filelike, BLOCK)
    if path == "/short":
        start_response("200 OK", plain + [("Content-Length", "20")])
        return [b"ten bytes\n"]
    if path == "/long":
        start_response("200 OK", plain + [("Content-Length", "5")])
        return [b"hello", b", and what comes after\n"]
    if path == "/head":
        body = b"the body a GET gets\n"
        start_response("200 OK", plain + [("Content-Length", str(len(body)))])
        # For HEAD the server sends no body; an app may save itself the work of making it.
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
    if path == "/headers":
        headers = []
        h = Headers(headers)  # a view on the list: every change is made in it
        h["Content-Type"] = "text/plain"
        h.add_header("Content-Disposition", "attachment", filename="corners.txt")
        h.add_header("X-Note", "first")
        h.add_header("X-Note", "second")
        start_response("200 OK", headers)
        return [b"%d headers; X-Note: %s\n" % (len(headers), ", ".join(h.get_all("X-Note")).encode())]
    if path == "/keys":
        text = keys(environ)
    elif path == "/errors":
        text = errors(environ)
    elif path == "/input":
        text = read_input(environ)
    elif path.startswith("/shift"):
        text = shift(environ)
    else:
        start_response("200 OK", plain)
        return [INDEX]
    start_response("200 OK", plain)
    return [text.encode("latin-1")]
