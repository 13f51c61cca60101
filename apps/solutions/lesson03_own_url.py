# Lesson 3, exercise: rebuild the URL the client asked for from the environ alone, the way
# PEP 3333's "URL Reconstruction" section does it, and show where each part came from.
#
# One change to the PEP's recipe. The PEP calls quote() on SCRIPT_NAME and PATH_INFO, which
# are native strings holding the path's bytes as latin-1 (lesson 10). quote() given a str
# encodes it as UTF-8 first, so '/cafÃ©' (the bytes C3 A9, as latin-1) would come out as
# '/caf%C3%83%C2%A9': each byte encoded twice. Turning the str back into its bytes first,
# quote(path.encode('latin-1')), gives '/caf%C3%A9', the bytes the client sent.
#
#   cargo run --release -- --script-name /app apps/solutions/lesson03_own_url.py
#   curl 'http://127.0.0.1:8888/app/some/page?x=1'
#   curl 'http://127.0.0.1:8888/app/caf%C3%A9'
#
# portable: GET /some/page?x=1

from urllib.parse import quote


def path_part(environ, key):
    """SCRIPT_NAME or PATH_INFO, percent-encoded from its bytes (the str holds them as latin-1)."""
    return quote(environ.get(key, "").encode("latin-1"))


def own_url(environ):
    """The full URL of this request, from the environ (PEP 3333, URL Reconstruction)."""
    url = environ["wsgi.url_scheme"] + "://"
    if environ.get("HTTP_HOST"):
        url += environ["HTTP_HOST"]
    else:
        url += environ["SERVER_NAME"]
        default = "443" if environ["wsgi.url_scheme"] == "https" else "80"
        if environ["SERVER_PORT"] != default:
            url += ":" + environ["SERVER_PORT"]
    url += path_part(environ, "SCRIPT_NAME")
    url += path_part(environ, "PATH_INFO")
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    return url


def application(environ, start_response):
    """Answer with the URL and its parts."""
    text = "you asked for %s\nSCRIPT_NAME=%r PATH_INFO=%r QUERY_STRING=%r\n" % (
        own_url(environ),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]
