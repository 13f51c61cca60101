# Lesson 15: lesson 2's request counter, with work between reading the count and writing it.
#
# `served += 1` reads the global, adds one and writes it back: three steps, not one. Here the
# steps are spelled out, and between the read and the write the app does the work of its
# request (a 10 ms sleep stands for a database query or a template; `?work=0` skips it).
# Under a server that calls the app on one thread at a time (wsgiscope, wsgiref, lesson 12's
# server) that changes nothing. Under a threading server two requests can both read the same
# count, and both write it back plus one: one of the two requests is lost. The fix, with a
# lock, is apps/solutions/lesson15_locked_counter.py.
#
#   python3 lessons/code/threading_server.py apps/racy_counter.py --port 8000
#   for i in $(seq 20); do curl -s http://127.0.0.1:8000/ & done; wait

import time
from urllib.parse import parse_qs

served = 0


def application(environ, start_response):
    """Count this request, slowly: read the count, work, write the count plus one."""
    global served
    query = parse_qs(environ.get("QUERY_STRING", ""))
    work = min(float(query.get("work", ["0.01"])[0]), 1.0)
    number = served + 1  # read
    time.sleep(work)  # the request's work; another thread may run meanwhile
    served = number  # write: whatever another thread wrote meanwhile is lost
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"request number %d since the server started\n" % number]
