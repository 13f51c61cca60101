# A mistake on purpose. Rule: status-code-below-100 (see src/checks.rs).
#
# What is wrong: The status code 42 is not an HTTP status: codes run from 100 to 599.
#
# How to fix it: use a real code, e.g. "200 OK".
#
#   cargo run -- apps/mistakes/status_below_100.py

def application(environ, start_response):
    start_response("042 The Answer", [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
