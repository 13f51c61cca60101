# A mistake on purpose. Rule: content-length-invalid (see src/checks.rs).
#
# What is wrong: The Content-Length is not a number of bytes.
#
# How to fix it: `str(len(body))`, digits only.
#
#   cargo run -- apps/mistakes/content_length_invalid.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13 bytes")])
    return [b"hello world!\n"]
