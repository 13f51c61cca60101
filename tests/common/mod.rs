//! The one helper every integration test uses: start `wsgiscope` on a free port, talk raw
//! bytes to it over TCP, and read the exchange records it prints.
//!
//! The server is the real binary (`CARGO_BIN_EXE_wsgiscope`, or the command that
//! `WSGISCOPE_UNDER_TEST` names: [`program`]), started with `--no-tui --port 0 --log json`:
//! port 0 lets the system pick a free port, so tests never collide, and the bound address is
//! read from the `Serving on http://…` line of the start-up banner. Each exchange
//! then arrives on standard output as one JSON object, the record the README describes.
//!
//! Not every test binary uses every helper, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
pub use wsgiscope::record::Record;

pub mod nginx;
pub mod tmux;
pub mod venv;

/// How long the server may take to print its banner (an import of Flask included).
pub const STARTUP: Duration = Duration::from_secs(20);
/// How long a test waits for a response or a record before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The wsgiscope under test: the binary cargo built, or the command `WSGISCOPE_UNDER_TEST`
/// names. `.ci/wheel-check` sets it to the `wsgiscope` script of the installed Python package,
/// and runs suites again, to show that the package behaves as the binary does.
pub fn program() -> String {
    std::env::var("WSGISCOPE_UNDER_TEST")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_wsgiscope").to_string())
}

/// The absolute path of a file in the crate, e.g. `path("apps/hello.py")`.
pub fn path(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

/// Every `.py` file in these folders of the crate (`"apps"`, `"apps/solutions"`…), sorted.
pub fn python_files_in(folders: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = folders
        .iter()
        .flat_map(|folder| std::fs::read_dir(path(folder)).expect("the folder exists"))
        .flatten()
        .map(|entry| entry.path())
        .filter(|file| file.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

/// A scratch file name under `target/tmp`, unique to this process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()))
}

/// A running `wsgiscope`, killed when dropped.
pub struct Server {
    child: Child,
    /// The address from the banner.
    pub addr: SocketAddr,
    /// Standard output, line by line (JSON records with `--log json`).
    stdout: Receiver<String>,
    /// Everything written to standard error so far (the banner, then "Stopped.").
    stderr: Arc<Mutex<String>>,
    /// The thread collecting standard error; it ends when the server exits.
    stderr_collector: Option<thread::JoinHandle<()>>,
}

/// Start `wsgiscope --no-tui --port 0 --log json ARGS…` and wait for its banner.
pub fn start_server(args: &[&str]) -> Server {
    Server::start(&[&["--log", "json"], args].concat(), &[], None)
}

/// Start `wsgiscope --no-tui --port 0 ARGS…` (without `--log json`) with extra environment
/// variables, and wait for its banner.
pub fn start_server_with(args: &[&str], env: &[(&str, &str)]) -> Server {
    Server::start(args, env, None)
}

/// Start `wsgiscope --no-tui --port 0 --log json ARGS…` in a process that may open at most
/// `files` files (soft and hard `RLIMIT_NOFILE`, as `ulimit -n` sets them), and wait for its
/// banner.
pub fn start_server_with_file_limit(args: &[&str], files: u64) -> Server {
    Server::start(
        &[&["--log", "json"], args].concat(),
        &[],
        Some((files, files)),
    )
}

/// [`start_server_with_file_limit`] with a soft limit of `soft` open files and a hard one of
/// `hard`: the process may raise the soft one up to the hard one itself.
pub fn start_server_with_file_limits(args: &[&str], soft: u64, hard: u64) -> Server {
    Server::start(
        &[&["--log", "json"], args].concat(),
        &[],
        Some((soft, hard)),
    )
}

/// A `wsgiscope` command with a clean environment: no virtualenv inherited from whoever runs
/// the tests, and Rust backtraces switched on, so that a panic would show (and fail the test
/// that looks for it).
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(program());
    cmd.args(args)
        .env_remove("VIRTUAL_ENV")
        .env("RUST_BACKTRACE", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Make `cmd`'s process start with a soft limit of `soft` open files and a hard one of `hard`
/// (the same for both: it cannot raise the soft one back up, as after `ulimit -n FILES`).
fn limit_open_files(cmd: &mut Command, (soft, hard): (u64, u64)) {
    use std::os::unix::process::CommandExt as _;
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: setrlimit(2) is a plain system call, it reads the
    // `limit` copied into the closure, and the error path only reads errno.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Read lines from `from` on a thread; each goes into the returned channel.
fn lines_into_channel(from: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Server {
    fn start(args: &[&str], env: &[(&str, &str)], file_limit: Option<(u64, u64)>) -> Server {
        let all = [&["--no-tui", "--port", "0"], args].concat();
        let mut cmd = command(&all, env);
        if let Some(limits) = file_limit {
            limit_open_files(&mut cmd, limits);
        }
        let mut child = cmd.spawn().expect("the wsgiscope binary runs");
        // Both pipes were asked for in `command`, so both are there.
        let stdout = lines_into_channel(child.stdout.take().expect("piped stdout"));
        let stderr_lines = lines_into_channel(child.stderr.take().expect("piped stderr"));
        let stderr = Arc::new(Mutex::new(String::new()));

        let deadline = Instant::now() + STARTUP;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let mut collected = stderr.lock().unwrap();
                    collected.push_str(&line);
                    collected.push('\n');
                    if let Some(addr) = line.strip_prefix("Serving on http://") {
                        break addr.trim().parse().expect("the banner names an address");
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    panic!(
                        "wsgiscope {all:?} did not print its address ({}; exit status {status:?}); \
                         its stderr:\n{}",
                        if e == RecvTimeoutError::Timeout {
                            "timed out"
                        } else {
                            "it exited"
                        },
                        stderr.lock().unwrap()
                    );
                }
            }
        };
        // Keep collecting stderr, so the pipe never fills and tests can read it later.
        let collected = Arc::clone(&stderr);
        let stderr_collector = thread::spawn(move || {
            for line in stderr_lines {
                let mut collected = collected.lock().unwrap();
                collected.push_str(&line);
                collected.push('\n');
            }
        });
        Server {
            child,
            addr,
            stdout,
            stderr,
            stderr_collector: Some(stderr_collector),
        }
    }

    /// The process id, to send signals to.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// What the server wrote to standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until the server's standard error contains `text` (a line printed after the
    /// banner); fails the test after [`PATIENCE`].
    pub fn wait_for_stderr(&self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} on standard error within {PATIENCE:?}; it says:\n{}",
                self.stderr()
            );
            // The collector thread appends as lines come; look often.
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many sockets the server process holds open: the listener, the stop signal's pair,
    /// and one for every connection it accepted and has not closed yet. Read from
    /// /proc/PID/fd, so a test can see that a connection was accepted (not just queued by the
    /// kernel) although nothing was sent on it.
    pub fn sockets(&self) -> usize {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", self.pid())) else {
            return 0;
        };
        fds.filter_map(Result::ok)
            .filter(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
            })
            .count()
    }

    /// Wait until the server holds at least `count` sockets ([`Server::sockets`]); fails the
    /// test after [`PATIENCE`].
    pub fn wait_for_sockets(&self, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.sockets();
            if now >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server holds {now} sockets after {PATIENCE:?}, {count} expected: it did \
                 not accept the connections waiting for it"
            );
            // A file count cannot be waited on; look often.
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// A fresh connection to the server, with a read timeout.
    pub fn connect(&self) -> TcpStream {
        let conn = TcpStream::connect(self.addr).expect("the server accepts connections");
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn
    }

    /// Send `request` and read the whole response (the server closes every connection).
    pub fn send(&self, request: &[u8]) -> Vec<u8> {
        let mut conn = self.connect();
        // The server may answer (an error) and stop reading before all was written; its
        // answer is what the test checks, so a failed write is not a failure here.
        let _ = conn.write_all(request);
        read_to_end(&mut conn)
    }

    /// `GET target` with a Host header: the request most tests make.
    pub fn get(&self, target: &str) -> Vec<u8> {
        self.send(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
    }

    /// Send `chunks` one at a time with `delay` between them, as a person in telnet would,
    /// then read the whole response.
    pub fn send_slowly(&self, chunks: &[&[u8]], delay: Duration) -> Vec<u8> {
        let mut conn = self.connect();
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                thread::sleep(delay);
            }
            conn.write_all(chunk)
                .expect("the server reads a slow client");
        }
        read_to_end(&mut conn)
    }

    /// The next line of standard output.
    pub fn next_line(&self) -> String {
        self.stdout
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|e| panic!("no output line within {PATIENCE:?}: {e}"))
    }

    /// The next line of standard output if one comes within `wait`.
    pub fn try_next_line(&self, wait: Duration) -> Result<String, RecvTimeoutError> {
        self.stdout.recv_timeout(wait)
    }

    /// The next exchange record as JSON: [`Server::next_typed`], written back out. Only
    /// tests/fixtures.rs needs this: it writes records to the inspector's fixture file and
    /// compares them field by field with what is there, as the JSON the file holds, so that it
    /// can blank out what changes from run to run and name each field that differs. Every
    /// other test reads the typed record, where a wrong field name does not compile.
    pub fn next_record(&self) -> Value {
        serde_json::to_value(self.next_typed()).expect("a record is JSON")
    }

    /// The next exchange record, read into the crate's own [`Record`]: a field missing,
    /// renamed or unknown fails the test here, whatever the test then looks at. Lines that are
    /// not records (app output between exchanges) are skipped.
    pub fn next_typed(&self) -> Record {
        loop {
            if let Some(record) = parse_record(&self.next_line()) {
                return record;
            }
        }
    }

    /// The exchange records printed so far, without waiting for more (what a test reports
    /// when it gives up waiting for something else). Only for that report, so it is lenient:
    /// a line that is not a readable record is left out rather than failing the test (the test
    /// is failing already, and says why).
    pub fn records_so_far(&self) -> Vec<Record> {
        self.stdout
            .try_iter()
            .filter_map(|line| serde_json::from_str::<Record>(&line).ok())
            .collect()
    }

    /// Send `signal` and wait at most `limit` for the server to exit.
    pub fn signal_and_wait(&mut self, signal: i32, limit: Duration) -> (ExitStatus, Duration) {
        let sent = Instant::now();
        // SAFETY: kill(2) only sends a signal to the child we started; it touches no memory.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({}, {signal}) failed", self.pid());
        let status = wait_with_limit(&mut self.child, limit)
            .unwrap_or_else(|| panic!("the server did not exit within {limit:?} of the signal"));
        let took = sent.elapsed();
        // The process is gone, so its stderr pipe ends: collect its last words.
        if let Some(collector) = self.stderr_collector.take() {
            let _ = collector.join();
        }
        (status, took)
    }
}

/// A line of `--log json` output as a [`Record`], or None when it is not a record (a line of
/// app output that belongs to no exchange has no `id`). Fails the test when the line is not
/// JSON, or is a record that src/record.rs cannot read.
pub fn parse_record(line: &str) -> Option<Record> {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    value.get("id")?;
    Some(
        serde_json::from_value(value)
            .unwrap_or_else(|e| panic!("not a record as src/record.rs has it ({e}): {line}")),
    )
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ask `child` to stop with `signal` (SIGTERM, or nginx's SIGQUIT), give it 5 s to exit
/// cleanly, then kill it: what a test's server does when the test is over.
pub fn stop_child(child: &mut Child, signal: i32) {
    // SAFETY: kill(2) only sends a signal to the child this test started; it touches no
    // memory.
    unsafe { libc::kill(child.id() as i32, signal) };
    if wait_with_limit(child, Duration::from_secs(5)).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Wait for `child` to exit, at most `limit`; None if it is still running.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        // A process exit cannot be read with a timeout from std; poll it often.
        thread::sleep(Duration::from_millis(10));
    }
}

/// The server's resident memory, from /proc/PID/status, in KiB.
pub fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("a VmRSS line")
}

/// Read until the server closes the connection. A reset after the server's answer counts as
/// the end too; silence for [`PATIENCE`] fails the test.
pub fn read_to_end(conn: &mut TcpStream) -> Vec<u8> {
    let mut response = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return response,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!(
                    "the server did not close the connection within {PATIENCE:?}; got so far: {}",
                    String::from_utf8_lossy(&response)
                )
            }
            Err(_) => return response,
        }
    }
}

/// Read until the server closes the connection, for at most `limit`: `Ok` with everything
/// read when it closed (or reset) in time, `Err` with what came so far when it was still open
/// at the limit. `Err(vec![])` means "no answer yet, still connected". The read timeout is
/// [`PATIENCE`] again afterwards.
pub fn read_to_end_within(conn: &mut TcpStream, limit: Duration) -> Result<Vec<u8>, Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(got);
        }
        conn.set_read_timeout(Some(left)).unwrap();
        match conn.read(&mut buf) {
            Ok(0) => break Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break Err(got);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break Ok(got),
        }
    };
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    result
}

/// Read until `end` appears (e.g. the blank line after a status line), without waiting for
/// the connection to close.
pub fn read_until(conn: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(end) {
        match conn.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            other => panic!(
                "waiting for {:?}, the read gave {other:?} after: {}",
                String::from_utf8_lossy(end),
                String::from_utf8_lossy(&got)
            ),
        }
    }
    got
}

/// Close our sending side: the server sees the end of the request stream.
pub fn hang_up(conn: &TcpStream) {
    let _ = conn.shutdown(Shutdown::Both);
}

/// A response split into status code, header block (as text) and body bytes.
pub struct Reply {
    pub status: u16,
    pub head: String,
    /// The body, decoded when it came chunked.
    pub body: Vec<u8>,
    /// The bytes after the header block, as sent (with the chunk framing, if any).
    pub raw_body: Vec<u8>,
    /// The body came with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// A chunked body ended with its last chunk (always true for other bodies).
    pub complete: bool,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Split raw response bytes at the blank line. Fails the test when there is no status line.
pub fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete header block in the response: {text:?}"));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 status line: {text:?}"));
    let raw_body = raw[end + 4..].to_vec();
    let chunked = head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.eq_ignore_ascii_case("Transfer-Encoding") && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let (body, complete) = if chunked {
        dechunk(&raw_body)
    } else {
        (raw_body.clone(), true)
    };
    Reply {
        status,
        head,
        body,
        raw_body,
        chunked,
        complete,
    }
}

/// The data of a chunked body (RFC 9112 §7.1), and whether it was complete: each chunk's size
/// line in hex, its data and CRLF, until the size 0 and the empty trailer section. A body cut
/// short (the server closed after an app error) gives what came and `false`; bytes that are
/// not chunk framing fail the test.
pub fn dechunk(raw: &[u8]) -> (Vec<u8>, bool) {
    let (chunks, complete) = chunks_of(raw);
    (chunks.concat(), complete)
}

/// The chunks of a chunked body, each one's data as it was framed (the last, empty chunk not
/// included), and whether the body was complete: see [`dechunk`].
pub fn chunks_of(mut raw: &[u8]) -> (Vec<Vec<u8>>, bool) {
    let mut chunks = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return (chunks, false);
        };
        let size_text = String::from_utf8_lossy(&raw[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|_| panic!("not a chunk size: {size_text:?}"));
        raw = &raw[line_end + 2..];
        if size == 0 {
            assert_eq!(
                raw, b"\r\n",
                "after the last chunk: an empty trailer section"
            );
            return (chunks, true);
        }
        if raw.len() < size + 2 {
            chunks.push(raw[..size.min(raw.len())].to_vec());
            return (chunks, false);
        }
        chunks.push(raw[..size].to_vec());
        assert_eq!(&raw[size..size + 2], b"\r\n", "CRLF after the chunk data");
        raw = &raw[size + 2..];
    }
}

/// Run `wsgiscope ARGS…` that is expected to stop by itself (a start-up error); returns its
/// exit status and standard error. Fails the test if it is still running after [`STARTUP`].
pub fn run_to_exit(args: &[&str]) -> (ExitStatus, String) {
    let mut child = command(args, &[])
        .spawn()
        .expect("the wsgiscope binary runs");
    let stderr = child.stderr.take().expect("piped stderr");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        text
    });
    let Some(status) = wait_with_limit(&mut child, STARTUP) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("wsgiscope {args:?} was expected to exit, but it kept running");
    };
    (status, reader.join().expect("the stderr reader finishes"))
}

/// Assert the record holds a finding (`checks`) with this rule id.
#[track_caller]
pub fn assert_check(record: &Record, rule: &str) {
    assert!(
        record.checks.iter().any(|c| c.rule == rule),
        "no {rule:?} finding in the record: {record:?}"
    );
}

/// Assert the record's errors have exactly these rule ids, in order, and that their sentences
/// mention every one of `words` (what only a sentence carries: an exception's message, a
/// number of seconds).
#[track_caller]
pub fn assert_error(record: &Record, rules: &[&str], words: &[&str]) {
    let found: Vec<&str> = record.error.iter().map(|e| e.rule.as_str()).collect();
    assert_eq!(found, rules, "the record's errors: {record:?}");
    let text: Vec<&str> = record.error.iter().map(|e| e.message.as_str()).collect();
    let text = text.join("; then ");
    for word in words {
        assert!(
            text.contains(word),
            "the error does not say {word:?}: {record:?}"
        );
    }
}

/// Assert nothing went wrong in the exchange: its record has no errors.
#[track_caller]
pub fn assert_no_error(record: &Record) {
    assert!(
        record.error.is_empty(),
        "errors {:?} in the record: {record:?}",
        record.error
    );
}

/// `record.environ[key]`, the Python repr of the value, or None when the key is missing.
pub fn environ<'a>(record: &'a Record, key: &str) -> Option<&'a str> {
    record.environ.get(key).map(String::as_str)
}

/// Assert the raw response has `status` and its body contains every one of `words`.
pub fn assert_reply(raw: &[u8], status: u16, words: &[&str]) -> Reply {
    let reply = parse_reply(raw);
    assert_eq!(
        reply.status,
        status,
        "unexpected status; the response: {}",
        String::from_utf8_lossy(raw)
    );
    for word in words {
        assert!(
            reply.text().contains(word),
            "the body of the {status} does not mention {word:?}: {}",
            reply.text()
        );
    }
    reply
}
