# A mistake on purpose. Rule: status-control-char (see src/checks.rs).
#
# What is wrong: The status ends with a newline (read from a file, or a format string): a CR or
# LF in the status line would let the rest pose as a header.
#
# How to fix it: strip it, `status.strip()`.
#
#   cargo run -- apps/mistakes/status_newline.py

def application(environ, start_response):
    start_response("200 OK\n", [("Content-Type", "text/plain")])
    return [b"hello world!\n"]
