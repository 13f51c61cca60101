# Lesson 2, exercise: count the requests this server process has served.
#
# The module is imported once, when the server starts, and the same function is called for
# every request: a global lives as long as the process. (With several worker processes, as
# under gunicorn, each worker would count on its own: one reason apps keep state in a
# database instead.) Under a server that runs the app on several threads at once, nothing
# in the language promises that `served += 1` counts every request: lesson 15 shows why, a
# counter like this one losing counts under threads, and the lock that fixes it.
#
#   cargo run --release -- apps/solutions/lesson02_counter.py

served = 0


def application(environ, start_response):
    """Say how many requests came before this one, this one included."""
    global served
    served += 1
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"request number %d since the server started\n" % served]
