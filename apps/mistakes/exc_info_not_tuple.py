# A mistake on purpose. Rule: exc-info-not-tuple (see src/checks.rs).
#
# What is wrong: The app calls start_response again with exc_info=True. exc_info must be the
# (type, value, traceback) tuple of sys.exc_info(), so the server can re-raise it if the headers
# already went out. (Served here, because nothing was sent yet.)
#
# How to fix it: pass `sys.exc_info()` from inside the `except` block.
#
#   cargo run -- apps/mistakes/exc_info_not_tuple.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        1 / 0
    except ZeroDivisionError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], True)
        return [b"something failed\n"]
