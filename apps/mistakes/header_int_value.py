# A mistake on purpose. Rule: header-not-str (see src/checks.rs).
#
# What is wrong: The Content-Length value is an int. Header values must be str.
#
# How to fix it: `("Content-Length", str(len(body)))`.
#
#   cargo run -- apps/mistakes/header_int_value.py

def application(environ, start_response):
    body = b"hello world!\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", len(body))])
    return [body]
