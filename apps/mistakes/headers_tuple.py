# A mistake on purpose. Rule: headers-not-list (see src/checks.rs).
#
# What is wrong: The headers are a tuple of tuples. PEP 3333 asks for a list, and wsgiref
# refuses anything else; this server sends it and flags it.
#
# How to fix it: `[("Content-Type", "text/plain")]`, square brackets.
#
#   cargo run -- apps/mistakes/headers_tuple.py

def application(environ, start_response):
    start_response("200 OK", (("Content-Type", "text/plain"),))
    return [b"hello world!\n"]
