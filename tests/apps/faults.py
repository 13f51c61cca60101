# Used by tests/hardening.rs: an app that misbehaves on request, to check that the server
# survives each fault and serves the next request.
#
#   /             hello world! (the request every test ends with)
#   /sleep?s=1.5  sleeps, then answers
#   /leak?mib=4   keeps 4 MiB more in a global list, forever
#   /close-raises answers, then its result's close() raises
#   /forever      yields 1 KiB chunks forever (until the client hangs up)
#   /big?n=1048576  one body of n bytes
#   /echo         the request body, read from wsgi.input

import time
from urllib.parse import parse_qs

LEAKED = []
MIB = 1024 * 1024


class RaisesInClose:
    def __iter__(self):
        yield b"closing badly"

    def close(self):
        raise RuntimeError("close() failed on purpose")


def forever():
    chunk = b"x" * 1024
    while True:
        yield chunk


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = parse_qs(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/sleep":
        time.sleep(float(query.get("s", ["1"])[0]))
        return [b"slept"]
    if path == "/leak":
        LEAKED.append(bytearray(int(query.get("mib", ["1"])[0]) * MIB))
        return [b"leaked %d MiB in all" % (sum(map(len, LEAKED)) // MIB)]
    if path == "/close-raises":
        return RaisesInClose()
    if path == "/forever":
        return forever()
    if path == "/big":
        return [b"b" * int(query.get("n", ["1048576"])[0])]
    if path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return [environ["wsgi.input"].read(length)]
    return [b"hello world!"]
