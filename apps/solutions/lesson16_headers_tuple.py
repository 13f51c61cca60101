# Lesson 16, spot the bug 1, fixed: apps/mistakes/headers_tuple.py passed its headers as a
# tuple of tuples. PEP 3333 (The start_response() Callable): "It must be a Python list", and
# the server "may change its contents in any way it desires", which it cannot do to a tuple.
# wsgiscope served it and named the rule (headers-not-list); wsgiref.validate stopped it.
#
#   wsgiscope --strict apps/solutions/lesson16_headers_tuple.py
#   wsgiscope 'lessons/code/validated.py:wrap("apps/solutions/lesson16_headers_tuple.py")'


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])  # a list: square brackets
    return [b"hello world!\n"]
