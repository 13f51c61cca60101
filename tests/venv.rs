//! Serving from a virtualenv: the way a class installs Flask without touching the system
//! Python. The tests make a venv under `target/` from apps/requirements.txt, with the very
//! Python the server embeds (the banner names its prefix), and serve apps/flask_app.py from it
//! with `--venv`, or with `VIRTUAL_ENV` as an activated venv sets it.
//!
//! Flask may also be installed in the base Python, so "Flask works" alone proves nothing. The
//! tests therefore write a probe module, `wsgiscope_venv_probe`, into the venv's site-packages
//! only; tests/apps/venv_probe.py imports it and reports where it and flask came from.
//!
//! Making the venv needs `python -m venv` and pip (and the network, the first time). If that
//! fails the tests fail with pip's output: a skipped test would hide a broken set-up.

mod common;

use std::path::Path;

use common::venv::{PROBE, test_venv};
use common::*;

/// Assert the probe app found both flask and the probe module inside `venv`.
fn assert_imports_come_from(server: &Server, venv: &Path) {
    let raw = server.get("/");
    let reply = assert_reply(&raw, 200, &[]);
    let found: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let venv = venv.canonicalize().unwrap();
    for module in ["flask", "probe"] {
        let file = Path::new(found[module].as_str().unwrap());
        let file = file.canonicalize().unwrap();
        assert!(
            file.starts_with(&venv),
            "{module} came from {}, not from the venv {}",
            file.display(),
            venv.display()
        );
    }
}

/// The Flask app, served with `--venv`: its three routes answer, JSON included.
#[test]
fn flask_app_is_served_from_a_venv_given_with_dash_dash_venv() {
    let venv = test_venv();
    let server = start_server(&["--venv", venv.to_str().unwrap(), &path("apps/flask_app.py")]);
    assert!(
        server.stderr().contains("Virtualenv packages from"),
        "{}",
        server.stderr()
    );

    let reply = assert_reply(&server.get("/"), 200, &[]);
    assert_eq!(reply.text(), "Hello from Flask, served by wsgiscope!\n");
    let raw = server.get("/hello/class");
    assert_eq!(assert_reply(&raw, 200, &[]).text(), "Hello, class!\n");
    let raw = server.send(
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 8\r\n\r\n{\"a\": 1}",
    );
    let reply = assert_reply(&raw, 200, &[]);
    let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(json, serde_json::json!({"received": {"a": 1}}));
    let raw = server.get("/missing");
    assert_reply(&raw, 404, &[]);
}

/// With `--venv`, flask and the probe are imported from the venv, not from the base Python.
#[test]
fn venv_packages_are_imported_from_the_venv() {
    let venv = test_venv();
    let server = start_server(&[
        "--venv",
        venv.to_str().unwrap(),
        &path("tests/apps/venv_probe.py"),
    ]);
    assert_imports_come_from(&server, venv);
}

/// An activated venv sets `VIRTUAL_ENV`; the server honours it without `--venv`.
#[test]
fn activated_venv_via_virtual_env_is_used() {
    let venv = test_venv();
    let server = start_server_with(
        &["--log", "json", &path("tests/apps/venv_probe.py")],
        &[("VIRTUAL_ENV", venv.to_str().unwrap())],
    );
    assert_imports_come_from(&server, venv);
}

/// Without a venv the probe module is out of reach, so the probe app cannot start: the
/// previous tests really did use the venv.
#[test]
fn without_a_venv_the_probe_module_is_not_importable() {
    test_venv();
    let (status, stderr) =
        run_to_exit(&["--no-tui", "--port", "0", &path("tests/apps/venv_probe.py")]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(PROBE), "{stderr}");
}

/// A `--venv` that does not exist is a start-up error that says how to make one.
#[test]
fn missing_venv_exits_with_2() {
    let (status, stderr) = run_to_exit(&[
        "--no-tui",
        "--venv",
        "/no/such/venv",
        &path("apps/hello.py"),
    ]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("python3 -m venv"), "{stderr}");
}
