"""Lesson 14, stage 6 (lesson 14's exercise): trap what the app raises, and keep serving.

    python3 lessons/code/stage6_errors.py apps/errors.py --port 0

Stage 5 with handle_one_request redefined. PEP 3333, "Error Handling": "Servers should trap
and log any exception that aborts an application or the iteration of its return value."
So: log the traceback on stderr (the server's log), and if no header went out yet answer
500 with a sentence, sent through start_response with exc_info, the way an app sends its own
error page. Once the headers are out nothing else can be said: the connection is closed and
the client gets a body cut short (lesson 7). Either way the loop goes on with the next client.

A client that resets the connection (ConnectionError) costs only its own connection.
Simplifications, named: an app that raises ConnectionError itself is taken for a client
that left, and a request the server cannot parse (a request line that is not three words)
gets this 500 too, where a 400 would say whose fault it is; lessons/code/tutorial_server.py
(stage 7) wraps its own sends to tell the first apart, and answers 400 to the second.
"""

import sys
import traceback

import stage2_wsgi
import stage5_late_headers


class WSGIServer(stage5_late_headers.WSGIServer):
    def handle_one_request(self):
        try:
            super().handle_one_request()
        except ConnectionError as error:
            print("client %s:%d went away: %s" % (*self.client_address, error), file=sys.stderr)
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            if not self.headers_sent:
                self.send_error_page(error)

    def send_error_page(self, error):
        """A 500 that says what the app raised, unless the client is gone already."""
        body = "500 Internal Server Error\n\nthe application raised %s: %s\n" % (
            type(error).__name__,
            error,
        )
        body = body.encode("utf-8")
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        try:
            self.start_response("500 Internal Server Error", headers, sys.exc_info())
            self.write(body)
        except ConnectionError:
            pass


if __name__ == "__main__":
    stage2_wsgi.main(WSGIServer)
