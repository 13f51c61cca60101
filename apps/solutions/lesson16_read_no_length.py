# Lesson 16, spot the bug 2, fixed: apps/mistakes/read_no_length.py read wsgi.input with no
# size. A server may stream the body from the socket, and then read() with no size waits for
# bytes a client that sent no body will never send. PEP 3333 (Input and Error Streams): "The
# application should not attempt to read more data than is specified by the CONTENT_LENGTH
# variable." CONTENT_LENGTH "May be empty or absent": then there is no body to read.
# wsgiscope named it (input-read-unbounded) only for a request without a length;
# wsgiref.validate refuses every read() without a size.
#
#   wsgiscope --strict apps/solutions/lesson16_read_no_length.py
#   wsgiscope 'lessons/code/validated.py:wrap("apps/solutions/lesson16_read_no_length.py")'


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"read %d bytes\n" % len(body)]
