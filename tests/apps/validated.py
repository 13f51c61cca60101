# Used by tests/validator.rs. The app is wrapped in the standard library's
# wsgiref.validate.validator, which checks both sides of PEP 3333 with assertions: the environ
# and start_response the server provides, and the app's own behaviour. Any AssertionError means
# the server broke a rule (the app here follows them all).
#
#   GET  /        a plain list body
#   POST /lines   reads the body with readline() then read(n), and echoes what it read
#   GET  /write   sends its body with the write() callable start_response returns

from wsgiref.validate import validator


def inner(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/lines":
        stream = environ["wsgi.input"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        first = stream.readline()
        rest = stream.read(length - len(first))
        body = b"first=" + first + b"rest=" + rest
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        write(b"with write()\n")
        return []
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"validated GET\n"]


application = validator(inner)
