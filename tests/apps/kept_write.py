# An app that keeps the write() callable of one exchange and calls it in the next: the first
# exchange is over, so the call must fail with an exception the app can catch, not crash the
# server (once, a finding's index into an emptied list panicked here).
#
#   /first    Content-Length 3, write() of 6 bytes (a finding), and the write kept
#   /second   calls the kept write() and answers with what happened

kept = []


def application(environ, start_response):
    if environ["PATH_INFO"] == "/first":
        write = start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")]
        )
        write(b"abcdef")
        kept.append(write)
        return []
    try:
        kept[0](b"xyz")
        what = b"no error"
    except Exception as error:
        what = type(error).__name__.encode() + b": " + str(error).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [what]
