# Lesson 6, exercise: POST a JSON list of numbers, get their sum as JSON.
#
# Reads exactly CONTENT_LENGTH bytes (none when it is missing or empty, a 400 when it is not a
# number), and answers 400 to anything that is not a JSON list of numbers. "Numbers" is meant
# strictly, because Python is generous where JSON is not:
#
#   "12"          a JSON string: iterating it gives the characters "1" and "2"
#   [1, "2"]      float("2") would turn the string into a number
#   [true, 2]     True is an int in Python (True + 2 == 3)
#   [NaN, 1]      json.loads accepts NaN, Infinity and -Infinity, which JSON does not have;
#   [1e400]       and a number too big for a float becomes inf
#
# So each item must be an int or a float, not a bool, and finite; the sum too (1e308 + 1e308
# is inf), and json.dumps(allow_nan=False) guarantees the answer is valid JSON.
#
#   cargo run --release -- apps/solutions/lesson06_json_sum.py
#   curl -H 'Content-Type: application/json' -d '[1, 2, 3.5]' http://127.0.0.1:8888/
#   curl -H 'Content-Type: application/json' -d '[true, 2]' http://127.0.0.1:8888/    (400)

import json
import math


class NotNumbers(ValueError):
    """The body is not a JSON list of finite numbers; the message says why."""


def numbers_in(body):
    """The numbers of a JSON list, or NotNumbers saying what is wrong with the body."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bytes that are not UTF-8; RecursionError, a list
        # nested too deep for the parser.
        raise NotNumbers("the body is not JSON")
    if not isinstance(value, list):
        raise NotNumbers("the JSON is a %s, not a list" % type(value).__name__)
    for item in value:
        # bool is a subclass of int: test it first.
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise NotNumbers("%s is not a number" % json.dumps(item))
        if isinstance(item, float) and not math.isfinite(item):
            raise NotNumbers("%r is not a finite number" % item)
    return value


def answer(start_response, status, document):
    body = (json.dumps(document, allow_nan=False) + "\n").encode("ascii")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def application(environ, start_response):
    """GET: how to use it. POST: the sum."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"POST a JSON list of numbers, e.g. [1, 2, 3.5]\n"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return answer(start_response, "400 Bad Request", {"error": "bad CONTENT_LENGTH"})
    body = environ["wsgi.input"].read(max(length, 0))
    try:
        numbers = numbers_in(body)
        total = sum(numbers)
        if isinstance(total, float) and not math.isfinite(total):
            raise NotNumbers("the sum is too large for a number")
    except OverflowError:
        # An int too large to add to a float.
        return answer(start_response, "400 Bad Request", {"error": "a number is too large"})
    except NotNumbers as error:
        return answer(start_response, "400 Bad Request", {"error": str(error)})
    return answer(start_response, "200 OK", {"sum": total})
