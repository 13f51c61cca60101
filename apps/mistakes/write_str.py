# A mistake on purpose. Rule: write-not-bytes (see src/checks.rs).
#
# What is wrong: The app passes a str to write(), the callable start_response returns. write()
# takes bytes.
#
# How to fix it: `write(text.encode("utf-8"))`, or better, return the body instead of writing
# it.
#
#   cargo run -- apps/mistakes/write_str.py

def application(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write("hello world!\n")
    return []
