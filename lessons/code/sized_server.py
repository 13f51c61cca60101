"""Lesson 12, exercise (its second half): tutorial_server.py, with a Content-Length when it can.

    python3 lessons/code/sized_server.py apps/hello.py --port 0

When the app returns a list (or a tuple) of one bytes object, the whole body is known
before anything is sent: count it, and add a Content-Length, unless the app sent one
already. The client then knows where the body ends without waiting for the close, and can
tell a whole body from one cut short (lesson 13). Any other result (a generator, a list of
several chunks, a Django or Flask response object) is sent as before, its end marked by the
close; wsgiscope sends those chunked instead. Only finish_response changes.
"""

import tutorial_server


class WSGIServer(tutorial_server.WSGIServer):
    def finish_response(self, result):
        """Add Content-Length for a one-chunk list or tuple, then send as before."""
        if isinstance(result, (list, tuple)) and len(result) == 1 and self.headers_set:
            status, headers = self.headers_set
            named = {name.lower() for name, _ in headers}
            if "content-length" not in named and isinstance(result[0], bytes):
                # A new list: the app's own list may be one it reuses for every request.
                length = ("Content-Length", str(len(result[0])))
                self.headers_set = [status, headers + [length]]
        super().finish_response(result)


if __name__ == "__main__":
    tutorial_server.main(WSGIServer)
