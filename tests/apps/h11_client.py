"""Used by tests/framing.rs: fetch `/` from two running wsgiscopes with h11, a strict parser of
HTTP/1.1 for the client side, and report everything it finds wrong.

    python h11_client.py CLOSE_PORT KEEP_ALIVE_PORT

CLOSE_PORT is a server without --keep-alive: GET / and HEAD /, one connection each. Each
response must parse, be whole, say `Connection: close`, and be followed by the server closing.

KEEP_ALIVE_PORT is the same app with --keep-alive: GET / then GET / on one connection, HEAD /
then GET / on another. When the first response leaves the connection open (h11 says both
sides are DONE), the second request must get a whole response too; when it says it closes, the
server must close.

Prints one line per connection, `ok ...` or `problem ...` (what h11 or the check said, with the
bytes received), and exits with 1 when there was a problem.
"""

import socket
import sys

import h11

# Seconds to wait for the next byte before calling the server stuck.
PATIENCE = 10
# How much of the received bytes a problem line shows.
SHOWN = 1500


class Problem(Exception):
    pass


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    return sock, h11.Connection(our_role=h11.CLIENT)


def receive(sock, conn, received, waiting_for):
    try:
        data = sock.recv(65536)
    except socket.timeout:
        raise Problem("no byte for %d s while waiting for %s" % (PATIENCE, waiting_for))
    except ConnectionError as e:
        raise Problem("%s while waiting for %s" % (e.__class__.__name__, waiting_for))
    received.extend(data)
    conn.receive_data(data)


def fetch(sock, conn, received, method):
    """Send `method /` and read its whole response: (the h11 Response, body byte count)."""
    what = "the response to %s /" % method
    out = conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    out += conn.send(h11.EndOfMessage())
    sock.sendall(out)
    response, body = None, 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            receive(sock, conn, received, what)
        elif isinstance(event, h11.InformationalResponse):
            continue
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += len(event.data)
        elif isinstance(event, h11.EndOfMessage):
            if method == "HEAD" and body:
                raise Problem("%s carried %d body bytes" % (what, body))
            return response, body
        elif isinstance(event, h11.ConnectionClosed):
            raise Problem("the server closed before %s was whole" % what)
        else:
            raise Problem("unexpected %r while reading %s" % (event, what))


def expect_close(sock, conn, received, after):
    """After a response that ends the connection: nothing more, then the server closes."""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            receive(sock, conn, received, "the server to close after " + after)
        elif isinstance(event, h11.ConnectionClosed):
            return
        else:
            raise Problem("after %s, %r came instead of the end of the connection" % (after, event))


def says_close(response):
    return any(
        name == b"connection" and b"close" in value.lower() for name, value in response.headers
    )


def describe(response, body):
    return "%d, %d body bytes" % (response.status_code, body)


def check_close(received, port, method):
    sock, conn = connect(port)
    try:
        response, body = fetch(sock, conn, received, method)
        if not says_close(response):
            raise Problem(
                "without --keep-alive, the response to %s / does not say Connection: close" % method
            )
        expect_close(sock, conn, received, "the response to %s /" % method)
        return "%s / %s, then closed" % (method, describe(response, body))
    finally:
        sock.close()


def check_keep_alive(received, port, first, second):
    sock, conn = connect(port)
    try:
        response, body = fetch(sock, conn, received, first)
        told = "%s / %s" % (first, describe(response, body))
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            extra, _ = conn.trailing_data
            if extra:
                raise Problem("%r came after the response to %s /" % (bytes(extra), first))
            conn.start_next_cycle()
            again, body = fetch(sock, conn, received, second)
            told += "; reused: %s / %s" % (second, describe(again, body))
            if conn.their_state is h11.MUST_CLOSE:
                expect_close(sock, conn, received, "the response to %s /" % second)
            return told
        expect_close(sock, conn, received, "the response to %s /" % first)
        return told + "; closed"
    finally:
        sock.close()


def run(label, check, *args):
    """Run one check; print what it found. True when it found nothing wrong."""
    received = bytearray()
    try:
        print("ok %s: %s" % (label, check(received, *args)))
        return True
    except (Problem, h11.ProtocolError) as e:
        shown = bytes(received[:SHOWN])
        cut = " (and %d more bytes)" % (len(received) - SHOWN) if len(received) > SHOWN else ""
        print("problem %s: %s: %s; received: %r%s" % (label, type(e).__name__, e, shown, cut))
        return False


def main():
    close_port, keep_alive_port = int(sys.argv[1]), int(sys.argv[2])
    results = [
        run("without --keep-alive, GET", check_close, close_port, "GET"),
        run("without --keep-alive, HEAD", check_close, close_port, "HEAD"),
        run("--keep-alive, GET then GET", check_keep_alive, keep_alive_port, "GET", "GET"),
        run("--keep-alive, HEAD then GET", check_keep_alive, keep_alive_port, "HEAD", "GET"),
    ]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
