# A mistake on purpose. Rule: result-bytes (see src/checks.rs).
#
# What is wrong: The app returns bytes itself. The server iterates the result, and iterating
# bytes gives integers (104, 101, ...), not chunks.
#
# How to fix it: wrap it in a list, `return [body]`.
#
#   cargo run -- apps/mistakes/result_bytes.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return b"hello world!\n"
