//! HTTP/1.1 framing: how a client knows where a response body ends, and whether the
//! connection can carry another request.
//!
//! A body ends in one of three ways (RFC 9112 §6.3): after the number of bytes its
//! `Content-Length` announced; at the last-chunk (`0\r\n\r\n`) of `Transfer-Encoding:
//! chunked`, where each chunk says its own size; or when the server closes the connection.
//! Only the first two let the client tell a whole body from a cut one, and only they leave the
//! connection usable for the next request. So wsgiscope sends a body of unknown length (a
//! generator) chunked to an HTTP/1.1 client, one chunk per non-empty piece the app yields,
//! and keeps close-delimited bodies for HTTP/1.0, which has no chunked coding. A response to
//! HEAD has no body at all, so the server never invents a length for it.
//!
//! With `--keep-alive` a connection carries request after request (HTTP/1.1's default; HTTP/1.0
//! asks with `Connection: keep-alive`), and the server closes it whenever the framing is in
//! doubt. Whenever it closes with request bytes still unread, it closes cleanly (FIN after the
//! whole response, never a reset).
//!
//! The tests speak raw bytes through [`Client`], which reads one response at a time by its
//! framing, as a client that reuses connections must. The app is tests/apps/framing.py, one
//! route per way to frame a body; two Python clients (tests/apps/first_chunk_client.py with
//! http.client, tests/apps/h11_client.py with h11) check the responses as real clients read
//! them.

mod common;

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::panic;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

const FRAMING: &str = "tests/apps/framing.py";

/// The most requests the server answers on one connection with `--keep-alive`.
const MAX_REQUESTS: usize = 1_000;

/// How long the server lingers, reading and discarding, before it closes a connection that
/// still has request bytes unread.
const LINGER: Duration = Duration::from_secs(2);

/// Held by every test here that measures time, and by the one that starts a hundred servers:
/// cargo runs a binary's tests in parallel, and on 2 cores the servers' start-ups would eat into
/// another test's milliseconds. A failed test poisons the lock; the others still run.
static MEASURING: Mutex<()> = Mutex::new(());

/// Take [`MEASURING`] for the rest of the test.
fn measuring_alone() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `wsgiscope --log json ARGS… tests/apps/framing.py`.
fn framing(args: &[&str]) -> Server {
    start_server(&[args, &[&path(FRAMING)]].concat())
}

/// `METHOD TARGET HTTP/1.1` with `Host: x` and the `extra` header lines (each ending in \r\n).
fn request(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n").into_bytes()
}

/// `GET TARGET HTTP/1.1` with `Host: x`.
fn get(target: &str) -> Vec<u8> {
    request("GET", target, "")
}

/// Bytes as readable text for a failure message: `\r` and `\n` written out, other controls and
/// bytes ≥ 0x80 as `\xNN`, and a run of more than 8 equal bytes as `a×4096`.
fn show(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let run = bytes[i..].iter().take_while(|&&c| c == b).count();
        let one = match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        };
        if run > 8 {
            out.push_str(&format!("{one}×{run}"));
            i += run;
        } else {
            out.push_str(&one);
            i += 1;
        }
    }
    out
}

/// How a response's body was delimited, as the client found it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Framing {
    /// No body by rule: a response to HEAD, or a 204 or 304.
    NoBody,
    /// `Content-Length: N`, and N bytes came.
    Length(usize),
    /// `Transfer-Encoding: chunked`: the sizes of its chunks (the last-chunk not counted).
    Chunked(Vec<usize>),
    /// Neither: the body ended when the server closed.
    Close,
}

/// One response, read whole.
struct Framed {
    /// Every byte of it, head and chunk framing included.
    raw: Vec<u8>,
    status: u16,
    /// The status line and header fields, as text.
    head: String,
    /// Where the body starts in `raw`.
    body_at: usize,
    /// The body, chunk framing removed.
    body: Vec<u8>,
    framing: Framing,
}

impl Framed {
    /// Every value of a header, by case-insensitive name.
    fn headers(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .collect()
    }

    /// The first value of a header.
    fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// The body bytes exactly as they were on the wire (chunk framing included).
    fn wire_body(&self) -> &[u8] {
        &self.raw[self.body_at..]
    }

    /// The body as text.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a response could not be read whole.
#[derive(Debug)]
struct Cut {
    /// What came of it.
    got: Vec<u8>,
    /// What was missing or wrong.
    why: String,
}

/// What one read from the socket gave.
enum Got {
    Bytes,
    /// The server closed (FIN).
    End,
    /// The read failed: a reset, most likely.
    Failed(std::io::Error),
}

/// A client connection that reads responses one at a time by their framing and keeps what
/// comes after one for the next, as a client that pipelines must.
struct Client {
    conn: TcpStream,
    /// Received, and not part of a response read yet.
    buf: Vec<u8>,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client {
            conn: server.connect(),
            buf: Vec::new(),
        }
    }

    /// Send `bytes`; fails the test when the server does not take them.
    fn send(&mut self, bytes: &[u8]) {
        self.conn.set_write_timeout(Some(PATIENCE)).unwrap();
        self.conn.write_all(bytes).unwrap_or_else(|e| {
            panic!(
                "sending {} failed: {e} (received so far: {})",
                show(&bytes[..bytes.len().min(200)]),
                show(&self.buf)
            )
        });
    }

    /// One read into the buffer; fails the test after [`PATIENCE`] of silence, naming `what`
    /// it waited for.
    fn read_more(&mut self, what: &str) -> Got {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.conn.read(&mut chunk) {
                Ok(0) => return Got::End,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Got::Bytes;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!(
                        "waited {PATIENCE:?} for {what}; the server neither sent more nor \
                         closed. Received and not yet read: {}",
                        show(&self.buf)
                    )
                }
                Err(e) => return Got::Failed(e),
            }
        }
    }

    /// Read until the buffer holds at least `len` bytes; `Err` says why it never will.
    fn fill_to(&mut self, len: usize, what: &str) -> Result<(), String> {
        while self.buf.len() < len {
            match self.read_more(what) {
                Got::Bytes => {}
                Got::End => return Err(format!("the server closed before {what}")),
                Got::Failed(e) => return Err(format!("the connection failed ({e}) before {what}")),
            }
        }
        Ok(())
    }

    /// Read until `needle` is in the buffer at or after `from`; its position.
    fn find(&mut self, needle: &[u8], from: usize, what: &str) -> Result<usize, String> {
        loop {
            if let Some(at) = self.buf[from.min(self.buf.len())..]
                .windows(needle.len())
                .position(|w| w == needle)
            {
                return Ok(from + at);
            }
            let len = self.buf.len() + 1;
            self.fill_to(len, what)?;
        }
    }

    /// Read one whole response, framed as RFC 9112 §6.3 says; `head_request` says it answers a
    /// HEAD. The bytes after it stay in the buffer for the next one. A chunked body must be
    /// framed exactly as wsgiscope frames it: lowercase hex sizes, no extensions, no trailers.
    fn try_response(&mut self, head_request: bool) -> Result<Framed, Cut> {
        let result = self.read_response(head_request);
        result.map_err(|why| Cut {
            got: self.buf.clone(),
            why,
        })
    }

    /// [`Client::try_response`]'s work; `Err` says what was missing or wrong.
    fn read_response(&mut self, head_request: bool) -> Result<Framed, String> {
        let end = self.find(b"\r\n\r\n", 0, "the end of the response head")?;
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        let status: u16 = head
            .strip_prefix("HTTP/1.")
            .and_then(|rest| rest.get(2..5))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP/1.x status line: {head:?}"))?;
        let body_at = end + 4;
        let mut framed = Framed {
            raw: Vec::new(),
            status,
            head,
            body_at,
            body: Vec::new(),
            framing: Framing::NoBody,
        };
        let length = framed.header("Content-Length");
        let coding = framed.header("Transfer-Encoding");
        let mut at = body_at;
        if head_request || status == 204 || status == 304 {
            framed.framing = Framing::NoBody;
        } else if let Some(coding) = coding {
            if coding != "chunked" {
                return Err(format!("Transfer-Encoding is {coding:?}, not \"chunked\""));
            }
            let mut sizes = Vec::new();
            loop {
                let line_end = self.find(b"\r\n", at, "a chunk-size line")?;
                let line = String::from_utf8_lossy(&self.buf[at..line_end]).into_owned();
                if line.is_empty()
                    || !line
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(format!(
                        "chunk-size line {line:?} is not lowercase hex digits alone"
                    ));
                }
                let size = usize::from_str_radix(&line, 16)
                    .map_err(|e| format!("chunk size {line:?}: {e}"))?;
                at = line_end + 2;
                if size == 0 {
                    self.fill_to(at + 2, "the CRLF that ends the last-chunk")?;
                    if &self.buf[at..at + 2] != b"\r\n" {
                        return Err("the last-chunk is not followed by CRLF (a trailer?)".into());
                    }
                    at += 2;
                    break;
                }
                self.fill_to(at + size + 2, &format!("the {size} bytes of a chunk"))?;
                framed.body.extend_from_slice(&self.buf[at..at + size]);
                if &self.buf[at + size..at + size + 2] != b"\r\n" {
                    return Err(format!("the {size}-byte chunk is not followed by CRLF"));
                }
                at += size + 2;
                sizes.push(size);
            }
            framed.framing = Framing::Chunked(sizes);
        } else if let Some(length) = length {
            let n: usize = length
                .parse()
                .map_err(|_| format!("Content-Length {length:?} is not a number"))?;
            self.fill_to(
                at + n,
                &format!("the {n} body bytes Content-Length announced"),
            )?;
            framed.body = self.buf[at..at + n].to_vec();
            at += n;
            framed.framing = Framing::Length(n);
        } else {
            loop {
                match self.read_more("the end of a close-delimited body") {
                    Got::Bytes => {}
                    Got::End => break,
                    Got::Failed(e) => {
                        return Err(format!(
                            "the connection failed ({e}) inside a close-delimited body"
                        ));
                    }
                }
            }
            framed.body = self.buf[at..].to_vec();
            at = self.buf.len();
            framed.framing = Framing::Close;
        }
        framed.raw = self.buf.drain(..at).collect();
        Ok(framed)
    }

    /// Read one whole response; fails the test when it is not whole, naming `what` it answers.
    fn response(&mut self, head_request: bool, what: &str) -> Framed {
        self.try_response(head_request).unwrap_or_else(|cut| {
            panic!(
                "the response to {what} could not be read whole: {}. It was: {}",
                cut.why,
                show(&cut.got)
            )
        })
    }

    /// Everything until the server closes; fails the test on a reset or a silence.
    fn until_end(&mut self, what: &str) -> Vec<u8> {
        loop {
            match self.read_more(what) {
                Got::Bytes => {}
                Got::End => return std::mem::take(&mut self.buf),
                Got::Failed(e) => panic!(
                    "the connection failed ({e}) while waiting for {what}, instead of a clean \
                     close; received: {}",
                    show(&self.buf)
                ),
            }
        }
    }

    /// Assert the server sends nothing more and closes cleanly (FIN, no reset): `after` names
    /// the last response, for the message.
    fn assert_closed(&mut self, after: &str) {
        let rest = self.until_end(&format!("the server to close after {after}"));
        assert!(
            rest.is_empty(),
            "after {after}, the server was expected to close with nothing more; it sent: {}",
            show(&rest)
        );
    }
}

/// Assert a response was framed as `expected`; `what` names the request.
fn assert_framing(reply: &Framed, expected: &Framing, what: &str) {
    assert_eq!(
        &reply.framing,
        expected,
        "the response to {what} was framed as {:?}, {expected:?} expected; it was: {}",
        reply.framing,
        show(&reply.raw)
    );
}

/// Assert a response carries `name` with exactly `value` (once), or not at all (`None`).
fn assert_header(reply: &Framed, name: &str, value: Option<&str>, what: &str) {
    let values = reply.headers(name);
    let expected: Vec<String> = value.into_iter().map(String::from).collect();
    assert_eq!(
        values,
        expected,
        "the response to {what}: {name} expected {}, got {values:?}; its head:\n{}",
        match value {
            Some(v) => format!("to be {v:?}"),
            None => "to be absent".to_string(),
        },
        reply.head
    );
}

/// Assert the exact body bytes on the wire (chunk framing included).
fn assert_wire_body(reply: &Framed, expected: &[u8], what: &str) {
    assert!(
        reply.wire_body() == expected,
        "the body of the response to {what}, as sent:\n  expected {}\n  got      {}",
        show(expected),
        show(reply.wire_body())
    );
}

/// `data` as one chunk: `<lowercase hex size>\r\n<data>\r\n`.
fn chunk(data: &[u8]) -> Vec<u8> {
    [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
}

/// Split raw response bytes at the blank line: the head as text, and every byte after it.
fn split_head(raw: &[u8], what: &str) -> (String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("the response to {what} has no whole head: {}", show(raw)));
    (
        String::from_utf8_lossy(&raw[..end]).into_owned(),
        raw[end + 4..].to_vec(),
    )
}

/// The last-chunk, with no trailer.
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// `(id, request, kept_open)` of a record's `connection` field.
fn connection(record: &Record) -> (u64, u64, bool) {
    let c = &record.connection;
    (c.id, u64::from(c.request), c.kept_open)
}

// ---------------------------------------------------------------------------------------------
// Chunked responses

/// A generator's body goes out chunked to an HTTP/1.1 client: one chunk per non-empty piece,
/// its size in lowercase hex (`ff`, `1000`), the empty piece skipped (encoded, it would be a
/// premature last-chunk), and the last-chunk at the end. Without `--keep-alive` the response
/// still says `Connection: close` and the server closes after the last-chunk.
#[test]
fn streamed_body_goes_out_as_one_chunk_per_yield_in_lowercase_hex() {
    let server = framing(&[]);
    let mut client = Client::new(&server);
    let what = "GET /sizes?10,0,255,4096,1 (a generator)";
    client.send(&get("/sizes?10,0,255,4096,1"));
    let reply = client.response(false, what);
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_header(&reply, "Transfer-Encoding", Some("chunked"), what);
    assert_header(&reply, "Content-Length", None, what);
    assert_header(&reply, "Connection", Some("close"), what);
    let expected = [
        chunk(&[b'a'; 10]),
        chunk(&[b'c'; 255]),
        chunk(&[b'd'; 4096]),
        chunk(b"e"),
        LAST_CHUNK.to_vec(),
    ]
    .concat();
    assert_wire_body(&reply, &expected, what);
    client.assert_closed(what);
}

/// apps/stream.py, the teaching app for streaming, is chunked line by line.
#[test]
fn teaching_stream_app_is_chunked_line_by_line() {
    let server = start_server(&[&path("apps/stream.py")]);
    let mut client = Client::new(&server);
    let what = "GET /?n=3 to apps/stream.py";
    client.send(&get("/?n=3"));
    let reply = client.response(false, what);
    assert_header(&reply, "Transfer-Encoding", Some("chunked"), what);
    let expected = [
        chunk(b"line 1 of 3\n"),
        chunk(b"line 2 of 3\n"),
        chunk(b"line 3 of 3\n"),
        LAST_CHUNK.to_vec(),
    ]
    .concat();
    assert_wire_body(&reply, &expected, what);
    client.assert_closed(what);
}

/// What an app passes to `write()` is a chunk too, and so is each item of a list longer than
/// one (only a one-item list lets the server count the body before the head goes out; after a
/// write() the head is gone before the list is even returned).
#[test]
fn write_calls_and_longer_lists_are_chunked_too() {
    let server = framing(&[]);
    for (target, expected) in [
        (
            "/write",
            [
                chunk(b"written\n"),
                chunk(b"returned\n"),
                LAST_CHUNK.to_vec(),
            ]
            .concat(),
        ),
        (
            "/two-items",
            [chunk(b"one"), chunk(b"two"), LAST_CHUNK.to_vec()].concat(),
        ),
    ] {
        let what = format!("GET {target}");
        let mut client = Client::new(&server);
        client.send(&get(target));
        let reply = client.response(false, &what);
        assert_header(&reply, "Transfer-Encoding", Some("chunked"), &what);
        assert_header(&reply, "Content-Length", None, &what);
        assert_wire_body(&reply, &expected, &what);
        client.assert_closed(&what);
    }
}

/// A one-item list keeps the Content-Length the server counts for it, and an empty body (an
/// empty list, or a generator that yields only `b""`) is `Content-Length: 0`, as before: no
/// chunked coding where the length is known.
#[test]
fn one_item_list_and_empty_bodies_keep_a_content_length() {
    let server = framing(&[]);
    for (target, length, body) in [
        ("/list", "8", &b"one item"[..]),
        ("/empty-list", "0", b""),
        ("/empty-generator", "0", b""),
    ] {
        let what = format!("GET {target}");
        let mut client = Client::new(&server);
        client.send(&get(target));
        let reply = client.response(false, &what);
        assert_header(&reply, "Transfer-Encoding", None, &what);
        assert_header(&reply, "Content-Length", Some(length), &what);
        assert_wire_body(&reply, body, &what);
        client.assert_closed(&what);
    }
}

/// 204 and 304 have no body (RFC 9110 §15.3.5, §15.4.5), so they are never chunked, even when
/// the app returns a generator, and even when that generator yields bytes (dropped, a
/// finding): the response ends at the blank line.
#[test]
fn no_content_and_not_modified_are_never_chunked() {
    let server = framing(&[]);
    for target in ["/status?204", "/status?304", "/status?204&body"] {
        let what = format!("GET {target}");
        let mut client = Client::new(&server);
        client.send(&get(target));
        let reply = client.response(false, &what);
        let code: u16 = target[8..11].parse().unwrap();
        assert_eq!(reply.status, code, "{what}: {}", reply.head);
        assert_header(&reply, "Transfer-Encoding", None, &what);
        if code == 204 {
            assert_header(&reply, "Content-Length", None, &what);
        }
        client.assert_closed(&what);
    }
}

/// HTTP/1.0 has no chunked coding (RFC 9112 §7.1: never send it to a 1.0 client), so a body of
/// unknown length still ends with the connection: no Transfer-Encoding, `Connection: close`,
/// the lines as they are, then the close.
#[test]
fn http10_streamed_body_is_close_delimited() {
    let server = start_server(&[&path("apps/stream.py")]);
    let mut client = Client::new(&server);
    let what = "GET /?n=3 HTTP/1.0 to apps/stream.py";
    client.send(b"GET /?n=3 HTTP/1.0\r\n\r\n");
    let reply = client.response(false, what);
    assert_header(&reply, "Transfer-Encoding", None, what);
    assert_header(&reply, "Content-Length", None, what);
    assert_header(&reply, "Connection", Some("close"), what);
    assert_framing(&reply, &Framing::Close, what);
    assert_wire_body(&reply, b"line 1 of 3\nline 2 of 3\nline 3 of 3\n", what);
}

/// An exception after the first chunk went out is too late for a 500: the server ends the
/// connection without the last-chunk, so the client knows the body is cut (a close after a
/// last-chunk would look like success).
#[test]
fn an_error_after_the_first_chunk_ends_the_connection_without_the_last_chunk() {
    let server = framing(&[]);
    let mut client = Client::new(&server);
    let what = "GET /late-error (yields a chunk, then raises)";
    client.send(&get("/late-error"));
    assert_cut_after_one_chunk(&mut client, what);
}

/// Read to the end: a chunked head, then exactly the chunk `first\n`, then the close, with no
/// last-chunk (and nothing for a request pipelined behind).
fn assert_cut_after_one_chunk(client: &mut Client, what: &str) {
    let (head, body) = split_head(&client.until_end(what), what);
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("Transfer-Encoding: chunked")),
        "the response to {what} is not chunked; its head:\n{head}"
    );
    let expected = chunk(b"first\n");
    assert!(
        body == expected,
        "after the head of the response to {what}, expected exactly the one chunk and then \
         the close, with no last-chunk (and no answer to a request behind it):\n  \
         expected {}\n  got      {}",
        show(&expected),
        show(&body)
    );
}

// ---------------------------------------------------------------------------------------------
// A real client sees the chunks as they come

/// The test venv's Python, which runs the client scripts (it has h11).
fn venv_python() -> PathBuf {
    venv::test_venv().join("bin/python")
}

/// Run `tests/apps/SCRIPT ARGS…` with the test venv's Python; its exit status and output.
fn run_client(script: &str, args: &[String]) -> (bool, String, String) {
    let output = Command::new(venv_python())
        .arg(path(&format!("tests/apps/{script}")))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tests/apps/{script}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The standard library's http.client reads a slow generator (apps/stream.py, a line every
/// 0.5 s) chunk by chunk: its first `read1()` returns the first line at once, not when the
/// generator ends 1.5 s later. This is what a streamed response is for (progress, logs, server-
/// sent events), and what a close-delimited body cannot promise (the issue measured requests'
/// `iter_lines()` getting four lines a second apart all at once).
#[test]
fn http_client_gets_the_first_chunk_of_a_slow_generator_at_once() {
    let _alone = measuring_alone();
    const FIRST_WITHIN: f64 = 0.4;
    const WHOLE_AT_LEAST: f64 = 1.5;
    let python = venv_python();
    assert!(python.exists(), "{} is missing", python.display());
    let server = start_server(&[&path("apps/stream.py")]);
    let target = "/?n=4&delay=0.5";
    let (ok, out, err) = run_client(
        "first_chunk_client.py",
        &[server.addr.port().to_string(), target.to_string()],
    );
    assert!(ok, "first_chunk_client.py failed:\n{out}\n{err}");
    let report: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("first_chunk_client.py printed no JSON ({e}): {out}\n{err}"));
    assert_eq!(report["status"], 200, "{report}");
    assert_eq!(
        report["chunked"], true,
        "http.client did not see Transfer-Encoding: chunked on GET {target}: {report}"
    );
    assert_eq!(
        report["first"], "line 1 of 4\n",
        "http.client's first read1() gave another first line: {report}"
    );
    let first = report["first_after"].as_f64().unwrap_or(f64::MAX);
    let whole = report["whole_after"].as_f64().unwrap_or(0.0);
    assert!(
        first < FIRST_WITHIN,
        "http.client got the first line {first:.3} s after the request, {FIRST_WITHIN} s at most \
         expected (the whole body took {whole:.3} s): {report}"
    );
    assert!(
        whole >= WHOLE_AT_LEAST - 0.1,
        "the whole body came {whole:.3} s after the request; the generator sleeps \
         {WHOLE_AT_LEAST} s in all, so the measure is void: {report}"
    );
    assert_eq!(
        report["body"], "line 1 of 4\nline 2 of 4\nline 3 of 4\nline 4 of 4\n",
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// HEAD

/// A response to HEAD has no body, so nothing frames one: the server adds neither a
/// Content-Length nor Transfer-Encoding, whatever the app returns. Not for a generator, and
/// not for an empty body either (`Content-Length: 0` would be false: for HEAD it means "a GET
/// would have 0 bytes", RFC 9110 §8.6), nor for a one-item list.
#[test]
fn head_gets_no_invented_length_nor_chunking() {
    let server = framing(&[]);
    for target in [
        "/sizes?5,7",
        "/empty-generator",
        "/empty-list",
        "/list",
        "/write",
    ] {
        let what = format!("HEAD {target}");
        let mut client = Client::new(&server);
        client.send(&request("HEAD", target, ""));
        let reply = client.response(true, &what);
        assert_eq!(reply.status, 200, "{what}: {}", reply.head);
        assert_header(&reply, "Content-Length", None, &what);
        assert_header(&reply, "Transfer-Encoding", None, &what);
        client.assert_closed(&what);
    }
}

/// A Content-Length the app sets itself goes out on HEAD exactly as given: whether the app
/// produced the body (the server drops it) or skipped it, as an app may for HEAD.
#[test]
fn head_sends_the_apps_own_content_length_as_given() {
    let server = framing(&[]);
    for target in ["/length?cl=10&body=10", "/length?cl=10&body=0"] {
        let what = format!("HEAD {target}");
        let mut client = Client::new(&server);
        client.send(&request("HEAD", target, ""));
        let reply = client.response(true, &what);
        assert_header(&reply, "Content-Length", Some("10"), &what);
        assert_header(&reply, "Transfer-Encoding", None, &what);
        client.assert_closed(&what);
    }
}

/// The case the issue found: Flask answers HEAD on a streamed route with no body and no
/// length (werkzeug skips the body for HEAD), and the server used to add `Content-Length: 0`.
/// On a route where werkzeug counts the body, HEAD gets werkzeug's count, the length of the GET.
#[test]
fn head_on_flask_routes_sends_werkzeugs_length_or_none() {
    let venv = venv::test_venv();
    let server = start_server(&[
        "--venv",
        venv.to_str().unwrap(),
        &path("tests/apps/flask_stream.py"),
    ]);
    let mut client = Client::new(&server);
    client.send(&get("/"));
    let whole = client.response(false, "GET / (Flask)");
    let length = whole.body.len().to_string();
    assert_header(&whole, "Content-Length", Some(&length), "GET / (Flask)");

    for (target, expected) in [("/", Some(length.as_str())), ("/stream", None)] {
        let what = format!("HEAD {target} (Flask)");
        let mut client = Client::new(&server);
        client.send(&request("HEAD", target, ""));
        let reply = client.response(true, &what);
        assert_eq!(reply.status, 200, "{what}: {}", reply.head);
        assert_header(&reply, "Content-Length", expected, &what);
        assert_header(&reply, "Transfer-Encoding", None, &what);
        client.assert_closed(&what);
    }

    let mut client = Client::new(&server);
    client.send(&get("/stream"));
    let reply = client.response(false, "GET /stream (Flask)");
    assert_framing(
        &reply,
        &Framing::Chunked(vec![16, 16, 16]),
        "GET /stream (Flask)",
    );
}

/// With `--keep-alive`, HEAD responses (with the app's length, with none, or for a body the app
/// produced and the server dropped) leave the connection usable: the next request on it is
/// answered, and none of them says `Connection`.
#[test]
fn head_responses_leave_a_kept_alive_connection_usable() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    for target in [
        "/sizes?5,7",
        "/length?cl=10&body=10",
        "/length?cl=10&body=0",
        "/empty-generator",
        "/list",
    ] {
        let what = format!("HEAD {target} with --keep-alive");
        client.send(&request("HEAD", target, ""));
        let reply = client.response(true, &what);
        assert_header(&reply, "Connection", None, &what);
    }
    client.send(&get("/after-heads"));
    let reply = client.response(false, "GET /after-heads, after five HEADs");
    assert_eq!(reply.text(), "/after-heads");
}

// ---------------------------------------------------------------------------------------------
// A clean close

/// How one connection of the clean-close test ended.
enum Ending {
    /// The server closed (read gave 0) after these bytes.
    Clean(Vec<u8>),
    /// Something failed: what, and what had come.
    Broken(String, Vec<u8>),
}

/// Write all of `request` (the server must read it, or the write stalls or fails), then read
/// until the server closes.
fn write_all_then_read_to_the_end(server: &Server, request: &[u8]) -> Ending {
    let mut conn = server.connect();
    conn.set_write_timeout(Some(PATIENCE)).unwrap();
    if let Err(e) = conn.write_all(request) {
        let mut got = Vec::new();
        let _ = conn.read_to_end(&mut got);
        return Ending::Broken(format!("writing the request failed: {e}"), got);
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return Ending::Clean(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Ending::Broken(format!("reading failed: {e}"), got),
        }
    }
}

/// Send `request` 10 times, one connection each: every time the client must see `expected`
/// whole and then a clean end of the stream (read returns 0; no ECONNRESET).
fn assert_ten_clean_closes(server: &Server, request: &[u8], expected: impl Fn(&[u8]) -> bool) {
    const TRIES: usize = 10;
    let mut failures = Vec::new();
    for i in 1..=TRIES {
        match write_all_then_read_to_the_end(server, request) {
            Ending::Clean(got) if expected(&got) => {}
            Ending::Clean(got) => failures.push(format!(
                "try {i}: a clean close, but after the wrong bytes: {}",
                show(&got)
            )),
            Ending::Broken(why, got) => {
                failures.push(format!("try {i}: {why}, after: {}", show(&got)))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {TRIES} connections did not end with the whole response and a clean close \
         (FIN, read returning 0):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 300 KB of request body that nobody reads.
const UNREAD: usize = 300_000;

/// Without `--keep-alive` the server answers one request per connection; a second one
/// pipelined behind it (with a 300 KB body) stays unread. Closing a socket with unread bytes
/// makes the kernel send a reset, which can destroy the response before the client reads it
/// (the issue saw it 8 times in 8). The server shuts down its sending side and reads and
/// discards instead: 10 times out of 10, the client reads the whole first response, then a
/// clean end.
#[test]
fn a_pipelined_request_left_unread_ends_in_a_clean_close_10_times_in_10() {
    let server = start_server(&[&path("apps/hello.py")]);
    let request = [
        get("/"),
        request("POST", "/", &format!("Content-Length: {UNREAD}\r\n")),
        vec![b'x'; UNREAD],
    ]
    .concat();
    assert_ten_clean_closes(&server, &request, |got| {
        let (head, body) = split_head(got, "GET /");
        head.starts_with("HTTP/1.1 200 ")
            && head.contains("\r\nContent-Length: 12")
            && body == b"hello world!"
    });
}

/// The same after a refusal that comes before the body is read: a 413 for a body over
/// `--max-body`, while the client is still sending 300 KB of it.
#[test]
fn a_body_left_unread_after_an_early_refusal_ends_in_a_clean_close_10_times_in_10() {
    let server = start_server(&["--max-body", "1000", &path("apps/hello.py")]);
    let request = [
        request("POST", "/", &format!("Content-Length: {UNREAD}\r\n")),
        vec![b'x'; UNREAD],
    ]
    .concat();
    assert_ten_clean_closes(&server, &request, |got| {
        let (head, body) = split_head(got, "an oversized POST");
        head.starts_with("HTTP/1.1 413 ")
            && head.contains(&format!("\r\nContent-Length: {}", body.len()))
    });
}

/// Keep sending junk on `conn` from a thread, `piece` bytes at a time with `pause` between
/// pieces, until a write fails: the server has closed its socket for good (a lingering close
/// ends with the client's next bytes being refused), so the thread returns when that was seen.
/// None if writes still worked after [`PATIENCE`].
fn keep_sending(
    conn: &TcpStream,
    piece: usize,
    pause: Duration,
) -> thread::JoinHandle<Option<Instant>> {
    let mut conn = conn.try_clone().expect("the socket can be cloned");
    conn.set_write_timeout(Some(PATIENCE)).unwrap();
    thread::spawn(move || {
        let started = Instant::now();
        let junk = vec![b'x'; piece];
        while started.elapsed() < PATIENCE {
            if conn.write_all(&junk).is_err() {
                return Some(Instant::now());
            }
            thread::sleep(pause);
        }
        None
    })
}

/// The lingering is bounded, so a client that never stops sending cannot hold the server's
/// socket: it is closed [`LINGER`] after the answer when the client trickles (1 KiB every
/// 50 ms, far from 1 MiB), and sooner when it floods (1 MiB is read in a moment). Meanwhile
/// the client has its answer and a clean end of it (FIN) at once. The close is seen from the
/// client's side: its next write fails.
#[test]
fn lingering_close_is_bounded_in_time_and_size() {
    let _alone = measuring_alone();
    let server = start_server(&[&path("apps/hello.py")]);
    let endless = [
        get("/"),
        request("POST", "/", "Content-Length: 100000000\r\n"),
    ]
    .concat();

    let mut client = Client::new(&server);
    client.send(&endless);
    let sender = keep_sending(&client.conn, 1024, Duration::from_millis(50));
    let what = "GET /, with a POST behind it that trickles on";
    let reply = client.response(false, what);
    let answered = Instant::now();
    assert_eq!(reply.text(), "hello world!");
    client.assert_closed(what);
    let refused = sender.join().expect("the sending thread");
    let took = refused.map(|at| at.saturating_duration_since(answered));
    assert!(
        took.is_some_and(|took| {
            (LINGER - Duration::from_millis(500)..LINGER + Duration::from_millis(1500))
                .contains(&took)
        }),
        "a client trickling 20 KiB/s behind its answer had its bytes refused {took:?} after \
         the answer (None: still taken after {PATIENCE:?}); the server should read and discard \
         for about {LINGER:?}, then close"
    );

    let mut client = Client::new(&server);
    client.send(&endless);
    let sent = Instant::now();
    let sender = keep_sending(&client.conn, 64 * 1024, Duration::ZERO);
    let refused = sender.join().expect("the sending thread");
    let took = refused.map(|at| at.saturating_duration_since(sent));
    assert!(
        took.is_some_and(|took| took < LINGER - Duration::from_millis(500)),
        "a client flooding behind its request had its bytes refused {took:?} after the \
         request (None: still taken after {PATIENCE:?}); the server should stop discarding \
         after 1 MiB, well before the {LINGER:?} linger is over"
    );
}

// ---------------------------------------------------------------------------------------------
// --keep-alive

/// `--keep-alive`: a hundred requests on one connection, responses framed by Content-Length
/// (a one-item list) and by chunks (a generator) in turn, each read by its framing. A kept-open
/// HTTP/1.1 response says nothing about the connection (persistence is HTTP/1.1's default);
/// only the last, asked with `Connection: close`, says `Connection: close`, and then the
/// server closes. The records count the requests 1 to 100 on one connection id.
#[test]
fn keep_alive_serves_100_requests_on_one_connection() {
    const REQUESTS: usize = 100;
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    for i in 1..=REQUESTS {
        let last = i == REQUESTS;
        let extra = if last { "Connection: close\r\n" } else { "" };
        let (target, framing, body) = if i % 2 == 1 {
            (format!("/list-{i}"), None, format!("/list-{i}"))
        } else {
            (
                "/sizes?3,4".to_string(),
                Some(vec![3, 4]),
                "aaabbbb".to_string(),
            )
        };
        let what = format!("request {i} of {REQUESTS} on one connection (GET {target})");
        client.send(&request("GET", &target, extra));
        let reply = client.response(false, &what);
        assert_eq!(reply.status, 200, "{what}: {}", reply.head);
        assert_eq!(reply.text(), body, "{what}");
        match framing {
            Some(sizes) => assert_framing(&reply, &Framing::Chunked(sizes), &what),
            None => assert_framing(&reply, &Framing::Length(body.len()), &what),
        }
        assert_header(&reply, "Connection", last.then_some("close"), &what);
    }
    client.assert_closed("the 100th response, asked with Connection: close");

    let records: Vec<Record> = (0..REQUESTS).map(|_| server.next_typed()).collect();
    let (id, _, _) = connection(&records[0]);
    for (i, record) in (1..).zip(&records) {
        let expected = (id, i, i < REQUESTS as u64);
        assert_eq!(
            connection(record),
            expected,
            "record {i} of {REQUESTS} on one connection: (connection.id, connection.request, \
             connection.kept_open) should be {expected:?}; the record: {record:?}"
        );
    }
}

/// Pipelining: three requests in one write, the second with a body. The bytes after one
/// request are the start of the next, and the answers come in the order asked.
#[test]
fn keep_alive_answers_three_pipelined_requests_in_order() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    client.send(
        &[
            get("/first"),
            request("POST", "/echo", "Content-Length: 6\r\n"),
            b"second".to_vec(),
            get("/sizes?5"),
        ]
        .concat(),
    );
    for (i, (what, body)) in [
        ("GET /first", "/first"),
        ("POST /echo with body \"second\"", "second"),
        ("GET /sizes?5", "aaaaa"),
    ]
    .into_iter()
    .enumerate()
    {
        let what = format!("pipelined request {} of 3, {what}", i + 1);
        let reply = client.response(false, &what);
        assert_eq!(reply.text(), body, "{what}: the answers came out of order");
        assert_header(&reply, "Connection", None, &what);
    }
    // Still open: one more is answered.
    client.send(&get("/fourth"));
    assert_eq!(client.response(false, "GET /fourth").text(), "/fourth");
    // Each record holds its own request's bytes, though all three came in one write.
    let sent = [
        get("/first"),
        [
            request("POST", "/echo", "Content-Length: 6\r\n"),
            b"second".to_vec(),
        ]
        .concat(),
        get("/sizes?5"),
        get("/fourth"),
    ];
    for (i, bytes) in sent.iter().enumerate() {
        let record = server.next_typed();
        assert_eq!(
            (record.connection.id, record.connection.request),
            (1, i as u32 + 1)
        );
        assert_eq!(
            record.request.bytes,
            bytes.len() as u64,
            "request {}",
            i + 1
        );
        assert_eq!(
            record.request.raw,
            wsgiscope::exchange::escape_bytes(bytes),
            "request {}",
            i + 1
        );
    }
}

/// `Connection: close` from the client is honoured: its response says `Connection: close`,
/// and the server closes after it, cleanly, leaving a request pipelined behind it unanswered.
#[test]
fn keep_alive_honours_connection_close_from_the_client() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    client.send(&get("/kept"));
    let reply = client.response(false, "GET /kept");
    assert_header(&reply, "Connection", None, "GET /kept");
    client.send(
        &[
            request("GET", "/last", "Connection: close\r\n"),
            get("/never"),
        ]
        .concat(),
    );
    let what = "GET /last with Connection: close (GET /never pipelined after it)";
    let reply = client.response(false, what);
    assert_eq!(reply.text(), "/last", "{what}");
    assert_header(&reply, "Connection", Some("close"), what);
    client.assert_closed(what);
}

/// Without `--keep-alive`, as before: every response says `Connection: close` and the server
/// closes after one request, also for an HTTP/1.1 client that would keep it.
#[test]
fn without_keep_alive_every_connection_carries_one_request() {
    let server = framing(&[]);
    let mut client = Client::new(&server);
    client.send(&[get("/one"), get("/two")].concat());
    let what = "GET /one (GET /two pipelined), without --keep-alive";
    let reply = client.response(false, what);
    assert_eq!(reply.text(), "/one");
    assert_header(&reply, "Connection", Some("close"), what);
    client.assert_closed(what);
}

/// HTTP/1.0 keeps a connection only when it asks, with `Connection: keep-alive`, and then the
/// response says `Connection: keep-alive` (1.0 has no persistence by default). Without it, or
/// when the body has no length (close-delimited: 1.0 has no chunks), the response says
/// `Connection: close` and the server closes.
#[test]
fn keep_alive_for_http10_needs_connection_keep_alive() {
    let server = framing(&["--keep-alive"]);

    let mut client = Client::new(&server);
    let what = "GET /plain HTTP/1.0 without Connection: keep-alive";
    client.send(b"GET /plain HTTP/1.0\r\n\r\n");
    let reply = client.response(false, what);
    assert_eq!(reply.text(), "/plain");
    assert_header(&reply, "Connection", Some("close"), what);
    client.assert_closed(what);

    let mut client = Client::new(&server);
    for target in ["/ka-1", "/ka-2"] {
        let what = format!("GET {target} HTTP/1.0 with Connection: keep-alive");
        client.send(format!("GET {target} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes());
        let reply = client.response(false, &what);
        assert_eq!(reply.text(), target, "{what}");
        assert_framing(&reply, &Framing::Length(target.len()), &what);
        assert_header(&reply, "Connection", Some("keep-alive"), &what);
    }
    let what = "GET /sizes?3,4 HTTP/1.0 with Connection: keep-alive (a generator)";
    client.send(b"GET /sizes?3,4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let reply = client.response(false, what);
    assert_header(&reply, "Transfer-Encoding", None, what);
    assert_header(&reply, "Connection", Some("close"), what);
    assert_framing(&reply, &Framing::Close, what);
    assert_eq!(reply.text(), "aaabbbb", "{what}");
}

/// A Content-Length from the app that the body does not match leaves the framing in doubt, so
/// the server closes the connection after it (a request pipelined behind is not answered):
/// with a one-item list the server knows before the head goes out and says `Connection:
/// close`; with a generator the head is gone when it finds out, and it just closes.
#[test]
fn keep_alive_closes_after_a_content_length_the_body_does_not_match() {
    let server = start_server(&[
        "--keep-alive",
        &path("apps/mistakes/content_length_wrong.py"),
    ]);
    let mut client = Client::new(&server);
    client.send(&[get("/"), get("/next")].concat());
    let what = "GET / to apps/mistakes/content_length_wrong.py (Content-Length 4, 5 bytes)";
    let reply = client.response(false, what);
    assert_framing(&reply, &Framing::Length(4), what);
    assert_header(&reply, "Connection", Some("close"), what);
    client.assert_closed(what);

    let server = framing(&["--keep-alive"]);
    // Longer than announced: the bytes past it are not sent, then the close.
    let mut client = Client::new(&server);
    client.send(&[get("/length?cl=3&body=5"), get("/next")].concat());
    let what = "GET /length?cl=3&body=5 (a generator, Content-Length 3, 5 bytes)";
    let reply = client.response(false, what);
    assert_eq!(reply.text(), "LLL", "{what}");
    client.assert_closed(what);
    // Shorter than announced: the body is cut, and the close says so.
    let mut client = Client::new(&server);
    client.send(&[get("/length?cl=10&body=5"), get("/next")].concat());
    let what = "GET /length?cl=10&body=5 (a generator, Content-Length 10, 5 bytes)";
    match client.try_response(false) {
        Ok(reply) => panic!(
            "the response to {what} came whole, 10 bytes: {}",
            show(&reply.raw)
        ),
        Err(cut) => {
            let (_, body) = split_head(&cut.got, what);
            assert!(
                cut.why.starts_with("the server closed") && body == b"LLLLL",
                "the response to {what}: expected the 5 bytes and then the close, got \
                 ({}) {}",
                cut.why,
                show(&cut.got)
            );
        }
    }
}

/// An error after the head went out: the chunks sent, no last-chunk, then the close; the
/// request pipelined behind it is not answered.
#[test]
fn keep_alive_closes_after_an_app_error_after_the_headers() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    client.send(&[get("/late-error"), get("/next")].concat());
    let what = "GET /late-error with --keep-alive (GET /next pipelined)";
    assert_cut_after_one_chunk(&mut client, what);
}

/// A request the server refuses (a 400 for two different Content-Lengths, a classic of request
/// smuggling) ends the connection, even after a good request on it: the 400 says `Connection:
/// close`, and what was pipelined behind it is never read as a request.
#[test]
fn keep_alive_closes_after_a_refused_request() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    client.send(&get("/good"));
    let reply = client.response(false, "GET /good");
    assert_header(&reply, "Connection", None, "GET /good");
    client.send(
        &[
            request(
                "POST",
                "/echo",
                "Content-Length: 1\r\nContent-Length: 2\r\n",
            ),
            b"xy".to_vec(),
            get("/never"),
        ]
        .concat(),
    );
    let what = "a POST with two Content-Lengths (GET /never pipelined behind)";
    let reply = client.response(false, what);
    assert_eq!(reply.status, 400, "{what}: {}", reply.head);
    assert_header(&reply, "Connection", Some("close"), what);
    client.assert_closed(what);
}

/// A kept-alive connection that stays silent after a response is closed after `--timeout`,
/// without a 408 (no request was begun) and without a record: the next line printed is the
/// record of the next real request.
#[test]
fn keep_alive_closes_an_idle_connection_after_the_timeout_without_a_record() {
    let _alone = measuring_alone();
    let server = framing(&["--keep-alive", "--timeout", "1"]);
    let mut client = Client::new(&server);
    client.send(&get("/before-idle"));
    let reply = client.response(false, "GET /before-idle");
    let answered = Instant::now();
    assert_header(&reply, "Connection", None, "GET /before-idle");
    client.assert_closed("a response followed by silence, with --timeout 1");
    let silent = answered.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(4)).contains(&silent),
        "the kept-alive connection was closed {silent:?} after its response; --timeout is 1 s"
    );

    assert_eq!(
        server.next_typed().request.target.as_deref(),
        Some("/before-idle")
    );
    let mut client = Client::new(&server);
    client.send(&request("GET", "/after-idle", "Connection: close\r\n"));
    client.response(false, "GET /after-idle");
    let line = server.next_line();
    let record = parse_record(&line);
    assert_eq!(
        record.and_then(|r| r.request.target).as_deref(),
        Some("/after-idle"),
        "the line printed after the idle close is not the next request's record: {line}"
    );
}

/// At most 1,000 requests on one connection: 1,001 pipelined requests get 1,000 answers in
/// order, the 1,000th says `Connection: close`, and then the server closes (cleanly, with the
/// 1,001st unread).
#[test]
fn keep_alive_closes_after_1000_requests() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    let all: Vec<u8> = (1..=MAX_REQUESTS + 1)
        .flat_map(|i| get(&format!("/{i}")))
        .collect();
    // Written from another thread, so that neither side waits for the other's buffer.
    let mut writer = client.conn.try_clone().expect("the socket can be cloned");
    let sender = thread::spawn(move || writer.write_all(&all));
    for i in 1..=MAX_REQUESTS {
        let what = format!("pipelined request {i} of {}", MAX_REQUESTS + 1);
        let reply = client.response(false, &what);
        assert_eq!(reply.text(), format!("/{i}"), "{what}");
        let last = i == MAX_REQUESTS;
        assert_header(&reply, "Connection", last.then_some("close"), &what);
    }
    client.assert_closed("the 1,000th response on one connection");
    let _ = sender.join();
    for i in 1..=MAX_REQUESTS as u64 {
        let (_, number, kept_open) = connection(&server.next_typed());
        assert_eq!(
            (number, kept_open),
            (i, i < MAX_REQUESTS as u64),
            "record {i}: (connection.request, connection.kept_open)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The record, the access log and the trace

/// Each record says which connection it came on (counted from 1 in the order accepted), which
/// request it was on that connection, and whether the connection stayed open after it.
#[test]
fn record_says_which_connection_which_request_and_whether_it_stayed_open() {
    let server = framing(&["--keep-alive"]);
    let mut first = Client::new(&server);
    for target in ["/a", "/b"] {
        first.send(&get(target));
        first.response(false, &format!("GET {target}"));
    }
    first.send(&request("GET", "/c", "Connection: close\r\n"));
    first.response(false, "GET /c with Connection: close");
    first.assert_closed("GET /c with Connection: close");
    let mut second = Client::new(&server);
    second.send(&request("GET", "/d", "Connection: close\r\n"));
    second.response(false, "GET /d with Connection: close");

    for (target, expected) in [
        ("/a", (1, 1, true)),
        ("/b", (1, 2, true)),
        ("/c", (1, 3, false)),
        ("/d", (2, 1, false)),
    ] {
        let record = server.next_typed();
        assert_eq!(record.request.target.as_deref(), Some(target), "{record:?}");
        assert_eq!(
            connection(&record),
            expected,
            "GET {target}: (connection.id, connection.request, connection.kept_open) should \
             be {expected:?}; the record: {record:?}"
        );
    }
}

/// Without `--keep-alive`, every exchange is request 1 of its own connection, not kept open.
#[test]
fn without_keep_alive_each_record_is_the_only_request_of_its_connection() {
    let server = framing(&[]);
    for id in 1..=3 {
        let mut client = Client::new(&server);
        client.send(&get("/"));
        client.response(false, "GET /");
        let record = server.next_typed();
        assert_eq!(
            connection(&record),
            (id, 1, false),
            "connection {id} without --keep-alive: the record: {record:?}"
        );
    }
}

/// The access log line says ` [kept open]` after the size when the connection stayed open,
/// and nothing when it was closed.
#[test]
fn access_log_marks_an_exchange_after_which_the_connection_stayed_open() {
    let server = start_server_with(&["--keep-alive", &path(FRAMING)], &[]);
    let mut client = Client::new(&server);
    client.send(&get("/a"));
    client.response(false, "GET /a");
    client.send(&request("GET", "/b", "Connection: close\r\n"));
    client.response(false, "GET /b with Connection: close");
    let kept = server.next_line();
    assert!(
        kept.ends_with("\"GET /a HTTP/1.1\" 200 2 [kept open]"),
        "the access line of a request after which the connection stayed open should end with \
         `\"GET /a HTTP/1.1\" 200 2 [kept open]`: {kept}"
    );
    let closed = server.next_line();
    assert!(
        closed.ends_with("\"GET /b HTTP/1.1\" 200 2"),
        "the access line of the request after which the connection closed should end with \
         `\"GET /b HTTP/1.1\" 200 2`, with no marker: {closed}"
    );
}

/// `--trace` says so too: the exchange after which the connection stayed open has a line with
/// "kept open"; the one after which it closed has none (unless it says "not kept open").
#[test]
fn trace_says_when_the_connection_was_kept_open() {
    let server = start_server_with(&["--trace", "--keep-alive", &path(FRAMING)], &[]);
    let mut client = Client::new(&server);
    client.send(&get("/kept"));
    client.response(false, "GET /kept");
    client.send(&request("GET", "/closed", "Connection: close\r\n"));
    client.response(false, "GET /closed with Connection: close");
    let mut third = Client::new(&server);
    third.send(&request("GET", "/third", "Connection: close\r\n"));
    third.response(false, "GET /third");

    // Everything printed until the third exchange begins: the whole of the first two.
    let mut blocks: Vec<String> = Vec::new();
    loop {
        let line = server.next_line();
        if line.starts_with("=== exchange") {
            if blocks.len() == 2 {
                break;
            }
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(&line);
            block.push('\n');
        }
    }
    let says_kept = |block: &str| {
        block
            .lines()
            .any(|l| l.contains("kept open") && !l.contains("not kept open"))
    };
    assert!(
        says_kept(&blocks[0]),
        "the trace of GET /kept (the connection stayed open) has no line with \"kept open\":\n{}",
        blocks[0]
    );
    assert!(
        !says_kept(&blocks[1]),
        "the trace of GET /closed (the connection was closed) says \"kept open\":\n{}",
        blocks[1]
    );
}

// ---------------------------------------------------------------------------------------------
// Every app, read by a strict parser

/// Every app in apps/, apps/mistakes/ and apps/solutions/, sorted.
fn every_app() -> Vec<PathBuf> {
    python_files_in(&["apps", "apps/mistakes", "apps/solutions"])
}

/// Serve `app` (Flask from the test venv), with `--keep-alive` or without.
fn serve(app: &Path, keep_alive: bool) -> Server {
    let venv = venv::test_venv().to_string_lossy().into_owned();
    let mut args: Vec<&str> = Vec::new();
    if keep_alive {
        args.push("--keep-alive");
    }
    if app.file_name().is_some_and(|n| n == "flask_app.py") {
        args.extend(["--venv", &venv]);
    }
    let app = app.to_string_lossy();
    args.push(&app);
    start_server(&args)
}

/// Run tests/apps/h11_client.py against `app`, served without and with `--keep-alive`; the
/// problems it found, as lines of text (none when all is well).
fn h11_problems(app: &Path) -> Vec<String> {
    let name = app
        .strip_prefix(path(""))
        .unwrap_or(app)
        .display()
        .to_string();
    let closing = serve(app, false);
    let keeping = serve(app, true);
    let (ok, out, err) = run_client(
        "h11_client.py",
        &[
            closing.addr.port().to_string(),
            keeping.addr.port().to_string(),
        ],
    );
    let mut problems: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("problem"))
        .map(|l| format!("{name}: {l}"))
        .collect();
    if !ok && problems.is_empty() {
        problems.push(format!("{name}: h11_client.py failed:\n{out}\n{err}"));
    }
    // A teaching app is well framed: with --keep-alive its connection must be reused.
    let teaching = !name.contains("mistakes");
    if teaching {
        for line in out.lines().filter(|l| l.starts_with("ok --keep-alive")) {
            if !line.contains("reused") {
                problems.push(format!(
                    "{name}: the connection was not kept open for a well-framed response: {line}"
                ));
            }
        }
    }
    problems
}

/// Every response of every app, with `--keep-alive` and without, parses with h11, a strict
/// client-side HTTP/1.1 parser (from PyPI, in the test venv): GET / and HEAD / come whole and
/// framed as they say, `Connection: close` is followed by the close, and a connection left
/// open carries a second request. Two servers per app, four apps at a time.
#[test]
fn every_apps_responses_parse_with_h11_with_and_without_keep_alive() {
    let _alone = measuring_alone();
    const AT_ONCE: usize = 4;
    let python = venv_python();
    assert!(python.exists(), "{} is missing", python.display());
    let apps = every_app();
    assert!(apps.len() >= 50, "only {} apps found: {apps:?}", apps.len());
    // Once, up front: a server that cannot start with --keep-alive fails here, not 59 times.
    drop(serve(Path::new(&path("apps/hello.py")), true));
    let next = AtomicUsize::new(0);
    let problems: Vec<String> = thread::scope(|scope| {
        let workers: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    while let Some(app) = apps.get(next.fetch_add(1, Ordering::Relaxed)) {
                        // A server that does not start fails only its own app's line.
                        match panic::catch_unwind(|| h11_problems(app)) {
                            Ok(problems) => found.extend(problems),
                            Err(panic) => found.push(format!(
                                "{}: the check itself failed: {}",
                                app.display(),
                                panic
                                    .downcast_ref::<String>()
                                    .map(String::as_str)
                                    .or_else(|| panic.downcast_ref::<&str>().copied())
                                    .unwrap_or("(no message)")
                            )),
                        }
                    }
                    found
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker thread"))
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} problems h11 found in the responses of {} apps:\n{}",
        problems.len(),
        apps.len(),
        problems.join("\n")
    );
}

/// A chunked upload that arrives in pieces, then a request pipelined behind it
/// (`--keep-alive`): the app gets the decoded body, and each record holds exactly the bytes
/// of its own request, chunk framing included, though the server drops decoded chunks from
/// its buffer as it goes.
#[test]
fn a_chunked_upload_in_pieces_is_recorded_byte_for_byte_and_the_next_request_is_its_own() {
    let server = framing(&["--keep-alive"]);
    let mut client = Client::new(&server);
    let head = request("POST", "/echo", "Transfer-Encoding: chunked\r\n");
    let pieces: [&[u8]; 3] = [b"3\r\nabc\r\n", b"2\r\nde\r\n", b"0\r\n\r\n"];
    client.send(&head);
    for piece in pieces {
        // The scenario: a slow uploader, its pieces a moment apart (each a read of its own
        // on a quiet machine).
        std::thread::sleep(Duration::from_millis(50));
        client.send(piece);
    }
    client.send(&get("/after"));
    assert_eq!(client.response(false, "the chunked POST").text(), "abcde");
    assert_eq!(client.response(false, "GET /after").text(), "/after");
    let upload = [head, pieces.concat()].concat();
    for (i, bytes) in [upload, get("/after")].iter().enumerate() {
        let record = server.next_typed();
        assert_eq!(
            record.request.raw,
            wsgiscope::exchange::escape_bytes(bytes),
            "request {}",
            i + 1
        );
    }
}
