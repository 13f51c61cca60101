# Lesson 16, spot the bug 3, fixed: apps/mistakes/content_length_wrong.py counted the
# characters of the text, not the bytes of the body: 'café' is 4 characters and 5 bytes in
# UTF-8, so the client stopped one byte short. wsgiscope named it (content-length-mismatch);
# wsgiref.validate does not look at Content-Length at all, and let it through.
#
#   wsgiscope --strict apps/solutions/lesson16_content_length_wrong.py
#   wsgiscope 'lessons/code/validated.py:wrap("apps/solutions/lesson16_content_length_wrong.py")'


def application(environ, start_response):
    body = "caf\u00e9\n".encode("utf-8")
    start_response(
        "200 OK",
        # The length of what is sent: the encoded bytes.
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
