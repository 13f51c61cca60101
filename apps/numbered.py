# Middleware that changes the body (lesson 17): `numbered` puts a line number in front of each
# line of a text/plain response. To do that it must see whole lines, and the app's blocks do
# not end at line ends, so it keeps the unfinished end of a block until the next one comes.
#
# It follows PEP 3333's rules for a middleware that is the app's server ("Middleware Handling
# of Block Boundaries", "Buffering and Streaming"):
#
#   - it returns its iterable at once, and never waits for several of the app's blocks: for
#     each block it gets it yields one, b"" when the block held no whole line yet;
#   - what the app sends with write() goes out through the server's write(), numbered, and
#     what the app yields is never sent with write();
#   - the server calls close() on the middleware's iterable, which calls the app's;
#   - it drops Content-Length, which would be wrong once the body changed, and leaves alone
#     what it cannot read as lines: another Content-Type, a Content-Encoding (a compressed
#     body is not text), a status without a body (204, 304).
#
# The app it wraps has one path per case:
#
#   /          three lines in three blocks that do not end at line ends
#   /sized     the same, with the app's Content-Length
#   /write     one line through write(), the others returned
#   /json      application/json: passed through untouched
#   /empty     204 No Content
#
#   cargo run --release -- apps/numbered.py
#   curl -si --raw http://127.0.0.1:8888/       (--raw: the chunks as the server sends them)


def numbered_lines(data, state):
    """Number the whole lines of `state.rest + data`; keep the unfinished end in `state.rest`."""
    data = state.rest + data
    *lines, state.rest = data.split(b"\n")
    out = []
    for line in lines:
        state.count += 1
        out.append(b"%d: %s\n" % (state.count, line))
    return b"".join(out)


class Numbering:
    """What start_response decided (number this body or not), and the lines counted so far."""

    def __init__(self):
        self.on = False
        self.count = 0
        self.rest = b""


class NumberedBody:
    """The middleware's iterable: one block out for each block of the app's result."""

    def __init__(self, result, state):
        self.result = result
        self.state = state

    def __iter__(self):
        for block in self.result:
            # One value out for each value in: b"" when no line is whole yet.
            yield numbered_lines(block, self.state) if self.state.on else block
        if self.state.on and self.state.rest:
            # A last line without a newline: number it too, at the end.
            yield numbered_lines(b"\n", self.state)

    def close(self):
        # The server closes this object, not the app's result: pass it on.
        if hasattr(self.result, "close"):
            self.result.close()


def can_number(status, headers):
    """A text/plain body, not encoded, with a status that has a body."""
    if status[:3] in ("204", "304") or status.startswith("1"):
        return False
    names = {name.lower(): value for name, value in headers}
    if "content-encoding" in names:
        return False
    return names.get("content-type", "").split(";")[0].strip().lower() == "text/plain"


def numbered(app):
    """Return an app that numbers the lines of `app`'s text/plain responses."""

    def wrapped(environ, start_response):
        state = Numbering()

        def start(status, headers, exc_info=None):
            state.on = can_number(status, headers)
            if state.on:
                # The numbers make the body longer: the app's length would be wrong.
                headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            server_write = start_response(status, headers, exc_info)

            def write(data):
                # Whole lines now; an unfinished one waits for the next write() or block.
                server_write(numbered_lines(data, state) if state.on else data)

            return write

        # Returned at once: the app's result is wrapped, not iterated here.
        return NumberedBody(app(environ, start), state)

    return wrapped


def text(environ, start_response):
    """The wrapped app: one path per case the middleware must handle."""
    path = environ.get("PATH_INFO", "")
    plain = [("Content-Type", "text/plain")]
    blocks = [b"first li", b"ne\nsecond line\nthi", b"rd line\n"]
    if path == "/sized":
        length = sum(len(block) for block in blocks)
        start_response("200 OK", plain + [("Content-Length", str(length))])
        return blocks
    if path == "/write":
        write = start_response("200 OK", plain)
        write(b"sent with write()\n")
        return [b"then returned\n", b"and the end\n"]
    if path == "/json":
        body = b'{"lines": 3}\n'
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    start_response("200 OK", plain)
    return blocks


application = numbered(text)
