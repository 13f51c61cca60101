# A mistake on purpose. Rule: body-not-allowed (see src/checks.rs).
#
# What is wrong: A 204 No Content with a body: 1xx, 204 and 304 responses never have one, so the
# server drops it.
#
# How to fix it: `return []`.
#
#   cargo run -- apps/mistakes/body_on_204.py

def application(environ, start_response):
    start_response("204 No Content", [])
    return [b"deleted\n"]
