"""Lesson 14, stage 1 (the tutorial's part 1): a web server in fourteen lines, no WSGI yet.

    python3 lessons/code/stage1_socket.py             # port 8888
    python3 lessons/code/stage1_socket.py --port 0    # a free port; the first line says which

Listen, accept a connection, read from it, print what it read (on stderr), send one fixed
response, close; again, forever. Every request gets the same answer. Simplification, named:
one recv() is taken for the whole request. It returns what has arrived so far: all of it
when curl sends it in one piece, only the first line when you type it into telnet, so the
server answers before you have finished (stage 3 reads until the blank line).
"""

import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8888
listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listen_socket.bind(("127.0.0.1", port))
listen_socket.listen(1)
print("Serving on http://127.0.0.1:%d" % listen_socket.getsockname()[1], flush=True)
while True:
    client_connection, client_address = listen_socket.accept()
    request = client_connection.recv(1024)
    print(request.decode("latin-1"), file=sys.stderr)
    client_connection.sendall(b"HTTP/1.1 200 OK\r\n\r\nHello, World!\n")
    client_connection.close()
