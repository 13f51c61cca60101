# A mistake on purpose. Rule: hop-by-hop-header (see src/checks.rs).
#
# What is wrong: The app sets Connection: keep-alive. Connection headers belong to the server,
# which decides how the connection is used; the server drops the header and flags it.
#
# How to fix it: leave Connection, Keep-Alive, Transfer-Encoding and the like out.
#
#   cargo run -- apps/mistakes/hop_by_hop.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "keep-alive")])
    return [b"hello world!\n"]
