# Used by tests/output.rs: an app that writes far more output than a record keeps.
#
#   /print?n=5000&size=100   prints n lines of `size` characters each (line numbers first)
#   /long-line?n=200000      writes one line of n characters to sys.stderr
#   /writes?n=200000         calls write() n times with one byte each, returns nothing more
#   /                        hello world!
#
# At import it prints IMPORT_LINES lines, which belong to no exchange.

import sys
from urllib.parse import parse_qs

IMPORT_LINES = 3000
for i in range(IMPORT_LINES):
    print("import line %d" % i)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = {k: int(v[0]) for k, v in parse_qs(environ["QUERY_STRING"]).items()}
    if path == "/print":
        size = query.get("size", 100)
        for i in range(query.get("n", 5000)):
            print(("%07d" % i).ljust(size, "."))
    elif path == "/long-line":
        sys.stderr.write("y" * query.get("n", 200000) + "\n")
    elif path == "/writes":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        for _ in range(query.get("n", 200000)):
            write(b"w")
        return []
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello world!"]
