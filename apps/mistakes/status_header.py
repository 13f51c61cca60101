# A mistake on purpose. Rule: status-header (see src/checks.rs).
#
# What is wrong: The app sets a 'Status' header, as a CGI script would. In WSGI that is just a
# header: the status sent is start_response's first argument, 200 here.
#
# How to fix it: `start_response("404 Not Found", headers)` and no Status header.
#
#   cargo run -- apps/mistakes/status_header.py

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Status", "404 Not Found")])
    return [b"not found\n"]
