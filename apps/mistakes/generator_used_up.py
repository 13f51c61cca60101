# A mistake on purpose. Rule: iterated-after-close (see src/checks.rs).
#
# What is wrong: The app counts the bytes of its generator before returning it, which runs the
# generator to its end: a generator can be iterated only once, so the server gets nothing and
# the body is empty.
#
# How to fix it: build a list (`lines = [...]`) if you need to look at the body twice, or count
# while yielding.
#
#   cargo run -- apps/mistakes/generator_used_up.py


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    lines = (b"line %d\n" % i for i in range(3))
    print("sending %d bytes" % sum(len(line) for line in lines))  # uses the generator up
    return lines
