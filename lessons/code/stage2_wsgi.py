"""Lesson 14, stage 2 (the tutorial's part 2): a WSGI server. The app writes the answer now.

    python3 lessons/code/stage2_wsgi.py apps/hello.py                # port 8888
    python3 lessons/code/stage2_wsgi.py apps/environ.py --port 0     # a free port
    .venv/bin/python lessons/code/stage2_wsgi.py apps/flask_app.py   # Flask, from a venv

The tutorial's class, with its methods in its order: __init__ listens, serve_forever accepts
one connection at a time, handle_one_request reads the request, builds the environ, calls
the app and sends what it returned. One method is new, read_request, so that the next stage
can change how the request is read without touching the rest; and serve_forever, not
finish_response, closes the connection, so that a later stage can still answer after a
failure.

What it leaves out, each named, each the subject of a later stage:

- one recv() is taken for the whole request, the stage 1 shortcut (stage 3 reads until the
  blank line);
- the environ holds the request line's parts and nothing of the headers, although PEP 3333
  asks for an HTTP_ key for each, and the whole target as PATH_INFO, query and %XX escapes
  included (stage 3); wsgi.input is empty, no body is read (stage 4);
- start_response returns nothing (PEP 3333 asks for write()), and the headers go out with
  the whole body, joined, once the app has returned (stage 5);
- an exception in the app ends the whole server, and so does a request line that is not
  three words, or a connection closed before it sent a request (a browser may open one and
  never use it) (stage 6 traps them); nothing calls the result's close() (stage 5 does).
"""

import argparse
import io
import os
import socket
import sys
from datetime import datetime, timezone
from email.utils import format_datetime

# Lesson 12's server, beside this file, loads an app file the way wsgiscope does, and prints
# the line that says where it listens.
from tutorial_server import load_app, serve_until_ctrl_c


class WSGIServer:
    """One listening socket, one app, one connection at a time."""

    def __init__(self, server_address):
        """Create the socket, bind it to the address, listen; remember where."""
        self.listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listen_socket.bind(server_address)
        # The backlog: how many clients may wait, connected, for accept() (lesson 15).
        self.listen_socket.listen(1)
        self.server_name, self.server_port = self.listen_socket.getsockname()[:2]
        self.headers_set = []

    def set_app(self, application):
        self.application = application

    def serve_forever(self):
        """Accept a connection, answer it, close it; again, forever."""
        while True:
            self.client_connection, self.client_address = self.listen_socket.accept()
            self.handle_one_request()
            self.client_connection.close()

    def handle_one_request(self):
        """The whole story of one request, in four lines."""
        self.parse_request(self.read_request())
        env = self.get_environ()
        result = self.application(env, self.start_response)
        self.finish_response(result)

    def read_request(self):
        """The request's text: what one recv() returns."""
        return self.client_connection.recv(1024).decode("latin-1")

    def parse_request(self, text):
        """Split the request line, `GET /hello HTTP/1.1`, into its three parts."""
        request_line = text.splitlines()[0]
        self.request_method, self.path, self.request_version = request_line.split()

    def get_environ(self):
        """The dict the app is called with (PEP 3333, "environ Variables")."""
        return {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": self.request_method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": str(self.server_port),
            "SERVER_PROTOCOL": self.request_version,
        }

    def start_response(self, status, response_headers, exc_info=None):
        """Keep the status and the headers until the body is ready."""
        server_headers = [
            ("Date", format_datetime(datetime.now(timezone.utc), usegmt=True)),
            ("Server", os.path.basename(sys.argv[0])),  # the stage you ran
        ]
        self.headers_set = [status, response_headers + server_headers]

    def finish_response(self, result):
        """Send the status line, the headers, the empty line and the body, in one piece."""
        self.client_connection.sendall(self.response_head() + b"".join(result))

    def response_head(self):
        """The status line, the app's header lines and the server's, then the empty line."""
        status, response_headers = self.headers_set
        head = "HTTP/1.1 %s\r\n" % status
        for name, value in response_headers:
            head += "%s: %s\r\n" % (name, value)
        return (head + "\r\n").encode("latin-1")


def main(server_class):
    """Run a stage's server: `STAGE.py APP [--port N]`."""
    parser = argparse.ArgumentParser(description="one stage of lesson 14's WSGI server")
    parser.add_argument("app", help="a .py file with an `application` callable")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args()
    server = server_class(("127.0.0.1", args.port))
    server.set_app(load_app(args.app))
    serve_until_ctrl_c(server)


if __name__ == "__main__":
    main(WSGIServer)
