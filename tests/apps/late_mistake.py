# A mistake made after the head went out: write() with a str, caught by the app, which then
# goes on. Without --strict the rest is served; with --strict the connection is cut.


def application(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"first\n")
    try:
        write("second\n")
    except TypeError:
        pass
    return [b"more\n"]
