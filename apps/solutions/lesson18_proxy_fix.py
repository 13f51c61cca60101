# Lesson 18, exercise: a middleware that believes the proxy in front, and only the proxy.
#
# Behind nginx, the WSGI server's client is nginx: REMOTE_ADDR is nginx's address, and the
# scheme is the one nginx spoke to the server (http, even when the client used https). nginx
# says what it saw in headers: X-Forwarded-For (the client addresses, each proxy appending the
# one it got the request from), X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix (the
# path nginx removed). Anybody can send those headers, so the middleware believes only what
# the proxies it trusts wrote, and it is told how many there are:
#
#   X-Forwarded-For: 6.6.6.6, 203.0.113.9      sent through one trusted proxy
#                    ^^^^^^^  ^^^^^^^^^^^
#                    claimed  appended by our proxy: the address that connected to it
#                    by the
#                    client
#
# With `proxies=1` the last entry is the client: each trusted proxy appended one address, so
# the entry `proxies` places from the end is the one the outermost trusted proxy saw. Entries
# before it are whatever the client wrote, and are ignored. A request with fewer entries than
# that did not come through all the proxies (or came straight to the server): it is left as
# it is. For the single-valued headers (Proto, Host, Prefix) the same count picks the value
# the outermost trusted proxy set, so a forged value sent along is never the one used.
#
# What the middleware changes it keeps, as it was, under a dotted name (PEP 3333's habit for
# extension keys): environ["proxy_fix.original"]. And it only works if the WSGI server
# cannot be reached except through the proxy (it listens on 127.0.0.1, or a private network):
# a client that reaches the server directly can write any X-Forwarded-For it likes.
#
#   wsgiscope apps/solutions/lesson18_proxy_fix.py                    (behind lesson 18's nginx)
#   wsgiscope 'apps/solutions/lesson18_proxy_fix.py:make_app(2)'      (two proxies in front)
#   curl -H 'X-Forwarded-For: 6.6.6.6' http://127.0.0.1:8080/app/hello
#
# portable: GET /

from wsgiref.util import request_uri

# The environ keys the middleware may set, and the header each comes from.
FORWARDED = [
    ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR"),
    ("wsgi.url_scheme", "HTTP_X_FORWARDED_PROTO"),
    ("HTTP_HOST", "HTTP_X_FORWARDED_HOST"),
    ("SCRIPT_NAME", "HTTP_X_FORWARDED_PREFIX"),
]


def trusted_value(header, proxies):
    """The entry of a comma-separated header that the outermost of `proxies` proxies wrote,
    or None when the header has fewer entries than that (or is absent)."""
    entries = [entry.strip() for entry in header.split(",")]
    entries = [entry for entry in entries if entry]
    if proxies < 1 or len(entries) < proxies:
        return None
    return entries[-proxies]


def proxy_fix(app, proxies=1):
    """Return an app that sets REMOTE_ADDR, wsgi.url_scheme, HTTP_HOST and SCRIPT_NAME from
    the X-Forwarded-* headers written by the `proxies` proxies in front of the server."""

    def wrapped(environ, start_response):
        original = {}
        for key, header in FORWARDED:
            value = trusted_value(environ.get(header, ""), proxies)
            if value is None:
                continue
            if key == "wsgi.url_scheme" and value not in ("http", "https"):
                continue
            if key == "SCRIPT_NAME":
                # The prefix the proxy removed goes in front of what the server mounted.
                value = value.rstrip("/") + environ.get("SCRIPT_NAME", "")
            original[key] = environ.get(key)
            environ[key] = value
        environ["proxy_fix.original"] = original
        # A wrapper that changes only the environ returns the app's own iterable: the server
        # calls its close() directly.
        return app(environ, start_response)

    return wrapped


SHOWN = ["REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SCRIPT_NAME", "PATH_INFO"]


def show(environ, start_response):
    """The keys a proxy changes, what they were before, and the URL the app rebuilds."""
    lines = ["%s = %r" % (key, environ.get(key)) for key in SHOWN]
    for key, value in sorted(environ.get("proxy_fix.original", {}).items()):
        lines.append("was %s = %r" % (key, value))
    lines.append("url = %s" % request_uri(environ))
    body = ("\n".join(lines) + "\n").encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain; charset=latin-1")])
    return [body]


def make_app(proxies=1):
    """The demo app behind `proxies` trusted proxies."""
    return proxy_fix(show, proxies)


application = make_app(1)
