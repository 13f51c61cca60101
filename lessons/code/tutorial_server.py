"""Lesson 12: the tutorial's WSGIServer, in Python, method by method beside wsgiscope's.

Run it exactly like wsgiscope, with an app file:

    python3 lessons/code/tutorial_server.py apps/hello.py             # port 8888
    python3 lessons/code/tutorial_server.py apps/hello.py --port 0    # a free port
    python3 lessons/code/tutorial_server.py apps/errors.py --timeout 5

It prints `Serving on http://HOST:PORT`, then serves until Ctrl-C: one connection at a time,
one request per connection, which it closes after the response. Each method's docstring
names the wsgiscope function in src/server.rs that does the same job, and what wsgiscope
does in addition. It is also stage 7 of lesson 14, which grows it from a fourteen-line socket
server (stage1_socket.py, beside this file); lesson 15's forking_server.py and lesson 12's
exercise, sized_server.py, are subclasses of its WSGIServer.

What it does for a request:

- reads the head until the empty line; lines must end with CRLF, as telnet sends them (nc
  needs printf with \\r\\n); it answers 400 with a sentence to a request line that is not
  three words, a header line without a colon or with spaces before it, and a Content-Length
  that is not a number (or two different ones), and 413 to a body over 16 MiB;
- refuses a body sent with Transfer-Encoding (chunked) with 411 Length Required: it does
  not decode chunks, and saying so beats reading the chunk sizes as the body;
- reads a Content-Length body before it calls the app (a client that sends less and closes
  gets a 400, one that stops sending a 408), and sends no 100 Continue (curl waits a
  second, then sends the body anyway);
- gives up on a client silent for --timeout seconds (60 by default): 408 if it had begun a
  request, a plain close if it had sent nothing. Each wait is timed on its own, so a client
  that sends a byte every few seconds can still hold it for as long as it likes;
- joins a header sent several times into one environ value, with ", " (Cookie with "; "),
  and drops header names with "_", which would look like "-" in the environ;
- calls the app, and traps what it raises: a 500 if nothing was sent yet; once the headers
  are out, it can only log the traceback and close the connection;
- sends the headers just before the first non-empty chunk, and no body for HEAD, 204 and 304;
- survives a client that resets the connection, or stops reading (for --timeout): the one
  connection is lost, the server says so on stderr and serves the next.

What it leaves out, on purpose (wsgiscope does each): it adds no Content-Length and no
chunked framing, so a body ends when the connection closes, and a client cannot tell a body
cut short by an app error from a whole one (lesson 13; the lesson's exercise,
sized_server.py, adds Content-Length for a one-chunk body); it keeps no connection open for
a second request; it trusts the status and headers the app gives (wsgiscope checks them,
src/checks.rs); and while it waits for one client, nobody else is served (lesson 11; lesson
15's forking_server.py serves each client in a process of its own).
"""

import argparse
import importlib.util
import io
import os
import socket
import sys
import time
import traceback
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import unquote_to_bytes

# The most bytes one recv() asks for, the most a request head may have, the largest body.
RECV_SIZE = 16 * 1024
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024


class RequestError(Exception):
    """A request the server will not serve: the status to answer and a sentence saying why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class ClientGone(Exception):
    """The client closed or reset the connection, or stopped reading: nobody to answer."""


class WSGIServer:
    """One listening socket, one app, one connection at a time."""

    def __init__(self, address, app, timeout=60.0):
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
        self.timeout = timeout
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
            self.serve_connection(*self.listen_socket.accept())

    def serve_connection(self, client_connection, client_address):
        """Serve one accepted connection's request, then close it, whatever happened.

        lessons/code/forking_server.py calls it in a child process, one per connection.
        """
        self.client_connection = client_connection
        # Every recv() and sendall() on this connection gives up after this long.
        self.client_connection.settimeout(self.timeout)
        try:
            self.handle_one_request(client_address)
        except ClientGone as gone:
            # Only this connection is lost; the loop goes on with the next client.
            print("client %s:%d: %s" % (client_address[0], client_address[1], gone),
                  file=sys.stderr)
        finally:
            self.close_connection()

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
            body = self.read_body()
        except RequestError as error:
            self.send_error(error.status, error.message)
            return
        env = self.get_environ(body)
        self.headers_set = None
        self.headers_sent = False
        result = None
        try:
            result = self.app(env, self.start_response)
            self.finish_response(result)
        except ClientGone:
            raise
        except Exception as error:
            # PEP 3333, "Error Handling": servers should trap and log what the app raises.
            traceback.print_exc(file=sys.stderr)
            if not self.headers_sent:
                self.send_error(
                    "500 Internal Server Error",
                    "the application raised %s: %s (the traceback is in the server's output)"
                    % (type(error).__name__, error),
                )
            # Otherwise the headers and part of the body are out: closing the connection,
            # in serve_forever, is all that is left.
        finally:
            # PEP 3333: call close() if the result has one, whatever happened.
            if hasattr(result, "close"):
                try:
                    result.close()
                except Exception:
                    traceback.print_exc(file=sys.stderr)

    def receive(self, got_some):
        """One recv(): the bytes, or b"" at the end; a timeout or a reset becomes an error.

        `got_some` says whether the request has begun: a client silent from the start gets
        no answer (it asked nothing), one silent in the middle of a request gets a 408.
        """
        try:
            return self.client_connection.recv(RECV_SIZE)
        except socket.timeout:
            if got_some:
                raise RequestError(
                    "408 Request Timeout",
                    "no byte came for %g s (--timeout) before the request was complete"
                    % self.timeout,
                )
            raise ClientGone("sent nothing for %g s (--timeout)" % self.timeout)
        except OSError as error:
            raise ClientGone("the connection failed while reading: %s" % error)

    def read_head(self):
        """Receive until the blank line that ends the head (telnet sends a line at a time).

        wsgiscope: the event loop reads whatever each connection sent into its own buffer
        (src/connection.rs), and WSGIServer::parse_request parses each new piece as it
        arrives, accepting bare LF line endings.
        """
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.receive(got_some=bool(data))
            if not chunk:
                if data:
                    raise RequestError(
                        "400 Bad Request", "the client closed the connection mid-request"
                    )
                raise ClientGone("closed the connection without sending a request")
            data += chunk
            if len(data) > MAX_HEAD:
                raise RequestError("400 Bad Request", "the request head is too large")
        head, _, self.body_start = data.partition(b"\r\n\r\n")
        return head.decode("latin-1")

    def parse_request(self, head):
        """Split the request line and the headers; find out how long the body is.

        wsgiscope: WSGIServer::parse_request and src/request.rs, which apply RFC 9112's
        rules (tokens, versions, framing) and answer 400 with a sentence for each broken
        one, and decode chunked bodies.
        """
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split()
        if len(parts) != 3:
            raise RequestError(
                "400 Bad Request",
                "the request line is not METHOD TARGET VERSION: %r" % request_line,
            )
        self.request_method, self.path, self.request_version = parts
        self.request_headers = []
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise RequestError("400 Bad Request", "a header line has no colon: %r" % line)
            if not name or name != name.strip():
                # RFC 9112 §5.1: no whitespace between the name and the colon.
                raise RequestError(
                    "400 Bad Request", "a header name is empty or has spaces: %r" % line
                )
            self.request_headers.append((name, value.strip()))
        names = [name.lower() for name, _ in self.request_headers]
        if "transfer-encoding" in names:
            # RFC 9112 §6.3: "A server MAY reject a request that contains a message body but
            # not a Content-Length by responding with 411 (Length Required)."
            raise RequestError(
                "411 Length Required",
                "this server does not decode Transfer-Encoding (chunked) request bodies: "
                "send the body with a Content-Length",
            )
        lengths = {v for n, v in self.request_headers if n.lower() == "content-length"}
        if len(lengths) > 1:
            raise RequestError("400 Bad Request", "the request has two different Content-Lengths")
        self.content_length = None
        if lengths:
            value = lengths.pop()
            # Digits only: int() would also take " 12", "+12", "1_2" and "١٢".
            if not (value.isascii() and value.isdigit()):
                raise RequestError(
                    "400 Bad Request", "the Content-Length %r is not a number of bytes" % value
                )
            self.content_length = int(value)
            if self.content_length > MAX_BODY:
                raise RequestError(
                    "413 Content Too Large",
                    "the body is %d bytes; this server takes at most %d"
                    % (self.content_length, MAX_BODY),
                )

    def read_body(self):
        """Receive exactly Content-Length bytes of body (none without the header).

        wsgiscope: src/connection.rs reads the body with the head, as it arrives, and
        src/request.rs decodes a chunked one; the app gets it through src/environ.rs's
        WsgiInput.
        """
        length = self.content_length or 0
        body = self.body_start
        while len(body) < length:
            chunk = self.receive(got_some=True)
            if not chunk:
                raise RequestError(
                    "400 Bad Request",
                    "the body ended after %d of its %d bytes" % (len(body), length),
                )
            body += chunk
        # Bytes after the body would be a second request, which this server does not serve.
        return body[:length]

    def get_environ(self, body):
        """Build the environ dict from the request (PEP 3333, "environ Variables").

        wsgiscope: WSGIServer::get_environ and src/environ.rs, which do the same and also
        strip the mount point of --script-name from PATH_INFO.
        """
        env = dict(self.base_environ)
        path, _, query = self.path.partition("?")
        env["REQUEST_METHOD"] = self.request_method
        # PEP 3333: bytes as latin-1 str, after decoding the %XX escapes.
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
        env["QUERY_STRING"] = query
        env["SERVER_PROTOCOL"] = self.request_version
        env["REMOTE_ADDR"] = self.client_address[0]
        headers = {}
        for name, value in self.request_headers:
            if "_" in name:
                # X_Lesson would become HTTP_X_LESSON, like X-Lesson: a way to pass a header
                # a proxy in front thought it had removed. wsgiscope drops them too.
                continue
            key = name.upper().replace("-", "_")
            if key == "CONTENT_LENGTH":
                continue  # checked in parse_request, set below
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            if key in headers:
                # The same header twice is one field whose values are joined with commas
                # (RFC 9110 §5.3); Cookie's pieces are joined with "; ".
                headers[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                headers[key] = value
        env.update(headers)
        if self.content_length is not None:
            env["CONTENT_LENGTH"] = str(self.content_length)
        env["wsgi.input"] = io.BytesIO(body)
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
        if not isinstance(data, bytes):
            # Checked before anything is sent, so that the app's mistake is still a 500.
            raise TypeError("the app sent %s, not bytes" % type(data).__name__)
        if self.headers_set is None:
            raise AssertionError("the app sent body bytes before it called start_response")
        status, headers = self.headers_set
        if not self.headers_sent:
            now = format_datetime(datetime.now(timezone.utc), usegmt=True)
            head = "HTTP/1.1 %s\r\n" % status
            for name, value in headers + [
                ("Date", now),
                ("Server", "tutorial_server.py"),
                ("Connection", "close"),
            ]:
                head += "%s: %s\r\n" % (name, value)
            self.send(head.encode("latin-1") + b"\r\n")
            self.headers_sent = True
        # RFC 9110: no body in a response to HEAD, nor in a 204 or a 304.
        if self.request_method != "HEAD" and status[:3] not in ("204", "304"):
            self.send(data)

    def finish_response(self, result):
        """Send each chunk of the body; the headers go out just before the first one.

        wsgiscope: WSGIServer::finish_response and src/response.rs, which also add a
        Content-Length when the body is one chunk, send the others chunked to an HTTP/1.1
        client, and check the body against the headers.
        """
        for data in result:
            if data:
                self.write(data)
        if not self.headers_sent:
            # An empty body: the headers still have to go out.
            self.write(b"")

    def send_error(self, status, message):
        """Answer a request that could not be served (wsgiscope: answer_read_error)."""
        body = (status + "\n\n" + message + "\n").encode("latin-1", "replace")
        head = "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % (
            status,
            len(body),
        )
        head += "Connection: close\r\n\r\n"
        self.send(head.encode("latin-1") + body)

    def send(self, data):
        """sendall(), with a client that is gone (reset, closed, not reading) as ClientGone."""
        try:
            self.client_connection.sendall(data)
        except OSError as error:
            raise ClientGone("the connection failed while sending: %s" % error)

    def close_connection(self):
        """Close the connection so that the client reads the whole response.

        Closing a socket with unread request bytes in it (a refused body, a second request)
        makes the kernel send a reset, which can destroy the response before the client read
        it. So: end our side first, read and drop what the client still sends (for at most a
        second and 1 MiB), then close. wsgiscope: the lingering close of src/connection.rs.
        """
        conn = self.client_connection
        deadline = time.monotonic() + 1.0
        dropped = 0
        try:
            conn.shutdown(socket.SHUT_WR)
            while dropped < 1024 * 1024:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                conn.settimeout(left)
                chunk = conn.recv(RECV_SIZE)
                if not chunk:
                    break
                dropped += len(chunk)
        except OSError:
            pass
        conn.close()


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


def main(server_class=WSGIServer):
    """The command line; lessons/code/forking_server.py and sized_server.py pass their class."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", help="a .py file with an `application` callable")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a client may stay silent (default 60)")
    args = parser.parse_args()
    serve_until_ctrl_c(server_class((args.host, args.port), load_app(args.app), args.timeout))


def serve_until_ctrl_c(server):
    """Say where the server listens (the tests read the port there), then serve until Ctrl-C."""
    print("Serving on http://%s:%d" % (server.server_name, server.server_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
