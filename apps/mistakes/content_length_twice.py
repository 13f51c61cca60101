# A mistake on purpose. Rule: content-length-repeated (see src/checks.rs).
#
# What is wrong: The app sets Content-Length, and a helper sets it again. The values agree, so
# the server sends it once and flags it; had they differed, the response would be impossible
# (see content_length_conflict.py).
#
# How to fix it: set Content-Length in one place.
#
#   cargo run -- apps/mistakes/content_length_twice.py


def with_length(headers, body):
    return headers + [("Content-Length", str(len(body)))]


def application(environ, start_response):
    body = b"hello world!\n"
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    start_response("200 OK", with_length(headers, body))
    return [body]
