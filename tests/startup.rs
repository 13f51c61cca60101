//! Start-up errors: everything that can stop the server before it serves (an app that is not
//! there, will not import, or is not callable; a port in use; a bad option) ends with exit
//! code 2 and one paragraph on standard error that says what was tried. Never a Rust panic or
//! a backtrace: the person reading it is learning Python web apps, not debugging wsgiscope.
//! (The helper runs the binary with RUST_BACKTRACE=1, so a panic would show.)

mod common;

use std::net::TcpListener;

use common::*;

/// Run wsgiscope with `args`, expect exit code 2, a one-paragraph message naming each of
/// `words`, and no panic.
fn assert_refuses_to_start(args: &[&str], words: &[&str]) {
    let all = [&["--no-tui", "--port", "0"], args].concat();
    let (status, stderr) = run_to_exit(&all);
    assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(!stderr.contains("backtrace"), "{args:?}: {stderr}");
    let message = stderr.trim();
    assert!(message.starts_with("wsgiscope: "), "{args:?}: {stderr}");
    assert!(!message.contains("\n\n"), "more than a paragraph: {stderr}");
    for word in words {
        assert!(message.contains(word), "{args:?}: no {word:?} in: {stderr}");
    }
}

/// A file path that does not exist is named in the message.
#[test]
fn missing_app_file_exits_with_2() {
    assert_refuses_to_start(
        &["apps/no_such_app.py"],
        &["no_such_app.py", "does not exist"],
    );
}

/// A folder is not an app, whether named as a module (`apps`) or a path (`apps/`): the
/// message says it is a folder and names files in it that could be meant.
#[test]
fn a_folder_named_as_the_app_exits_with_2_and_names_its_files() {
    let apps = path("apps");
    for spec in [apps.clone(), format!("{apps}/")] {
        assert_refuses_to_start(&[&spec], &["is a folder, not an app", "apps/echo.py"]);
    }
    // As a bare module name, from the folder that holds it.
    let (status, stderr) = run_to_exit(&["--no-tui", "--port", "0", "--chdir", &path(""), "apps"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("apps is a folder, not an app"), "{stderr}");
}

/// A module that cannot be imported: the message names it and the sys.path Python searched.
#[test]
fn missing_module_exits_with_2() {
    assert_refuses_to_start(
        &["no_such_module_anywhere:app"],
        &["no_such_module_anywhere", "ModuleNotFoundError", "sys.path"],
    );
}

/// A callable name the module does not have: the message lists what it has.
#[test]
fn missing_attribute_exits_with_2() {
    assert_refuses_to_start(
        &[&format!("{}:nope", path("apps/hello.py"))],
        &["no attribute 'nope'", "application"],
    );
}

/// An attribute that is not callable is not a WSGI app.
#[test]
fn non_callable_app_exits_with_2() {
    assert_refuses_to_start(
        &[&path("tests/apps/not_callable.py")],
        &["is a str, which is not callable"],
    );
}

/// An app whose import raises: the message says which exception, and where.
#[test]
fn app_raising_at_import_exits_with_2() {
    let file = scratch("raises_at_import.py");
    std::fs::write(&file, "raise RuntimeError('broken at import')\n").unwrap();
    assert_refuses_to_start(
        &[file.to_str().unwrap()],
        &["RuntimeError: broken at import", "line 1"],
    );
    let _ = std::fs::remove_file(file);
}

/// A port another program listens on: the message says so and suggests --port 0.
#[test]
fn port_in_use_exits_with_2() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, stderr) = run_to_exit(&["--no-tui", "--port", &port, &path("apps/hello.py")]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains(&port), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("\n\n"), "{stderr}");
}

/// An unknown option is a usage error (clap's own message), exit code 2, no panic.
#[test]
fn bad_option_exits_with_2() {
    let (status, stderr) = run_to_exit(&["--no-such-option", &path("apps/hello.py")]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-such-option"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

/// A word too many is refused, not ignored: after an app, after `lessons` (which takes none),
/// after `lesson N`; and the client's options without `telnet`.
#[test]
fn words_in_the_wrong_place_exit_with_2() {
    let hello = path("apps/hello.py");
    assert_refuses_to_start(&[&hello, "extra"], &["\"extra\" is one word too many"]);
    assert_refuses_to_start(&["lessons", "x"], &["\"x\" is one word too many"]);
    assert_refuses_to_start(&["lesson", "1", "y"], &["\"y\" is one word too many"]);
    assert_refuses_to_start(&["--lf", &hello], &["--lf", "wsgiscope telnet"]);
}

/// `--step` waits for Space in the inspector, so without one it is refused, and before the
/// app is imported: the command line's mistake is named, not the app's.
#[test]
fn step_without_the_inspector_exits_with_2() {
    assert_refuses_to_start(
        &["--step", &path("apps/hello.py")],
        &["--step needs the inspector", "--no-tui"],
    );
    assert_refuses_to_start(
        &["--step", &path("apps/no_such_app.py")],
        &["--step needs the inspector"],
    );
}

/// A `--timeout` of 0 (which would drop every client at once) or beyond a day (which once
/// overflowed the clock on the first connection) is refused with clap's message naming the
/// range, exit code 2, no panic.
#[test]
fn timeout_out_of_range_exits_with_2() {
    for bad in ["0", "86401", "18446744073709551615", "-1", "soon"] {
        let option = format!("--timeout={bad}");
        let (status, stderr) = run_to_exit(&["--no-tui", &option, &path("apps/hello.py")]);
        assert_eq!(status.code(), Some(2), "--timeout {bad}: {stderr}");
        assert!(stderr.contains("--timeout"), "--timeout {bad}: {stderr}");
        assert!(!stderr.contains("panicked"), "--timeout {bad}: {stderr}");
        assert!(!stderr.contains("backtrace"), "--timeout {bad}: {stderr}");
    }
    let (_, stderr) = run_to_exit(&["--no-tui", "--timeout", "0", &path("apps/hello.py")]);
    assert!(stderr.contains("1..=86400"), "{stderr}");
}

/// The longest `--timeout` allowed, a day, serves as any other.
#[test]
fn timeout_of_a_day_serves() {
    let server = start_server(&["--timeout", "86400", &path("apps/hello.py")]);
    assert_reply(
        &server.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        200,
        &["hello world!"],
    );
}

/// `--version` says the version, then the Python the app would run in and that Python's
/// prefix: the very ones an app served by the same command finds in `sys.version` and
/// `sys.prefix`. (For the binary, the Python it embeds; for the package, which
/// `.ci/wheel-check` runs this suite against, the Python that started it.) Exit code 0.
#[test]
fn version_names_the_python_the_app_runs_in_and_its_prefix() {
    let out = std::process::Command::new(program())
        .arg("--version")
        .env_remove("VIRTUAL_ENV")
        .output()
        .expect("wsgiscope runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(concat!("wsgiscope ", env!("CARGO_PKG_VERSION"))),
        "{printed}"
    );

    let server = start_server(&[&path("tests/apps/interpreter.py")]);
    let reply = String::from_utf8(server.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        .expect("the reply is UTF-8");
    let body = reply.split("\r\n\r\n").nth(1).expect("a body");
    let (version, prefix) = body
        .trim_end()
        .split_once('\n')
        .expect("two lines: the version and the prefix");
    assert_eq!(
        lines.get(1).copied(),
        Some(format!("Python {version}").as_str()),
        "{printed}"
    );
    assert_eq!(
        lines.get(2).copied(),
        Some(format!("Prefix {prefix}").as_str()),
        "{printed}"
    );
}
