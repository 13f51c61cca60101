"""Lesson 12: the tutorial's WSGIServer, in Python, method by method beside wsgiscope's.

Run it exactly like wsgiscope, with an app file:

    python3 lessons/code/tutorial_server.py apps/hello.py            # port 8888
    python3 lessons/code/tutorial_server.py apps/hello.py --port 0   # a free port

It prints `Serving on http://HOST:PORT` and serves one request per connection, one
connection at a time, until Ctrl-C. Each method's docstring names the wsgiscope function in
src/server.rs that does the same job, and what wsgiscope does in addition.

It is short on purpose. It reads the request with a simple loop, trusts Content-Length,
knows no chunked bodies, and sends the headers when start_response is first called with a
body in hand: enough to run every app in apps/ that reads no body, and to be read in one go.
"""

import argparse
import importlib.util
import io
import os
import socket
import sys
from datetime import datetime, timezone
from email.utils import format_datetime

# The most bytes one recv() asks for, and the most a request head may have.
RECV_SIZE = 16 * 1024
MAX_HEAD = 64 * 1024


class WSGIServer:
    """One listening socket, one app, one connection at a time."""

    def __init__(self, address, app):
        """Bind and listen; build the environ keys that never change.

        wsgiscope: WSGIServer::new. It also turns "port in use" into a sentence.
        """
        self.listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listen_socket.bind(address)
        # The backlog: clients that arrive while we serve someone wait in this queue.
        self.listen_socket.listen(128)
        host, self.server_port = self.listen_socket.getsockname()[:2]
        self.server_name = host
        self.app = app
        self.base_environ = {
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": str(self.server_port),
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def serve_forever(self):
        """Accept a connection, serve it, close it; again, forever.

        wsgiscope: WSGIServer::serve_one_at_a_time (--one-at-a-time). It also stops cleanly
        on Ctrl-C or SIGTERM, by waiting on the listening socket and a stop signal at the
        same time. wsgiscope's default WSGIServer::serve_forever is an event loop instead:
        it waits on every connection at once, so a silent client holds up nobody.
        """
        while True:
            self.client_connection, client_address = self.listen_socket.accept()
            try:
                self.handle_one_request(client_address)
            finally:
                self.client_connection.close()

    def handle_one_request(self, client_address):
        """Read one request, call the app, send its response.

        wsgiscope: WSGIServer::handle_one_request, which gets a request the loop has already
        read and parsed (the loop also times out a silent client; the deadlines are in
        src/connection.rs), and writes every phase into the exchange record the inspector
        shows.
        """
        self.client_address = client_address
        try:
            self.parse_request(self.read_head())
        except ValueError as error:
            self.send_error("400 Bad Request", str(error))
            return
        env = self.get_environ()
        self.headers_set = None
        self.headers_sent = False
        result = self.app(env, self.start_response)
        try:
            self.finish_response(result)
        finally:
            # PEP 3333: call close() if the result has one, whatever happened.
            if hasattr(result, "close"):
                result.close()

    def read_head(self):
        """Receive until the blank line that ends the head (telnet sends a line at a time).

        wsgiscope: the event loop reads whatever each connection sent into its own buffer
        (src/connection.rs), and WSGIServer::parse_request parses each new piece as it
        arrives, accepting bare LF line endings.
        """
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.client_connection.recv(RECV_SIZE)
            if not chunk:
                raise ValueError("the client closed the connection mid-request")
            data += chunk
            if len(data) > MAX_HEAD:
                raise ValueError("the request head is too large")
        head, _, self.body_start = data.partition(b"\r\n\r\n")
        return head.decode("latin-1")

    def parse_request(self, head):
        """Split the request line and the headers.

        wsgiscope: WSGIServer::parse_request and src/request.rs, which apply RFC 9112's
        rules (tokens, versions, no spaces before the colon, framing) and answer 400 with a
        sentence for each broken one.
        """
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split()
        if len(parts) != 3:
            raise ValueError("the request line is not METHOD TARGET VERSION: %r" % request_line)
        self.request_method, self.path, self.request_version = parts
        self.request_headers = []
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise ValueError("a header line has no colon: %r" % line)
            self.request_headers.append((name.strip(), value.strip()))

    def get_environ(self):
        """Build the environ dict from the request (PEP 3333, "environ Variables").

        wsgiscope: WSGIServer::get_environ and src/environ.rs, which also drop headers with
        `_` in the name and keep bytes as latin-1 str.
        """
        from urllib.parse import unquote_to_bytes

        env = dict(self.base_environ)
        path, _, query = self.path.partition("?")
        env["REQUEST_METHOD"] = self.request_method
        # PEP 3333: bytes as latin-1 str, after decoding the %XX escapes.
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
        env["QUERY_STRING"] = query
        env["SERVER_PROTOCOL"] = self.request_version
        env["REMOTE_ADDR"] = self.client_address[0]
        length = 0
        for name, value in self.request_headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_LENGTH":
                length = int(value)
                env[key] = value
            elif key == "CONTENT_TYPE":
                env[key] = value
            else:
                env["HTTP_" + key] = value
        body = self.body_start
        while len(body) < length:
            chunk = self.client_connection.recv(RECV_SIZE)
            if not chunk:
                break
            body += chunk
        env["wsgi.input"] = io.BytesIO(body[:length])
        return env

    def start_response(self, status, response_headers, exc_info=None):
        """Keep the status and headers for later; return write().

        wsgiscope: src/start_response.rs, a Python class written in Rust, which also checks
        each argument the way wsgiref does and names the PEP 3333 rule broken.
        """
        if exc_info:
            try:
                if self.headers_sent:
                    # Too late for another status: re-raise, as PEP 3333 says.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.headers_set:
            raise AssertionError("start_response was already called (no exc_info)")
        self.headers_set = [status, response_headers]
        return self.write

    def write(self, data):
        """The write() callable: send the headers if not yet sent, then `data`.

        wsgiscope: the write() of StartResponse, which ends in src/response.rs.
        """
        if not self.headers_sent:
            status, headers = self.headers_set
            now = format_datetime(datetime.now(timezone.utc), usegmt=True)
            head = "HTTP/1.1 %s\r\n" % status
            for name, value in headers + [
                ("Date", now),
                ("Server", "tutorial_server.py"),
                ("Connection", "close"),
            ]:
                head += "%s: %s\r\n" % (name, value)
            self.client_connection.sendall(head.encode("latin-1") + b"\r\n")
            self.headers_sent = True
        self.client_connection.sendall(data)

    def finish_response(self, result):
        """Send each chunk of the body; the headers go out just before the first one.

        wsgiscope: WSGIServer::finish_response and src/response.rs, which also add a
        Content-Length when the body is one chunk and check the body against the headers.
        """
        for data in result:
            if data:
                self.write(data)
        if not self.headers_sent:
            # An empty body: the headers still have to go out.
            self.write(b"")

    def send_error(self, status, message):
        """Answer a request that could not be read (wsgiscope: answer_read_error)."""
        body = (message + "\n").encode("latin-1", "replace")
        head = "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % (
            status,
            len(body),
        )
        head += "Connection: close\r\n\r\n"
        self.client_connection.sendall(head.encode("latin-1") + body)


def load_app(path):
    """Import a .py file and return its `application` (or `app`), as wsgiscope does."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attribute in ("application", "app"):
        if callable(getattr(module, attribute, None)):
            return getattr(module, attribute)
    raise SystemExit("%s has no callable named application or app" % path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", help="a .py file with an `application` callable")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args()
    server = WSGIServer((args.host, args.port), load_app(args.app))
    print("Serving on http://%s:%d" % (server.server_name, server.server_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
