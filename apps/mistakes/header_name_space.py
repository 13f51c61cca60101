# A mistake on purpose. Rule: header-name-not-token (see src/checks.rs).
#
# What is wrong: The header name 'Content Type' has a space: a name must be a token.
#
# How to fix it: `"Content-Type"`.
#
#   cargo run -- apps/mistakes/header_name_space.py

def application(environ, start_response):
    start_response("200 OK", [("Content Type", "text/plain")])
    return [b"hello world!\n"]
