# Lesson 3, exercise: rebuild the URL the client asked for from the environ alone, the way
# PEP 3333's "URL Reconstruction" section does it, and show where each part came from.
#
#   cargo run --release -- --script-name /app apps/solutions/lesson03_own_url.py
#   curl 'http://127.0.0.1:8888/app/some/page?x=1'
#
# portable: GET /some/page?x=1

from urllib.parse import quote


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
    url += quote(environ.get("SCRIPT_NAME", ""))
    url += quote(environ.get("PATH_INFO", ""))
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
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [text.encode("latin-1")]
