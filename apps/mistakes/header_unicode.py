# A mistake on purpose. Rule: header-value-not-latin1 (see src/checks.rs).
#
# What is wrong: A file name with a character outside latin-1 in Content-Disposition. Header
# values must be latin-1 text.
#
# How to fix it: encode it as RFC 8187 says: `attachment; filename*=UTF-8''%E2%98%83.txt`.
#
#   cargo run -- apps/mistakes/header_unicode.py

def application(environ, start_response):
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Disposition", "attachment; filename=\u2603.txt")],
    )
    return [b"hello world!\n"]
