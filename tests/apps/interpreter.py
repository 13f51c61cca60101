# Used by tests/startup.rs: the app says which Python runs it, the first line of sys.version
# and sys.prefix, one per line, so that a test can hold `wsgiscope --version` against it.

import sys


def application(environ, start_response):
    body = "%s\n%s\n" % (sys.version.splitlines()[0], sys.prefix)
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode("utf-8")]
