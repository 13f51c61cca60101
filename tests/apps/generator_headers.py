# Used by tests/checks.rs: response headers given as a generator, which can be read only once.
#
#   /        a generator of two headers: served with both, flagged as headers-not-list
#   /raises  a generator that raises after its first header: the app's own error, a 500


def headers():
    yield ("Content-Type", "text/plain")
    yield ("X-From", "a generator")


def broken_headers():
    yield ("Content-Type", "text/plain")
    raise LookupError("the header source is gone")


def application(environ, start_response):
    if environ["PATH_INFO"] == "/raises":
        start_response("200 OK", broken_headers())
    else:
        start_response("200 OK", headers())
    return [b"headers from a generator\n"]
