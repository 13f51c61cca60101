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

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// The module only the test venv has.
const PROBE: &str = "wsgiscope_venv_probe";

/// The test venv, made once per process (and once per machine, thanks to a ready marker).
fn test_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv)
}

/// Make `target/test-venv` if it is missing or was made from other requirements, then write
/// the probe module into it.
///
/// Test binaries may run at the same time (`cargo test` runs one at a time, but a developer
/// may run two), so an exclusive `flock` on `target/test-venv.lock` guards the whole making.
fn make_venv() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`; the venv lives beside it, in `<target>`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target folder");
    let venv = target.join("test-venv");
    let lock = File::create(target.join("test-venv.lock")).expect("the lock file can be made");
    // SAFETY: flock only reads the fd of `lock`, which stays open until the end of this
    // function; closing it releases the lock.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(
        rc,
        0,
        "cannot lock {}",
        target.join("test-venv.lock").display()
    );

    let requirements = path("apps/requirements.txt");
    let wanted = fs::read_to_string(&requirements).expect("apps/requirements.txt is readable");
    let ready = venv.join(".wsgiscope-ready");
    if fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        let _ = fs::remove_dir_all(&venv);
        let python = server_python();
        run(Command::new(&python).arg("-m").arg("venv").arg(&venv));
        run(Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements));
        fs::write(&ready, &wanted).expect("the ready marker can be written");
    }
    let probe = site_packages(&venv).join(format!("{PROBE}.py"));
    fs::write(
        &probe,
        "\"\"\"Written by wsgiscope's tests/venv.rs: this module exists only in the test venv.\"\"\"\n",
    )
    .expect("the probe module can be written");
    venv
}

/// The interpreter the server embeds: `<sys.prefix>/bin/python3`, the prefix read from the
/// server's own banner (`Python 3.11.7 (...) at /prefix`). A venv made with another Python
/// would have a `lib/pythonX.Y` the server does not look in.
fn server_python() -> PathBuf {
    let server = start_server(&[&path("apps/hello.py")]);
    let banner = server.stderr();
    let prefix = banner
        .lines()
        .find_map(|line| line.strip_prefix("Python ")?.split(" at ").last())
        .unwrap_or_else(|| panic!("the banner names no Python prefix:\n{banner}"));
    let python = Path::new(prefix.trim()).join("bin/python3");
    assert!(python.exists(), "{} does not exist", python.display());
    python
}

/// Run a set-up command; fail with everything it printed when it fails.
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}), so the test venv cannot be made.\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `<venv>/lib/pythonX.Y/site-packages`.
fn site_packages(venv: &Path) -> PathBuf {
    fs::read_dir(venv.join("lib"))
        .expect("the venv has a lib folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("site-packages"))
        .find(|site| site.is_dir())
        .unwrap_or_else(|| panic!("{} has no lib/python*/site-packages", venv.display()))
}

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
