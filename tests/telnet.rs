//! `wsgiscope telnet`: the course's client, for machines without telnet. Tested over real TCP
//! against the real server: piped input goes out byte for byte, typed lines go out with CRLF
//! (or LF with `--lf`), the response is printed as it comes, and the end of the connection is
//! said; a bad address is one clear paragraph and exit code 2.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::*;

/// Run `wsgiscope telnet ARGS` with `input` on standard input (a pipe); its exit code,
/// standard output and standard error.
fn telnet(args: &[&str], input: &[u8]) -> (Option<i32>, String, String) {
    let mut child = Command::new(program())
        .arg("telnet")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the wsgiscope binary runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("the input goes in");
    let status = wait_with_limit(&mut child, PATIENCE).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("wsgiscope telnet {args:?} did not end")
    });
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

/// A request piped in goes out exactly as it is (the server's record holds the same bytes),
/// the response is printed, and the close is said.
#[test]
fn piped_request_is_sent_as_it_is_and_the_response_printed() {
    let server = start_server(&[&path("apps/hello.py")]);
    let port = server.addr.port().to_string();
    let request = b"GET /piped HTTP/1.1\r\nHost: x\r\n\r\n";
    let (code, out, err) = telnet(&["127.0.0.1", &port], request);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("hello world!"), "{out}");
    assert!(err.contains("Connection closed by the server."), "{err}");
    let record = server.next_typed();
    assert_eq!(
        record.request.raw,
        wsgiscope::exchange::escape_bytes(request)
    );
}

/// `--show-bytes` writes the response's line ends visibly, one wire line per line.
#[test]
fn show_bytes_writes_line_ends_visibly() {
    let server = start_server(&[&path("apps/hello.py")]);
    let port = server.addr.port().to_string();
    let (code, out, _) = telnet(
        &["127.0.0.1", &port, "--show-bytes"],
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(code, Some(0));
    assert!(out.starts_with("HTTP/1.1 200 OK\\r\\n\n"), "{out}");
    assert!(out.contains("\n\\r\\n\nhello world!"), "{out}");
}

/// Nothing listening, or a host that does not exist: one paragraph, exit code 2.
#[test]
fn nothing_listening_or_an_unknown_host_is_exit_code_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    let (code, _, err) = telnet(&["127.0.0.1", &free], b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nothing is listening there"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let (code, _, err) = telnet(&["no-such-host.invalid", "80"], b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a known host"), "{err}");

    let (code, _, err) = telnet(&["127.0.0.1", "http"], b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs a port"), "{err}");
}

/// In a terminal (tmux), each Enter sends the typed line with CRLF, as telnet does; with
/// `--lf`, with LF only, as nc does. The server's record shows which.
#[test]
fn typed_lines_go_out_with_crlf_or_with_lf() {
    for (flag, ending) in [("", "\\r\\n"), ("--lf", "\\n")] {
        let server = start_server(&[&path("apps/hello.py")]);
        let tmux = tmux::Session::start(
            &format!("telnet{}", flag.len()),
            &format!("telnet 127.0.0.1 {} {flag}", server.addr.port()),
        );
        tmux.wait_for("Connected to 127.0.0.1");
        for keys in ["GET /typed HTTP/1.1", "Enter", "Host: x", "Enter", "Enter"] {
            tmux.keys(keys);
        }
        let shown = tmux.wait_for("Connection closed by the server.");
        assert!(shown.contains("hello world!"), "{shown}");
        let record = server.next_typed();
        assert_eq!(
            record.request.raw,
            format!("GET /typed HTTP/1.1{ending}Host: x{ending}{ending}"),
            "{flag}"
        );
    }
}
