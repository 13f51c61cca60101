# A mistake on purpose. Rule: header-not-tuple (see src/checks.rs).
#
# What is wrong: The header is a list ['Content-Type', 'text/plain']. Each header must be a
# (name, value) tuple; this server sends it and flags it.
#
# How to fix it: `("Content-Type", "text/plain")`, round brackets.
#
#   cargo run -- apps/mistakes/header_list_pair.py

def application(environ, start_response):
    start_response("200 OK", [["Content-Type", "text/plain"]])
    return [b"hello world!\n"]
