"""Lesson 14, stage 3: read the whole head, and put the headers and the query in the environ.

    python3 lessons/code/stage3_headers.py apps/environ.py --port 0

Stage 2 with three methods redefined, everything else inherited:

- read_request keeps calling recv() until the blank line that ends the head has arrived, so
  a request typed into telnet line by line is read whole;
- parse_request also splits each header line at its first colon;
- get_environ splits the target at "?" into PATH_INFO (percent-decoded, the bytes as a
  latin-1 str, lesson 10) and QUERY_STRING (left as sent), and turns each header into an
  HTTP_* key (CONTENT_TYPE and CONTENT_LENGTH without the prefix, as in CGI).

Still left out: the body (stage 4); a header sent twice keeps only its last value here
(tutorial_server.py joins them, as RFC 9110 §5.3 allows); a header line without a colon
is kept as a header with an empty value, and a name with "_" is taken as it is
(tutorial_server.py answers 400 to the first and drops the second); a head that never ends, or a
client that sends nothing, holds the server forever (tutorial_server.py has a timeout).
"""

from urllib.parse import unquote_to_bytes

import stage2_wsgi


class WSGIServer(stage2_wsgi.WSGIServer):
    def read_request(self):
        """recv() until the head is complete; keep what came after it (the body's start)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.client_connection.recv(1024)
            if not chunk:
                break  # the client closed: parse what there is
            data += chunk
        head, _, self.body_start = data.partition(b"\r\n\r\n")
        return head.decode("latin-1")

    def parse_request(self, text):
        """The request line, then each `Name: value` line."""
        super().parse_request(text)
        self.request_headers = []
        for line in text.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            self.request_headers.append((name.strip(), value.strip()))

    def get_environ(self):
        env = super().get_environ()
        path, _, query = self.path.partition("?")
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
        env["QUERY_STRING"] = query
        env["REMOTE_ADDR"] = self.client_address[0]
        for name, value in self.request_headers:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            env[key] = value
        return env


if __name__ == "__main__":
    stage2_wsgi.main(WSGIServer)
