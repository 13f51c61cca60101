"""The app behind the inspector's snapshot fixtures (tests/fixtures.rs records what wsgiscope
makes of it into src/inspector/fixtures/exchanges.jsonl, and the snapshot tests draw those
records).

Each path is one kind of exchange a student meets: an upload that prints a line, an app that
raises after writing to wsgi.errors, a response too long for the record's copy, a classic
mistake (a CGI-style Status header and no Content-Type), and a body of unknown length, sent
chunked.
"""

from urllib.parse import parse_qs


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/upload":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        name = parse_qs(environ.get("QUERY_STRING", "")).get("name", ["upload"])[0]
        print(f"saving {name} ({len(body)} bytes)")
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("X-Received", f"{len(body)} bytes"),
            ],
        )
        return [f"received {len(body)} bytes: ok\n".encode()]
    if path == "/boom":
        environ["wsgi.errors"].write("about to divide by zero\n")
        return [str(1 / 0).encode()]
    if path == "/missing":
        write = start_response("404 Not Found", [("Content-Type", "text/html")])
        write(b"<h1>Not Found</h1>")
        # More than the record keeps of a response (64 KiB): the copy is cut, the counts not.
        write(b"." * 70_000)
        return []
    if path == "/gone":
        start_response("200 OK", [("Status", "404 Not Found")])
        return [b"not found\n"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (line for line in [b"line 1\n", b"line 2\n"])
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such fixture\n"]
