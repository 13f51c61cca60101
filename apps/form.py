# An HTML form and what it sends: GET shows the form, POST reads the body and answers.
#
# A browser sends a form as `application/x-www-form-urlencoded`: `name=Ada&lang=Python`, with
# spaces as `+` and other bytes as `%XX`. The app reads exactly CONTENT_LENGTH bytes from
# environ['wsgi.input'] and decodes them with urllib.parse.parse_qs.
#
#   cargo run --release -- apps/form.py          then open http://127.0.0.1:8888/
#   curl -d 'name=Ada&lang=Python' http://127.0.0.1:8888/

from urllib.parse import parse_qs

FORM = b"""<!doctype html>
<title>form</title>
<form method="post">
  <label>Name <input name="name" value="Ada"></label>
  <label>Language <input name="lang" value="Python"></label>
  <button>Send</button>
</form>
"""


def application(environ, start_response):
    """GET: the form. POST: a greeting built from the posted fields."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [FORM]
    # PEP 3333: never read more than CONTENT_LENGTH bytes; it may be missing or empty.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    fields = parse_qs(body.decode("latin-1"))
    name = fields.get("name", ["stranger"])[0]
    lang = fields.get("lang", ["nothing"])[0]
    text = "Hello, %s! You like %s.\n" % (name, lang)
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]
