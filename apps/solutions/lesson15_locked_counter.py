# Lesson 15, exercise: apps/racy_counter.py, safe under a threading server.
#
# The read and the write of the count happen together, under a lock: a thread that finds the
# lock taken waits until the other has written. The request's work is done outside the lock,
# so the threads still work at the same time; only the two steps on the count take turns.
# (Under several processes a lock in memory is no help: each process has its own count. A
# count shared by processes lives outside them, in a database or a file.)
#
#   python3 lessons/code/threading_server.py apps/solutions/lesson15_locked_counter.py

import threading
import time
from urllib.parse import parse_qs

served = 0
served_lock = threading.Lock()


def application(environ, start_response):
    """Count this request under the lock, then do the work of the request."""
    global served
    query = parse_qs(environ.get("QUERY_STRING", ""))
    work = min(float(query.get("work", ["0.01"])[0]), 1.0)
    with served_lock:
        served += 1
        number = served
    time.sleep(work)  # the request's work, outside the lock
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"request number %d since the server started\n" % number]
