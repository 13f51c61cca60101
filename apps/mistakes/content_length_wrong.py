# A mistake on purpose. Rule: content-length-mismatch (see src/checks.rs).
#
# What is wrong: Content-Length is computed from the str, not the encoded bytes: 'café' is 4
# characters but 5 bytes in UTF-8. The client reads 4 bytes and stops; the server drops the
# fifth. (A count larger than the body would make the client wait for bytes that never come.)
#
# How to fix it: `str(len(body))` of the encoded body.
#
#   cargo run -- apps/mistakes/content_length_wrong.py

def application(environ, start_response):
    text = "caf\u00e9"
    body = text.encode("utf-8")
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text)))],
    )
    return [body]
