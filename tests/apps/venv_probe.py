# Used by tests/venv.rs: proves that the packages come from the virtualenv the tests made.
# `wsgiscope_venv_probe` is a module the tests write into that venv's site-packages only, so
# this file imports only when the server put the venv on sys.path. The app answers with where
# flask and the probe were found.

import json

import flask
import wsgiscope_venv_probe


def application(environ, start_response):
    body = json.dumps({
        "flask": flask.__file__,
        "probe": wsgiscope_venv_probe.__file__,
    }).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
