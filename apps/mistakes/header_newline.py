# A mistake on purpose. Rule: header-value-control (see src/checks.rs).
#
# What is wrong: A header value holds user input with a CR LF in it: header injection, the
# client would see a second header (here a cookie) the app never meant to set.
#
# How to fix it: refuse or strip line breaks in values built from input.
#
#   cargo run -- apps/mistakes/header_newline.py

def application(environ, start_response):
    name = "guest\r\nSet-Cookie: admin=1"  # imagine this came from the query string
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-User", name)])
    return [b"hello world!\n"]
