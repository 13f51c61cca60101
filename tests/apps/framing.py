# Used by tests/framing.rs: one route per way a response body can be framed, so a test can say
# exactly which bytes must go on the wire.
#
#   /sizes?10,0,255       a generator yielding one chunk per size (b"a" * 10, b"", b"c" * 255):
#                         the server cannot know the length, and must skip the empty chunk
#   /write                write(b"written\n"), then a one-item list [b"returned\n"]
#   /two-items            the list [b"one", b"two"]
#   /list                 the one-item list [b"one item"]: the server can count it
#   /empty-list           []
#   /empty-generator      a generator yielding only b""
#   /status?204           that status, and a generator with no bytes in it
#   /status?204&body      the same, but the generator yields b"dropped" (a mistake)
#   /late-error           yields b"first\n", then raises
#   /length?cl=10&body=5  sets Content-Length: 10 itself, then yields 5 bytes from a generator
#   /echo                 the request body (CONTENT_LENGTH bytes of wsgi.input)
#   anything else         a one-item list holding PATH_INFO, so pipelined answers show order

from urllib.parse import parse_qs


def generator(chunks):
    for chunk in chunks:
        yield chunk


def sizes(query):
    """b"a" * n, b"b" * m, ...: each chunk is told apart by its letter."""
    numbers = [int(n) for n in query.split(",") if n]
    return [bytes([ord("a") + i]) * n for i, n in enumerate(numbers)]


def late_error():
    yield b"first\n"
    raise RuntimeError("failed after the first chunk, on purpose")


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = environ.get("QUERY_STRING", "")
    plain = [("Content-Type", "text/plain")]
    if path == "/sizes":
        start_response("200 OK", plain)
        return generator(sizes(query))
    if path == "/write":
        write = start_response("200 OK", plain)
        write(b"written\n")
        return [b"returned\n"]
    if path == "/two-items":
        start_response("200 OK", plain)
        return [b"one", b"two"]
    if path == "/list":
        start_response("200 OK", plain)
        return [b"one item"]
    if path == "/empty-list":
        start_response("200 OK", plain)
        return []
    if path == "/empty-generator":
        start_response("200 OK", plain)
        return generator([b""])
    if path == "/status":
        code, _, body = query.partition("&")
        reasons = {"204": "No Content", "304": "Not Modified"}
        start_response("%s %s" % (code, reasons.get(code, "Whatever")), [])
        return generator([b"dropped"] if body else [])
    if path == "/late-error":
        start_response("200 OK", plain)
        return late_error()
    if path == "/length":
        fields = parse_qs(query)
        declared = fields["cl"][0]
        produced = int(fields.get("body", [declared])[0])
        start_response("200 OK", plain + [("Content-Length", declared)])
        return generator([b"L" * produced] if produced else [])
    if path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        start_response("200 OK", plain)
        return [body]
    start_response("200 OK", plain)
    return [path.encode("latin-1")]
