"""Lesson 11, exercise: the same app, served by a thread per connection.

    python3 lessons/code/threading_server.py apps/slow.py            # port 8000
    python3 lessons/code/threading_server.py apps/slow.py --port 0   # a free port

The standard library's wsgiref server with socketserver's ThreadingMixIn: each connection
gets a thread of its own, so one slow client no longer holds up the next. The app does not
change at all; only the server does.

Look at environ['wsgi.multithread'] here: it is False, although the app may now run on
several threads at once. wsgiref's request handler passes multithread=False, because
wsgiref's own server is single-threaded, and ThreadingMixIn changes the server, not the
handler. PEP 3333 asks for True whenever the app "may be simultaneously invoked by another
thread in the same process": this server tells the app something untrue, and an app that
trusted the flag to skip its locks would break. Real threaded servers (waitress, gunicorn's
gthread worker) say True.
"""

import argparse
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

# Lesson 12's server, beside this file, loads an app file the way wsgiscope does.
from tutorial_server import load_app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per connection."""

    daemon_threads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server = make_server("127.0.0.1", args.port, load_app(args.app),
                         server_class=ThreadingWSGIServer)
    print("Serving on http://127.0.0.1:%d" % server.server_port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
