# A mistake on purpose. Rule: status-informational (see src/checks.rs).
#
# What is wrong: The app answers "100 Continue", hoping to ask the client for its body. A 1xx is
# an interim response, and the app's status is the final one: the client would wait for a
# final response that never comes. In WSGI the server sends 100 Continue itself when a client
# asks with "Expect: 100-continue"; start_response refuses any 1xx, and the client gets a 500.
#
# How to fix it: answer with a final status, e.g. "200 OK", and just read wsgi.input.
#
#   cargo run -- apps/mistakes/status_continue.py

def application(environ, start_response):
    start_response("100 Continue", [])
    return []
