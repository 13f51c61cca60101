# Lesson 16, spot the bug 4, fixed: apps/mistakes/generator_used_up.py summed the lengths of
# its generator's lines before returning the generator, and a generator gives its items only
# once: the server got an empty body. wsgiscope named it (iterated-after-close: the generator
# had already finished when the server began); wsgiref.validate saw an empty but valid body.
# A list can be read twice. (And the count goes to wsgi.errors, the server's log, rather than
# to print(): a server may have no terminal, or use stdout for something else.)
#
#   wsgiscope --strict apps/solutions/lesson16_generator_used_up.py
#   wsgiscope 'lessons/code/validated.py:wrap("apps/solutions/lesson16_generator_used_up.py")'


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    lines = [b"line %d\n" % i for i in range(3)]
    environ["wsgi.errors"].write("sending %d bytes\n" % sum(len(line) for line in lines))
    return lines
