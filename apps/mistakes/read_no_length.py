# A mistake on purpose. Rule: input-read-unbounded (see src/checks.rs).
#
# What is wrong: The app reads wsgi.input to the end though the request has no CONTENT_LENGTH.
# On a server that streams the body from the socket, read() then waits forever.
#
# How to fix it: `environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))`.
#
#   cargo run -- apps/mistakes/read_no_length.py

def application(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"read %d bytes\n" % len(body)]
