# The tutorial's app: the smallest WSGI application there is.
#
# A WSGI app is a callable taking (environ, start_response). It calls start_response with a
# status and a list of headers, and returns an iterable of bytes: the body.
#
#   cargo run --release -- apps/hello.py
#   telnet 127.0.0.1 8888      then type:  GET / HTTP/1.1  and press Enter twice


def app(environ, start_response):
    """A barebones WSGI application: hello world."""
    status = '200 OK'
    response_headers = [('Content-Type', 'text/plain')]
    start_response(status, response_headers)
    return [b'hello world!']


application = app
