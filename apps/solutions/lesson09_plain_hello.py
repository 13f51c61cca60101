# Lesson 9, exercise: apps/flask_app.py's two GET routes without Flask, in plain WSGI, to see
# what the framework does for you: routing on PATH_INFO, a 404 for the rest, the headers.
#
# The name comes from the URL and goes into an HTML page, so it is escaped: otherwise
# /hello/<img src=x onerror=alert(1)> would send back a live tag (cross-site scripting).
#
#   cargo run --release -- apps/solutions/lesson09_plain_hello.py
#   curl http://127.0.0.1:8888/hello/class
#   curl 'http://127.0.0.1:8888/hello/%3Cimg%20src=x%20onerror=alert(1)%3E'

from html import escape


def application(environ, start_response):
    """`/` and `/hello/<name>`, like the Flask app; 404 for anything else."""
    path = environ.get("PATH_INFO", "")
    if path == "/":
        text = "Hello from plain WSGI, served by wsgiscope!\n"
        status = "200 OK"
    elif path.startswith("/hello/") and path.count("/") == 2 and len(path) > len("/hello/"):
        name = path[len("/hello/"):].encode("latin-1").decode("utf-8", "replace")
        text = "Hello, %s!\n" % escape(name)
        status = "200 OK"
    else:
        text = "Not Found\n"
        status = "404 Not Found"
    body = text.encode("utf-8")
    start_response(
        status,
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
