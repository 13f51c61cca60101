# Used by tests/framing.rs: a Flask app with a streamed route, served from the test venv.
#
#   /        a str: werkzeug counts it and sets Content-Length itself
#   /stream  a generator: the length is unknown. For HEAD, werkzeug sends no body at all and
#            no Content-Length, which is where a server that counts the empty body would
#            invent `Content-Length: 0` (RFC 9110 §8.6: for HEAD it must be a GET's length)

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "counted by werkzeug\n"


@app.route("/stream")
def stream():
    def lines():
        for i in range(1, 4):
            yield "streamed line %d\n" % i

    return app.response_class(lines(), mimetype="text/plain")
