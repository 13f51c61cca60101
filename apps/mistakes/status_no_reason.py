# A mistake on purpose. Rule: status-no-reason (see src/checks.rs).
#
# What is wrong: The status is '200', without a reason phrase. PEP 3333 asks for code, space and
# reason; the server sends it (as 'HTTP/1.1 200 ') and flags it.
#
# How to fix it: `"200 OK"`.
#
#   cargo run -- apps/mistakes/status_no_reason.py

def application(environ, start_response):
    start_response("200", [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
