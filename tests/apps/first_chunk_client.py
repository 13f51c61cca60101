"""Used by tests/framing.rs: read a slow streamed response with the standard library's
http.client, as a program that shows progress would, and say when the first line came.

    python first_chunk_client.py PORT TARGET

Prints one JSON object: `status`, `chunked` (http.client saw Transfer-Encoding: chunked),
`first` (the first line, read with read1(), which returns what one chunk holds),
`first_after` and `whole_after` (seconds from sending the request), and `body` (all of it).
"""

import http.client
import json
import sys
import time

port, target = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
sent = time.monotonic()
conn.request("GET", target)
response = conn.getresponse()
first = b""
while not first.endswith(b"\n"):
    more = response.read1()
    if not more:
        break
    first += more
first_after = time.monotonic() - sent
rest = response.read()
whole_after = time.monotonic() - sent
print(
    json.dumps(
        {
            "status": response.status,
            "chunked": bool(response.chunked),
            "first": first.decode("latin-1"),
            "first_after": first_after,
            "whole_after": whole_after,
            "body": (first + rest).decode("latin-1"),
        }
    )
)
