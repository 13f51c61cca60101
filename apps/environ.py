# An environ dump, like the standard library's wsgiref demo_app: the app answers with every key
# of the environ the server built for this request, one `key = repr(value)` line each, sorted.
#
# It shows what PEP 3333 hands an app: CGI-style keys (REQUEST_METHOD, PATH_INFO, QUERY_STRING,
# HTTP_*), the wsgi.* keys, and that every value is a str holding bytes as latin-1.
#
#   cargo run --release -- apps/environ.py
#   curl 'http://127.0.0.1:8888/caf%C3%A9?q=a%20b' -H 'X-Demo: 1'
#   curl 'http://127.0.0.1:8888/x?only=PATH_INFO,QUERY_STRING'      (just those keys)
#
# portable: GET /caf%C3%A9?only=REQUEST_METHOD,PATH_INFO,QUERY_STRING,HTTP_HOST

from urllib.parse import parse_qs


def application(environ, start_response):
    """Reply with the sorted environ as plain text; `?only=KEY,KEY` shows just those keys."""
    keys = sorted(environ)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "only" in query:
        wanted = query["only"][0].split(",")
        keys = [key for key in keys if key in wanted]
    lines = ["%s = %r" % (key, environ[key]) for key in keys]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body]
