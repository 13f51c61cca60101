"""Serve any WSGI app file wrapped in the standard library's checker, wsgiref.validate (lesson 16).

    wsgiscope 'lessons/code/validated.py:wrap("apps/mistakes/headers_tuple.py")'

`wrap(path)` loads the app in `path` (its `application`, else its `app`, as wsgiscope finds it)
and returns `wsgiref.validate.validator(app)`: a middleware that checks, with `assert`, both
sides of PEP 3333 on every call. It checks the environ and start_response the server hands in,
and the app's own conduct: the status, the headers, the result, every chunk, every read of
wsgi.input and write to wsgi.errors. The first broken rule raises AssertionError inside the
app call, so the server answers 500, and its message says which rule. A few softer rules
(a status without a reason phrase, an unknown method) give a WSGIWarning on stderr instead.

The path is relative to the folder wsgiscope was started in. The same wrapped app runs under
any WSGI server, wsgiref's own included:

    python3 -c 'import sys; sys.path.insert(0, "lessons/code"); import validated; \
        from wsgiref.simple_server import make_server; \
        make_server("127.0.0.1", 8000, validated.wrap(sys.argv[1])).serve_forever()' \
        apps/hello.py
"""

import importlib.util
import os
import sys
from wsgiref.validate import validator


def load(path):
    """The WSGI callable in the Python file `path`: `application`, else `app`."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        # As wsgiscope does for the app it serves: modules beside it can be imported.
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attribute in ("application", "app"):
        candidate = getattr(module, attribute, None)
        if callable(candidate):
            return candidate
    raise LookupError("%s has no callable `application` or `app`" % path)


def wrap(path):
    """The app in `path`, checked by wsgiref.validate.validator on every call."""
    return validator(load(path))
