# A mistake on purpose. Rule: status-not-str (see src/checks.rs).
#
# What is wrong: The status is the number 200. start_response takes a str such as '200 OK'.
#
# How to fix it: `start_response("200 OK", headers)`.
#
#   cargo run -- apps/mistakes/status_int.py

def application(environ, start_response):
    start_response(200, [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
