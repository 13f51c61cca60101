# Lesson 9, exercise: apps/flask_app.py's two GET routes without Flask, in plain WSGI, to see
# what the framework does for you: routing on PATH_INFO, a 404 for the rest, the headers.
#
#   cargo run --release -- apps/solutions/lesson09_plain_hello.py
#   curl http://127.0.0.1:8888/hello/class


def application(environ, start_response):
    """`/` and `/hello/<name>`, like the Flask app; 404 for anything else."""
    path = environ["PATH_INFO"]
    if path == "/":
        text = "Hello from plain WSGI, served by wsgiscope!\n"
        status = "200 OK"
    elif path.startswith("/hello/") and path.count("/") == 2 and len(path) > len("/hello/"):
        name = path[len("/hello/"):].encode("latin-1").decode("utf-8", "replace")
        text = "Hello, %s!\n" % name
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
