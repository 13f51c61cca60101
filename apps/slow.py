# A slow app: it sleeps before it answers, `?seconds=3` for three seconds (at most 30).
#
# The app runs one request at a time: while it sleeps, the server serves nobody else (its
# event loop takes in the other clients' bytes only once the app returns). Run two curls at
# once and watch the second one's time in the inspector. A client that types slowly, on the
# other hand, holds nobody up; with --one-at-a-time (the tutorial's loop) it does.
#
#   cargo run --release -- apps/slow.py
#   curl 'http://127.0.0.1:8888/?seconds=3' & curl http://127.0.0.1:8888/

import time
from urllib.parse import parse_qs

LONGEST = 30.0


def application(environ, start_response):
    """Sleep as long as asked, then say how long."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    seconds = min(float(query.get("seconds", ["0"])[0]), LONGEST)
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slept %.1f seconds\n" % seconds]
