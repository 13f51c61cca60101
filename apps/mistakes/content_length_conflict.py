# A mistake on purpose. Rule: content-length-repeated (see src/checks.rs).
#
# What is wrong: The body was compressed after its Content-Length was set, and the new length
# was added as a second Content-Length instead of replacing the first. Two lengths leave the
# client no way to know where the body ends (the confusion behind response splitting), so
# start_response refuses them, and the client gets a 500.
#
# How to fix it: replace the header, e.g. build the list again, or
# `headers = [(n, v) for n, v in headers if n.lower() != "content-length"]` before adding it.
#
#   cargo run -- apps/mistakes/content_length_conflict.py

import gzip


def application(environ, start_response):
    body = b"hello world!\n"
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    packed = gzip.compress(body)
    headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))]
    start_response("200 OK", headers)
    return [packed]
