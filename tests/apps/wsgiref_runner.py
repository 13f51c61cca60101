"""Serve one WSGI app file with the standard library's wsgiref.simple_server, for tests/lessons.rs.

    python3 tests/apps/wsgiref_runner.py path/to/app.py

It binds 127.0.0.1 on a free port, prints `port N` as its first line, and serves until it is
stopped (SIGTERM). The app is found as wsgiscope finds it in a file: `application`, then `app`.
The request log wsgiref prints on stderr is silenced, so only real errors show.
"""

import importlib.util
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def load(path):
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attribute in ("application", "app"):
        if callable(getattr(module, attribute, None)):
            return getattr(module, attribute)
    raise SystemExit("%s has no callable `application` or `app`" % path)


def main():
    app = load(sys.argv[1])
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    print("port %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
