# A mistake on purpose. Rule: chunk-not-bytes (see src/checks.rs).
#
# What is wrong: The generator yields str lines. Every chunk of the body must be bytes.
#
# How to fix it: `yield line.encode("utf-8")`.
#
#   cargo run -- apps/mistakes/chunk_str.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    for i in range(3):
        yield "line %d\n" % i
