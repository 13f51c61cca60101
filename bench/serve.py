"""Serve a WSGI app file with one of the Python servers the benchmark compares.

    python bench/serve.py SERVER PORT path/to/app.py

SERVER is one of: wsgiref, werkzeug, waitress, bjoern. (gunicorn has its own command line;
bench/run.py starts it directly.) Every server listens on 127.0.0.1 only, serves one request
at a time where it can be told to, and logs nothing per request, so that the comparison
measures serving, not logging.

The app is loaded as wsgiscope loads a file: `application`, else `app`.
"""
import importlib.util
import logging
import os
import sys

HOST = "127.0.0.1"


def load(path):
    path = os.path.abspath(path)
    # The app's folder goes first on sys.path, as wsgiscope does.
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("bench_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "application", None) or module.app


def wsgiref(app, port):
    """The standard library's server: one request at a time, request log silenced."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    with make_server(HOST, port, app, handler_class=QuietHandler) as server:
        server.serve_forever()


def werkzeug(app, port):
    """Werkzeug's development server (what `flask run` uses), single-threaded."""
    from werkzeug.serving import run_simple

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    run_simple(HOST, port, app, threaded=False, processes=1, use_reloader=False)


def waitress(app, port):
    """Waitress with one worker thread (its I/O thread is separate).

    connection_limit is raised from waitress's 100 to 1,000, wsgiscope's --max-connections:
    at its limit waitress stops accepting, so with the benchmark's 256 idle connections every
    new client would wait in the listen queue until an idle one left. Its other defaults stay:
    an idle connection is closed after channel_timeout (120 s), longer than any cell.
    """
    import waitress as w

    w.serve(app, host=HOST, port=port, threads=1, connection_limit=1000, _quiet=True)


def bjoern(app, port):
    """bjoern: a C server on libev, single-threaded; the fastest reference."""
    import bjoern as b

    b.run(app, HOST, port)


SERVERS = {f.__name__: f for f in (wsgiref, werkzeug, waitress, bjoern)}

if __name__ == "__main__":
    name, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    SERVERS[name](load(path), port)
