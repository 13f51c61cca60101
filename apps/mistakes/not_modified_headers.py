# A mistake on purpose. Rule: not-modified-entity-headers (see src/checks.rs).
#
# What is wrong: A 304 Not Modified that carries Content-Encoding: a 304 has no body, and
# headers that describe one do not belong on it.
#
# How to fix it: send only ETag, Date, Vary, Cache-Control, Expires, Content-Location on a 304.
#
#   cargo run -- apps/mistakes/not_modified_headers.py

def application(environ, start_response):
    start_response("304 Not Modified", [("ETag", '"v1"'), ("Content-Encoding", "gzip")])
    return []
