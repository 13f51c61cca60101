# A mistake on purpose. Rule: iterated-after-close (see src/checks.rs).
#
# What is wrong: The app returns a file wrapper from inside a `with` block: the block closes the
# file when the function returns, before the server reads the body from it.
#
# How to fix it: return the wrapper without `with`; the server calls its close() when the body
# is sent.
#
#   cargo run -- apps/mistakes/closed_file.py

from wsgiref.util import FileWrapper


def application(environ, start_response):
    with open(__file__, "rb") as f:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return FileWrapper(f)
