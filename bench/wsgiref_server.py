"""Serve a WSGI app with the standard library's wsgiref.simple_server, request log silenced.

The reference point of the benchmark: the server the tutorial's students already have.
Usage: python3 bench/wsgiref_server.py PORT path/to/app.py
"""
import importlib.util
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def load(path):
    spec = importlib.util.spec_from_file_location("bench_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "application", None) or module.app


if __name__ == "__main__":
    port, path = int(sys.argv[1]), sys.argv[2]
    with make_server("127.0.0.1", port, load(path), handler_class=QuietHandler) as server:
        server.serve_forever()
