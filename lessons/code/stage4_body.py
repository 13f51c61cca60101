"""Lesson 14, stage 4: read the request body, and hand it to the app as wsgi.input.

    python3 lessons/code/stage4_body.py apps/form.py --port 0

Stage 3 with two methods redefined: read_request goes on reading after the head until it
has the Content-Length bytes of the body, and get_environ puts those bytes in a file-like
object, environ['wsgi.input'], that the app reads at most CONTENT_LENGTH bytes from
(PEP 3333, "Input and Error Streams").

Still left out: a body sent with Transfer-Encoding: chunked is not decoded (its chunk sizes
would be read as data; tutorial_server.py answers 411 instead); a malformed Content-Length
is not refused (one that int() cannot read ends the server with a ValueError), and a client
that sends fewer bytes than it announced holds the server forever (tutorial_server.py
answers 400, and has a timeout).
"""

import io

import stage2_wsgi
import stage3_headers


class WSGIServer(stage3_headers.WSGIServer):
    def read_request(self):
        """The head, as stage 3 reads it; then recv() until the whole body is here."""
        head = super().read_request()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = self.body_start
        while len(body) < length:
            chunk = self.client_connection.recv(1024)
            if not chunk:
                break  # the client closed: the app gets the part that came
            body += chunk
        self.body = body[:length]
        return head

    def get_environ(self):
        env = super().get_environ()
        env["wsgi.input"] = io.BytesIO(self.body)
        return env


if __name__ == "__main__":
    stage2_wsgi.main(WSGIServer)
