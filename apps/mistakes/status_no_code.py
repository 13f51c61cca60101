# A mistake on purpose. Rule: status-bad-code (see src/checks.rs).
#
# What is wrong: The status is just 'OK'. It must start with the 3-digit code and a space.
#
# How to fix it: `"200 OK"`.
#
#   cargo run -- apps/mistakes/status_no_code.py

def application(environ, start_response):
    start_response("OK", [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
