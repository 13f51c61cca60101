# A mistake on purpose. Rule: body-before-start-response (see src/checks.rs).
#
# What is wrong: The generator yields its first chunk before calling start_response; the server
# must send the status and headers before the first byte of the body.
#
# How to fix it: call start_response before the first `yield`.
#
#   cargo run -- apps/mistakes/body_before_start_response.py

def application(environ, start_response):
    yield b"hello "
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"world!\n"
