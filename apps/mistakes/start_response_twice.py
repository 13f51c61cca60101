# A mistake on purpose. Rule: start-response-twice (see src/checks.rs).
#
# What is wrong: The app calls start_response twice, the second time without exc_info. Only an
# app handling an error may call it again, passing sys.exc_info().
#
# How to fix it: decide the status first, then call start_response once.
#
#   cargo run -- apps/mistakes/start_response_twice.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]
