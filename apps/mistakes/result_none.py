# A mistake on purpose. Rule: result-none (see src/checks.rs).
#
# What is wrong: The app forgets `return`, so it returns None.
#
# How to fix it: end with `return [body]`.
#
#   cargo run -- apps/mistakes/result_none.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    body = b"hello world!\n"
    # missing: return [body]
