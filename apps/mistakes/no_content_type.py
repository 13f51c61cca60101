# A mistake on purpose. Rule: content-type-missing (see src/checks.rs).
#
# What is wrong: The response has content but no Content-Type: the client has to guess.
#
# How to fix it: `("Content-Type", "text/plain; charset=utf-8")`.
#
#   cargo run -- apps/mistakes/no_content_type.py

def application(environ, start_response):
    start_response("200 OK", [])
    return [b"hello world!\n"]
