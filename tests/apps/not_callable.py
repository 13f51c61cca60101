# Used by tests/startup.rs: `application` exists but is not callable, so the server must refuse
# to start with a message that says so.

application = "a WSGI app must be a callable, not a str"
