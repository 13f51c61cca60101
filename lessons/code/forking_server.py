"""Lesson 15: the tutorial's part 3 server, a process per connection, with its children reaped.

    python3 lessons/code/forking_server.py apps/slow.py             # port 8888
    python3 lessons/code/forking_server.py apps/environ.py --port 0 # a free port

Lesson 12's server (lessons/code/tutorial_server.py) with serve_forever redefined: the parent
only accepts; for each connection it calls os.fork(), and the child, a copy of the whole
process, serves that one connection and exits. So a slow app, or a client that stalls,
holds one child, and the parent accepts the next client at once. (POSIX only: Windows has
no fork.)

Three details the tutorial's part 3 meets one after the other:

- **Close the copies you do not use.** After fork() both processes hold the listening socket
  and the client's socket. The child closes the listening socket; the parent closes the
  client's socket. close() ends a connection (FIN sent) only when its last descriptor is
  closed: in the tutorial, whose child only closes, a parent that kept its copy would leave
  the client waiting for the end of its response. tutorial_server.py's close_connection
  calls shutdown() first, which ends the sending side whoever holds a copy, so here the
  forgotten copies would only pile up, until the parent may open no more files
  (`ulimit -n`) and accept() fails.
- **Reap the children.** A child that exits stays in the process table, a zombie, until its
  parent collects its exit status with wait(). The kernel sends SIGCHLD when a child ends;
  the handler calls waitpid(-1, WNOHANG) in a loop, because several children may end before
  the handler runs and the signals merge into one.
- **A signal interrupts accept().** Python installs its handlers without SA_RESTART, so a
  SIGCHLD makes the blocked accept() fail with EINTR; the tutorial, on an older Python,
  catches that and calls accept() again. Since Python 3.5 (PEP 475) the interpreter runs the
  handler and retries the call by itself.

The environ says so honestly: wsgi.multiprocess is True (another process may run the same
app at the same moment), wsgi.multithread is False (each process has one thread). Each child
starts with a copy of the parent's memory, so what the app changes (a counter, a cache)
dies with the child: lesson 2's counter says 1 every time.
"""

import os
import signal
import sys

from tutorial_server import WSGIServer, main


def reap_children(signum, frame):
    """SIGCHLD: collect the exit status of every child that has ended, so none stays a zombie."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no children at all
        if pid == 0:
            return  # children remain, all still running


class ForkingWSGIServer(WSGIServer):
    """tutorial_server.py's WSGIServer, one child process per connection."""

    def __init__(self, address, app, timeout=60.0):
        super().__init__(address, app, timeout)
        self.base_environ["wsgi.multiprocess"] = True

    def serve_forever(self):
        """Accept; fork; the child serves the connection and exits, the parent accepts again."""
        signal.signal(signal.SIGCHLD, reap_children)
        while True:
            client_connection, client_address = self.listen_socket.accept()
            if os.fork() == 0:
                # The child: it serves this one client, then exits without returning.
                self.listen_socket.close()
                try:
                    self.serve_connection(client_connection, client_address)
                finally:
                    sys.stderr.flush()
                    os._exit(0)
            # The parent: the child has its own copy of this socket.
            client_connection.close()


if __name__ == "__main__":
    main(ForkingWSGIServer)
