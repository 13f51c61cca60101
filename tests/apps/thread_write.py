# An app whose own thread calls write() while the server is still sending the app's large
# body to a client that does not read yet: the server waits for the client without the GIL,
# the thread then waits for the response, and neither may wait for the other for ever.
#
#   /         20 MiB from a generator, and a thread's write() 0.2 s into it
#   /next     a small answer, to show the server still serves

import threading
import time


def application(environ, start_response):
    if environ["PATH_INFO"] == "/next":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"next"]
    write = start_response("200 OK", [("Content-Type", "text/plain")])

    def from_a_thread():
        time.sleep(0.2)
        try:
            write(b"from a thread\n")
        except Exception as error:  # whatever the server says, the thread just ends
            environ["wsgi.errors"].write("the thread's write: %r\n" % error)

    threading.Thread(target=from_a_thread, daemon=True).start()

    def body():
        yield b"a" * (20 * 1024 * 1024)

    return body()
