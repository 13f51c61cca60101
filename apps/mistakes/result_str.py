# A mistake on purpose. Rule: result-str (see src/checks.rs).
#
# What is wrong: The app returns a str. A body is bytes, and iterating a str gives characters.
#
# How to fix it: `return [text.encode("utf-8")]`.
#
#   cargo run -- apps/mistakes/result_str.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return "hello world!\n"
