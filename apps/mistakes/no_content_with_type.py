# A mistake on purpose. Rule: content-type-without-content (see src/checks.rs).
#
# What is wrong: A 204 No Content with a Content-Type: there is no content to describe.
#
# How to fix it: send 204 with no Content-Type.
#
#   cargo run -- apps/mistakes/no_content_with_type.py

def application(environ, start_response):
    start_response("204 No Content", [("Content-Type", "text/plain")])
    return []
