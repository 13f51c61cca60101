"""Lesson 14, stage 5: start_response as PEP 3333 asks: headers sent late, write(), close().

    python3 lessons/code/stage5_late_headers.py apps/stream.py --port 0

Stage 4 with start_response and finish_response redefined, and write() added:

- start_response keeps the status and the headers and returns write(); the app may call it a
  second time, with exc_info, to replace them, as long as nothing was sent (a second call
  without exc_info, which PEP 3333 calls a fatal error, is not caught here:
  tutorial_server.py raises);
- write(data) sends the status line and the headers first, once, then data: so the headers
  go out just before the first non-empty chunk ("The start_response() Callable");
- finish_response sends each chunk as the app yields it, so a generator streams, and calls
  the result's close() whatever happens ("Specification Details").

Still left out: an exception in the app still ends the whole server, where the PEP asks a
server to trap and log it (stage 6); no timeout, no refusal of what it cannot read (a
chunked body, a malformed Content-Length), no end of the body but the close (stage 7,
lessons/code/tutorial_server.py, and lesson 13).
"""

import stage2_wsgi
import stage4_body


class WSGIServer(stage4_body.WSGIServer):
    def start_response(self, status, response_headers, exc_info=None):
        """Keep the status and headers, unless they are already on the wire; return write."""
        if exc_info and self.headers_sent:
            # Too late for another status: re-raise the app's error (PEP 3333).
            raise exc_info[1].with_traceback(exc_info[2])
        super().start_response(status, response_headers)
        return self.write

    def write(self, data):
        """Send the status line and the headers (the first time only), then data."""
        if not isinstance(data, bytes):
            # Checked before anything is sent, so that stage 6 can still answer 500.
            raise TypeError("the app sent %s, not bytes" % type(data).__name__)
        if not self.headers_set:
            raise AssertionError("the app sent a body before it called start_response")
        if not self.headers_sent:
            self.client_connection.sendall(self.response_head())
            self.headers_sent = True
        self.client_connection.sendall(data)

    def handle_one_request(self):
        """Stage 2's, for a request whose status and headers are not set, nor sent, yet."""
        self.headers_set = []
        self.headers_sent = False
        super().handle_one_request()

    def finish_response(self, result):
        """Each non-empty chunk, as it comes; the headers even for an empty body; close()."""
        try:
            for data in result:
                if data:
                    self.write(data)
            if not self.headers_sent:
                self.write(b"")
        finally:
            if hasattr(result, "close"):
                result.close()


if __name__ == "__main__":
    stage2_wsgi.main(WSGIServer)
