# A mistake on purpose. Rule: content-length-not-allowed (see src/checks.rs).
#
# What is wrong: A 204 No Content with "Content-Length: 0". A 204 never has content, and a
# server must not send Content-Length with it: the server drops the header and flags it.
#
# How to fix it: send 204 with no Content-Length.
#
#   cargo run -- apps/mistakes/content_length_on_204.py

def application(environ, start_response):
    start_response("204 No Content", [("Content-Length", "0")])
    return []
