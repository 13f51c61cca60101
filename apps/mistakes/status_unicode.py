# A mistake on purpose. Rule: status-not-latin1 (see src/checks.rs).
#
# What is wrong: The reason phrase has a character outside latin-1, which cannot go on the wire.
#
# How to fix it: use an ASCII reason phrase, "200 OK".
#
#   cargo run -- apps/mistakes/status_unicode.py

def application(environ, start_response):
    start_response("200 \u2713 OK", [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
