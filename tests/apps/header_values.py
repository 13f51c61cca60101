# Used by tests/checks.rs: header values at the edge of what HTTP allows.
#
#   /c1   latin-1 text with C1 characters (U+0085, U+009F): obs-text, allowed
#   /del  a DEL character: a control character, refused

def application(environ, start_response):
    if environ["PATH_INFO"] == "/del":
        value = "rub\x7fout"
    else:
        value = "caf\xe9 \x85 \x9f"
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Latin", value)])
    return [b"ok\n"]
