# Lesson 19, exercise: mount several apps under one, by their first path segment, with the
# standard library's wsgiref tools, and test it without any server.
#
# `mount({"hello": app1, "env": app2})` is a WSGI app that moves the first segment of
# PATH_INFO to SCRIPT_NAME (wsgiref.util.shift_path_info) and calls the app mounted there, so
# each app sees its own mount point in SCRIPT_NAME and the rest of the path in PATH_INFO, and
# builds its URLs right (wsgiref.util.application_uri). An unknown segment is a 404 that says
# what is mounted; `/` lists the mounts. Headers are built with wsgiref.headers.Headers.
#
# shift_path_info changes the environ it is given, and the environ is the request's own
# (PEP 3333 lets an app change it as it likes); a mount that had to try several apps would
# shift a copy.
#
#   wsgiscope apps/solutions/lesson19_mount.py
#   curl http://127.0.0.1:8888/env/some/where
#   python3 apps/solutions/lesson19_mount.py            (the tests below, no server, no socket)
#   python3 apps/solutions/lesson19_mount.py --serve    (wsgiref's make_server, port 8000)

import sys

from wsgiref.headers import Headers
from wsgiref.util import application_uri, setup_testing_defaults, shift_path_info


def plain(start_response, status, text):
    """Answer `text` as text/plain with `status`; the headers made with wsgiref's Headers."""
    body = text.encode("utf-8")
    headers = Headers([])
    headers["Content-Type"] = "text/plain; charset=utf-8"
    headers["Content-Length"] = str(len(body))
    start_response(status, headers.items())
    return [body]


def mount(apps):
    """A WSGI app that sends `/NAME/rest` to `apps[NAME]`, with SCRIPT_NAME ending in /NAME."""

    def dispatch(environ, start_response):
        name = shift_path_info(environ)
        if not name:
            return plain(start_response, "200 OK", "mounted: %s\n" % ", ".join(sorted(apps)))
        app = apps.get(name)
        if app is None:
            return plain(
                start_response,
                "404 Not Found",
                "nothing is mounted at /%s; mounted: %s\n" % (name, ", ".join(sorted(apps))),
            )
        return app(environ, start_response)

    return dispatch


def hello(environ, start_response):
    return plain(start_response, "200 OK", "hello from %s\n" % application_uri(environ))


def where(environ, start_response):
    return plain(
        start_response,
        "200 OK",
        "SCRIPT_NAME=%r PATH_INFO=%r\n" % (environ["SCRIPT_NAME"], environ["PATH_INFO"]),
    )


application = mount({"hello": hello, "env": where})


def call(app, path):
    """Call `app` for GET `path` without a server: (status, headers, body)."""
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)  # the rest: a fake but complete environ
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return seen["status"], seen["headers"], body


def self_test():
    """The exercise's checks, with setup_testing_defaults' environ (host 127.0.0.1, port 80)."""
    status, _, body = call(application, "/hello/")
    assert status == "200 OK", status
    assert body == b"hello from http://127.0.0.1/hello\n", body
    _, _, body = call(application, "/env/some/where")
    assert body == b"SCRIPT_NAME='/env' PATH_INFO='/some/where'\n", body
    status, headers, body = call(application, "/nowhere")
    assert status == "404 Not Found", status
    assert ("Content-Length", str(len(body))) in headers, headers
    _, _, body = call(application, "/")
    assert body == b"mounted: env, hello\n", body
    print("lesson19_mount: all checks passed")


if __name__ == "__main__":
    if "--serve" in sys.argv:
        from wsgiref.simple_server import make_server

        with make_server("127.0.0.1", 8000, application) as server:
            print("Serving on http://127.0.0.1:8000", flush=True)
            server.serve_forever()
    else:
        self_test()
