# Used by tests/app_spec.rs: the module `myproject.wsgi`, with its callable named as Django
# names it, `application`.


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"myproject.wsgi:application\n"]
