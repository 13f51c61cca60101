# start_response returns a callable: write(). This app uses both ways of sending a body.
#
# PEP 3333 keeps write() only for old frameworks that printed their output as they went; new
# apps return an iterable. The server sends the headers before the first written bytes, then
# the written bytes, then the chunks of the returned iterable.
#
#   cargo run --release -- apps/write_callable.py
#   curl -i http://127.0.0.1:8888/


def application(environ, start_response):
    """Send one line through write(), one in the returned list."""
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"1. sent with write(), the old way\n")
    return [b"2. returned in a list, the way PEP 3333 recommends\n"]
