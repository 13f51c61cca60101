# Lesson 1, exercise: greet by name and add a header of your own.
#
#   cargo run --release -- apps/solutions/lesson01_hello_header.py
#   telnet 127.0.0.1 8888      then:  GET / HTTP/1.1  and Enter twice


def application(environ, start_response):
    """Hello world, signed, with an extra header."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Made-By", "a student")])
    return [b"hello world, from Ada!\n"]
