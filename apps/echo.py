# A POST echo: the app reads the request body from wsgi.input and sends it back, with the
# request's own Content-Type. A GET answers with a small HTML form that posts to itself.
#
# It shows how a body reaches the app: the server reads it (decoding a chunked upload), tells
# the app its size in CONTENT_LENGTH, and hands it over as a file, environ['wsgi.input'].
#
#   cargo run --release -- apps/echo.py
#   curl -d 'hello' http://127.0.0.1:8888/          (or open the page in a browser)
#   curl -H 'Transfer-Encoding: chunked' -d @README.md http://127.0.0.1:8888/

FORM = b"""<!doctype html>
<title>echo</title>
<form method="post">
  <textarea name="text">Hello, server!</textarea>
  <button>Send</button>
</form>
"""


def application(environ, start_response):
    """POST: return the body read from wsgi.input. Anything else: the form."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [FORM]
    # PEP 3333: read at most CONTENT_LENGTH bytes; it may be missing or empty.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    content_type = environ.get("CONTENT_TYPE") or "application/octet-stream"
    start_response("200 OK", [("Content-Type", content_type)])
    return [body]
