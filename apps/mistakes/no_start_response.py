# A mistake on purpose. Rule: start-response-not-called (see src/checks.rs).
#
# What is wrong: The app never calls start_response, so there is no status and no headers.
#
# How to fix it: call `start_response("200 OK", [("Content-Type", "text/plain")])` before
# returning.
#
#   cargo run -- apps/mistakes/no_start_response.py

def application(environ, start_response):
    return [b"hello world!\n"]
