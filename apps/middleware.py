# Middleware: a WSGI app that wraps another. To the server it is an app; to the app it is a
# server. It can change the environ on the way in and the status, headers and body on the way
# out. Here, around the tutorial's hello world, three layers:
#
#   add_header   adds `X-Lesson: middleware` to every response
#   timing       adds `X-Elapsed-Ms`: the time from the request entering this layer to the
#                app's call of start_response (the headers go out before the body is made, so
#                no header can say how long the whole response took), and puts its start time
#                in the environ under a dotted name, `timing.started`
#   basic_auth   asks for a password on /secret (user ada, password lovelace), and sets
#                REMOTE_USER when the right one comes; without it, REMOTE_USER is left out:
#                PEP 3333, "missing variables (such as REMOTE_USER when no authentication
#                has occurred) should be left out of the environ dictionary"
#
#   cargo run --release -- apps/middleware.py
#   curl -i http://127.0.0.1:8888/
#   curl -i -u ada:lovelace http://127.0.0.1:8888/secret

import base64
import time

from hello import app as hello


def add_header(app, name, value):
    """Return an app that adds one response header to whatever `app` sends."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, headers + [(name, value)], exc_info)

        return app(environ, start)

    return wrapped


def timing(app):
    """Return an app that says, in a header, how long `app` took to call start_response."""

    def wrapped(environ, start_response):
        environ["timing.started"] = time.perf_counter()

        def start(status, headers, exc_info=None):
            elapsed = (time.perf_counter() - environ["timing.started"]) * 1000
            return start_response(status, headers + [("X-Elapsed-Ms", "%.3f" % elapsed)], exc_info)

        return app(environ, start)

    return wrapped


def basic_auth(app, path, user, password):
    """Return an app that asks for `user`:`password` before it lets a request for `path` in."""
    expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def wrapped(environ, start_response):
        authenticated = environ.get("HTTP_AUTHORIZATION") == expected
        if environ.get("PATH_INFO", "") == path and not authenticated:
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Basic realm="lesson"')],
            )
            return [b"who are you?\n"]
        if authenticated:
            # CGI's REMOTE_USER: who logged in. Nobody did otherwise, and then the key is
            # left out (PEP 3333, "environ Variables"), never set to "".
            environ["REMOTE_USER"] = user
        return app(environ, start_response)

    return wrapped


# The outermost layer sees the request first and the response last.
application = add_header(timing(basic_auth(hello, "/secret", "ada", "lovelace")), "X-Lesson", "middleware")
