# A small Flask app: a framework is a WSGI app too. `app` below is the callable the server
# calls with (environ, start_response); Flask turns the environ into its `request` object.
#
# Flask is not in the standard library: install it into a virtualenv and serve it from there.
#
#   python3 -m venv .venv && .venv/bin/pip install -r apps/requirements.txt
#   cargo run --release -- --venv .venv apps/flask_app.py
#   curl http://127.0.0.1:8888/hello/class
#   curl 'http://127.0.0.1:8888/hello/%3Cimg%20src=x%20onerror=alert(1)%3E'   (escaped)
#   curl -H 'Content-Type: application/json' -d '{"a": 1}' http://127.0.0.1:8888/api/echo

from html import escape

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from Flask, served by wsgiscope!\n"


@app.route("/hello/<name>")
def hello(name):
    # The page is HTML (Flask's default Content-Type for a str): whatever the URL says goes
    # through escape(), or /hello/<img src=x onerror=...> would come back as a live tag, and
    # any script in a link someone is tricked into clicking would run on this site.
    return f"Hello, {escape(name)}!\n"


@app.post("/api/echo")
def echo():
    """Send back the JSON document that was posted."""
    return jsonify(received=request.get_json())
