# Used by tests/output.rs. The app writes one line to each place an app may write to:
# print() (stdout), sys.stderr, and environ['wsgi.errors'], each tagged with the query string,
# so a test can see that every line is attributed to the exchange that wrote it.

import sys

print("printed while the module was imported")


def application(environ, start_response):
    tag = environ["QUERY_STRING"]
    print("stdout says", tag)
    sys.stderr.write("stderr says %s\n" % tag)
    environ["wsgi.errors"].write("wsgi.errors says %s\n" % tag)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"written\n"]
