# Lesson 6, exercise: POST a JSON list of numbers, get their sum. Reads exactly
# CONTENT_LENGTH bytes (0 when the header is missing), and answers 400 to a body that is not
# a JSON list of numbers.
#
#   cargo run --release -- apps/solutions/lesson06_json_sum.py
#   curl -H 'Content-Type: application/json' -d '[1, 2, 3.5]' http://127.0.0.1:8888/

import json


def application(environ, start_response):
    """GET: how to use it. POST: the sum."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"POST a JSON list of numbers, e.g. [1, 2, 3.5]\n"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    try:
        numbers = json.loads(body)
        total = sum(float(n) for n in numbers)
    except (ValueError, TypeError):
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"the body is not a JSON list of numbers\n"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"sum": total}).encode("ascii") + b"\n"]
