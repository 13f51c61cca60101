# A mistake on purpose. Rule: content-length-invalid (see src/checks.rs).
#
# What is wrong: The Content-Length is not a number of bytes. The client reads exactly that many
# bytes as the body, so a value it cannot read ("13 bytes", "+13") leaves it no way to find where
# the body ends: start_response refuses it, and the client gets a 500.
#
# How to fix it: `str(len(body))`, digits only.
#
#   cargo run -- apps/mistakes/content_length_invalid.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13 bytes")])
    return [b"hello world!\n"]
