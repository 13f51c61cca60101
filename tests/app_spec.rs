//! The forms of APP, as gunicorn and flask accept them: `path/to/file.py[:callable]`,
//! `module:callable`, `module` (then `application`, then `app` is looked up), and
//! `module:factory()`. With `--chdir` the module is found in that folder, which goes first on
//! sys.path.

mod common;

use common::*;

/// Start with `args` and assert that GET / answers `body`.
fn assert_serves(args: &[&str], body: &str) {
    let server = start_server(args);
    let reply = assert_reply(&server.get("/"), 200, &[]);
    assert_eq!(reply.text(), body, "{args:?}");
}

/// `file.py:callable` picks the named callable.
#[test]
fn file_with_callable_is_served() {
    assert_serves(&[&format!("{}:app", path("apps/hello.py"))], "hello world!");
}

/// `myproject.wsgi:application` is Django's spelling: a dotted module, not a `.wsgi` file.
#[test]
fn dotted_module_ending_in_wsgi_is_imported_as_a_module() {
    assert_serves(
        &["--chdir", &path("tests/apps"), "myproject.wsgi:application"],
        "myproject.wsgi:application\n",
    );
}

/// A bare module name: its `application` is served.
#[test]
fn module_without_callable_serves_application() {
    assert_serves(
        &["--chdir", &path("tests/apps/myproject"), "wsgi"],
        "myproject.wsgi:application\n",
    );
}

/// `module:factory()` calls the factory once and serves what it returns.
#[test]
fn factory_call_is_served() {
    assert_serves(
        &["--chdir", &path("tests/apps"), "factory:create_app()"],
        "made by create_app()\n",
    );
}

/// No APP at all: the built-in demo answers with the environ, and the banner says so.
#[test]
fn no_app_serves_the_builtin_environ_demo() {
    let server = start_server(&[]);
    assert!(
        server.stderr().contains("built-in demo"),
        "{}",
        server.stderr()
    );
    assert_reply(&server.get("/demo"), 200, &["PATH_INFO = '/demo'"]);
}
