"""Serve one WSGI app file with the standard library's wsgiref.simple_server, for tests/lessons.rs.

    python3 tests/apps/wsgiref_runner.py path/to/app.py

It binds 127.0.0.1 on a free port, prints `port N` as its first line, and serves until it is
stopped (SIGTERM). The app is found as wsgiscope finds it in a file: `application`, then `app`.
The request log wsgiref prints on stderr is silenced, so only real errors show.
"""

import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

# The loader lesson 16's validator wrapper uses: the app file's folder first on sys.path, then
# its `application`, else its `app`.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lessons", "code"))
from validated import load  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main():
    app = load(sys.argv[1])
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    print("port %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
