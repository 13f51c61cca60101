# Used by tests/checks.rs and tests/close.rs: results that fail in the app's own code while the
# server iterates or closes them.
#
#   /iter-raises      the result's __iter__ raises ValueError (the app's error, not a mistake
#                     about iterables)
#   /iter-none        a class that sets __iter__ = None: not iterable
#   /both-fail        iterating raises, and then close() raises too

class IterRaises:
    def __iter__(self):
        raise ValueError("the data source is down")


class IterNone:
    __iter__ = None


class BothFail:
    def __iter__(self):
        raise RuntimeError("failed during iteration")

    def close(self):
        raise OSError("close() failed too")


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    path = environ["PATH_INFO"]
    if path == "/iter-raises":
        return IterRaises()
    if path == "/iter-none":
        return IterNone()
    if path == "/both-fail":
        return BothFail()
    return [b"hello world!\n"]
