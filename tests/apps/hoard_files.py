# An app that opens files and keeps them, to use up the process's file descriptors:
# `/?70` opens 70 more (of /dev/null). Then the server cannot accept another connection until
# one closes, and must wait for that calmly instead of trying again and again.

held = []


def application(environ, start_response):
    for _ in range(int(environ.get("QUERY_STRING") or 0)):
        held.append(open("/dev/null"))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d files held\n" % len(held)]
