# A mistake on purpose. Rule: result-not-iterable (see src/checks.rs).
#
# What is wrong: The app returns a number, which cannot be iterated for body chunks.
#
# How to fix it: return a list of bytes, e.g. `return [str(count).encode()]`.
#
#   cargo run -- apps/mistakes/result_not_iterable.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return 42
