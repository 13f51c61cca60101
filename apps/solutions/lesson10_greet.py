# Lesson 10, exercise: greet in any language. `?name=Zo%C3%AB` arrives in QUERY_STRING still
# percent-encoded; parse_qs decodes it as UTF-8 (its default). The answer is encoded as UTF-8
# and says so in its Content-Type, so the client decodes it the same way.
#
#   cargo run --release -- apps/solutions/lesson10_greet.py
#   curl 'http://127.0.0.1:8888/?name=Zo%C3%AB'
#
# portable: GET /?name=Zo%C3%AB

from urllib.parse import parse_qs


def application(environ, start_response):
    """Grüße, NAME! in UTF-8."""
    query = parse_qs(environ.get("QUERY_STRING", ""), encoding="utf-8")
    name = query.get("name", ["Welt"])[0]
    body = ("Grüße, %s!\n" % name).encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body]
