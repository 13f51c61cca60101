# Used by tests/app_spec.rs: an app factory, as Flask projects often have. The spec
# `factory:create_app()` calls it once at start-up and serves what it returns.


def create_app(greeting=b"made by create_app()\n"):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [greeting]

    return app
