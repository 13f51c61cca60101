# Lesson 4, exercise: a redirect with a cookie. `/` sends the browser on to `/welcome` with a
# 302 and a Location header, and sets a cookie; `/welcome` reads the cookie back.
#
#   cargo run --release -- apps/solutions/lesson04_redirect.py
#   curl -i -c jar -b jar -L http://127.0.0.1:8888/


def application(environ, start_response):
    """302 to /welcome with a cookie, or the welcome page."""
    if environ.get("PATH_INFO", "") == "/welcome":
        cookie = environ.get("HTTP_COOKIE", "(none)")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"welcome! your cookie: " + cookie.encode("latin-1") + b"\n"]
    start_response(
        "302 Found",
        [
            ("Location", "/welcome"),
            ("Set-Cookie", "visited=yes; Path=/"),
            ("Content-Type", "text/plain"),
        ],
    )
    return [b"see /welcome\n"]
