# Strings in PEP 3333: the environ holds bytes dressed as str (latin-1), the body is bytes.
#
# A browser sends /café as /caf%C3%A9: the UTF-8 bytes C3 A9, percent-encoded. The server
# decodes the percent signs and hands the app the bytes as a latin-1 str, 'cafÃ©', because
# it cannot know which encoding the client meant. The app turns them back into bytes with
# .encode('latin-1') and decodes those as UTF-8 itself.
#
#   cargo run --release -- apps/unicode.py
#   curl http://127.0.0.1:8888/caf%C3%A9


def application(environ, start_response):
    """Show PATH_INFO as given, as bytes, and decoded as UTF-8."""
    given = environ.get("PATH_INFO", "")
    raw = given.encode("latin-1")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = "(not UTF-8)"
    text = (
        "PATH_INFO as the server gives it: %r\n"
        "the same, as bytes:               %r\n"
        "the bytes decoded as UTF-8:       %r\n" % (given, raw, decoded)
    )
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]
