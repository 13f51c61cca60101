//! The course, kept true: every lesson in lessons/ is replayed against the real server (and,
//! where lesson 18 puts one in front of it, through a real nginx), every teaching app gives
//! the same body under the standard library's wsgiref, and the `lessons` and `lesson N`
//! commands do what the lessons say.
//!
//! The conventions a lesson follows (the `<!-- app: … -->` line, the `http-request` and
//! `http-response` blocks, `…` for a volatile part of a line) are described in
//! `src/lessons.rs`, which reads them for both these tests and the command line.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use wsgiscope::lessons::{self, Lesson, PAUSE, Transcript};

use common::nginx::Nginx;
use common::venv::test_venv;
use common::*;

/// Every lesson, read from the crate's lessons/ folder.
fn all_lessons() -> Vec<Lesson> {
    lessons::list(&Path::new(env!("CARGO_MANIFEST_DIR")).join(lessons::LESSONS_DIR))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The standard library's top-level module names, from Python itself.
fn stdlib_modules() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys; print('\\n'.join(sorted(sys.stdlib_module_names)))",
            ])
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "python3 could not list its modules");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

/// The packages an app file imports that are neither in the standard library nor a module
/// beside it: the rule that tells a Flask app from a portable one, read from its imports.
fn third_party_imports(app: &Path) -> Vec<String> {
    let text = fs::read_to_string(app).unwrap_or_else(|e| panic!("{}: {e}", app.display()));
    let folder = app.parent().expect("an app file is in a folder");
    let mut found = Vec::new();
    for line in text.lines().map(str::trim_start) {
        let module = if let Some(rest) = line.strip_prefix("import ") {
            rest
        } else if let Some(rest) = line.strip_prefix("from ") {
            rest.split(" import").next().unwrap_or_default()
        } else {
            continue;
        };
        for name in module.split(',') {
            let top = name.split_whitespace().next().unwrap_or_default();
            let top = top.split('.').next().unwrap_or_default();
            if top.is_empty() || stdlib_modules().contains(top) {
                continue;
            }
            if folder.join(format!("{top}.py")).exists() || folder.join(top).is_dir() {
                continue;
            }
            found.push(top.to_string());
        }
    }
    found
}

/// Start the server for a transcript: its app path made absolute, and, for an app that needs
/// a third-party package, the test virtualenv (which has Flask).
fn start_for(app: &[String]) -> Server {
    let mut args: Vec<String> = app.to_vec();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(&args[0]);
    if file.exists() {
        if !third_party_imports(&file).is_empty() {
            args.splice(
                0..0,
                ["--venv".to_string(), test_venv().display().to_string()],
            );
        }
        let at = args.len() - app.len();
        args[at] = file.display().to_string();
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start_server(&args)
}

/// Send a transcript's request to `to` (the server, or the nginx in front of it), part by
/// part: after each `<pause>`, wait until the server has answered something (at most
/// [`PAUSE`]), then go on. Returns the whole response.
fn replay(to: SocketAddr, transcript: &Transcript) -> Vec<u8> {
    let mut conn = TcpStream::connect(to).expect("the server accepts connections");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut response = Vec::new();
    for (i, part) in transcript.request.iter().enumerate() {
        if i > 0 {
            conn.set_read_timeout(Some(PAUSE)).unwrap();
            let mut buf = [0u8; 4096];
            if let Ok(n) = conn.read(&mut buf) {
                response.extend_from_slice(&buf[..n]);
            }
            conn.set_read_timeout(Some(PATIENCE)).unwrap();
        }
        // The server may answer and stop reading before all was written (a 4xx): its answer
        // is what the lesson shows, so a failed write is not a failure here.
        let _ = conn.write_all(part);
    }
    response.extend(read_to_end(&mut conn));
    response
}

/// Every request block of every lesson, sent through the real server to the lesson's app,
/// gets exactly the response the lesson shows (Date and `…` parts aside). A block marked
/// `nginx` goes through a real nginx started with the lesson's configuration, in front of
/// the server.
#[test]
fn every_lesson_transcript_matches_the_real_server() {
    let mut failures = Vec::new();
    for lesson in all_lessons() {
        let transcripts = lesson.transcripts().unwrap_or_else(|e| panic!("{e}"));
        for transcript in transcripts {
            let server = start_for(&transcript.app);
            let nginx = transcript
                .nginx
                .as_deref()
                .map(|config| Nginx::start(config, server.addr));
            let got = replay(nginx.as_ref().map_or(server.addr, |n| n.addr), &transcript);
            if let Err(why) = lessons::compare_response(&transcript.response, &got) {
                let through = nginx.as_ref().map_or(String::new(), |n| {
                    format!(" through nginx, whose error log says: {:?}", n.error_log())
                });
                failures.push(format!(
                    "{} line {} (app {:?}){through}: {why}",
                    lesson.path.display(),
                    transcript.line,
                    transcript.app
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The course has its lessons (thirteen so far, lesson 13 on framing) numbered from 1 without
/// a gap, each with an app line and at least one tested transcript: an untested lesson would
/// drift.
#[test]
fn every_lesson_has_an_app_and_a_tested_transcript() {
    let lessons = all_lessons();
    let numbers: Vec<u32> = lessons.iter().map(|l| l.number).collect();
    assert!(lessons.len() >= 13, "only {} lessons", lessons.len());
    assert_eq!(numbers, (1..=lessons.len() as u32).collect::<Vec<_>>());
    for lesson in &lessons {
        assert!(
            lesson.app().is_some(),
            "{} has no app line",
            lesson.path.display()
        );
        let transcripts = lesson.transcripts().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !transcripts.is_empty(),
            "{} has no http-request/http-response pair, so nothing keeps it true",
            lesson.path.display()
        );
        for heading in ["What you will learn", "Why", "Exercise"] {
            assert!(
                lesson
                    .sections()
                    .iter()
                    .any(|s| s.heading.starts_with(heading)),
                "{} has no `## {heading}` section",
                lesson.path.display()
            );
        }
        assert!(
            lesson.text.contains("apps/solutions/") || lesson.text.contains("lessons/code/"),
            "{}: the exercise names no solution file",
            lesson.path.display()
        );
    }
}

/// Every solution file a lesson names exists.
#[test]
fn every_solution_a_lesson_names_exists() {
    for lesson in all_lessons() {
        for word in lesson.text.split(|c: char| c.is_whitespace() || c == '`') {
            let word = word.trim_end_matches(['.', ',', ')', ':']);
            if word.starts_with("apps/") || word.starts_with("lessons/code/") {
                let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(word);
                let file = word.split_once(':').map_or(file.clone(), |(f, _)| {
                    Path::new(env!("CARGO_MANIFEST_DIR")).join(f)
                });
                assert!(
                    file.exists(),
                    "{} names {word}, which does not exist",
                    lesson.path.display()
                );
            }
        }
    }
}

// ---- The portability lesson: the same app, the standard library's server ----

/// A Python server started by a test (wsgiref's, or lesson 12's), stopped with SIGTERM when
/// dropped. Its first line of output ends with the port it bound (`port 41234`, or
/// `Serving on http://127.0.0.1:41234`).
struct PythonServer {
    child: std::process::Child,
    port: u16,
}

impl PythonServer {
    fn start(args: &[&str]) -> PythonServer {
        // Its log (access lines, the app's wsgi.errors) goes to a file, not into the test
        // run's output; a server that fails to start says why from there.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = common::scratch(&format!("python-server-{n}"));
        let mut child = Command::new("python3")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the log file can be made"))
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its port");
        let port = line
            .trim()
            .rsplit([':', ' '])
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("python3 {args:?} said {line:?}, not its port; its stderr:\n{said}")
            });
        PythonServer { child, port }
    }

    /// The wsgiref server of tests/apps/wsgiref_runner.py, serving `app`.
    fn wsgiref(app: &Path) -> PythonServer {
        let app = app.display().to_string();
        PythonServer::start(&[&path("tests/apps/wsgiref_runner.py"), &app])
    }

    fn send(&self, request: &[u8]) -> Vec<u8> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).expect("the server listens");
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.write_all(request).unwrap();
        read_to_end(&mut conn)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        // SAFETY: kill(2) only sends SIGTERM to the child we started; it touches no memory.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        if wait_with_limit(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The body of an HTTP response: everything after the first empty line.
fn body_of(raw: &[u8]) -> Vec<u8> {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase();
    if head.contains("\r\ntransfer-encoding: chunked") {
        // The same body, framed in chunks (wsgiref speaks HTTP/1.0 and closes instead).
        return common::dechunk(&raw[at + 4..]).0;
    }
    raw[at + 4..].to_vec()
}

/// The teaching apps: apps/*.py and apps/solutions/*.py. apps/mistakes/ is left out by rule:
/// those apps break PEP 3333 on purpose, and what a server does with a broken app (wsgiref
/// raises, wsgiscope names the rule) is not meant to be the same.
fn teaching_apps() -> Vec<PathBuf> {
    common::python_files_in(&["apps", "apps/solutions"])
}

/// The request an app's portability is checked with: `GET /`, or the target its
/// `# portable: GET /target` comment names (for an app whose `/` shows server details).
fn portable_target(app: &Path) -> String {
    let text = fs::read_to_string(app).expect("the app is readable");
    text.lines()
        .find_map(|l| l.strip_prefix("# portable: GET "))
        .map_or("/".to_string(), |t| t.trim().to_string())
}

/// Every teaching app that needs no third-party package sends the same body under
/// `wsgiref.simple_server` as under wsgiscope: WSGI is the contract, not the server.
#[test]
fn every_portable_app_gives_the_same_body_under_wsgiref() {
    let mut compared = 0;
    for app in teaching_apps() {
        if !third_party_imports(&app).is_empty() {
            continue;
        }
        let target = portable_target(&app);
        let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let ours = start_server(&[&app.display().to_string()]);
        let ours = body_of(&ours.send(request.as_bytes()));
        let theirs = PythonServer::wsgiref(&app);
        let theirs = body_of(&theirs.send(request.as_bytes()));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{} answers GET {target} differently under wsgiscope and wsgiref",
            app.display()
        );
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} apps were compared");
}

/// The rule that excludes an app reads its imports: the Flask app needs Flask, the others
/// need only the standard library and the modules beside them.
#[test]
fn the_flask_app_is_recognised_by_its_imports() {
    assert_eq!(
        third_party_imports(Path::new(&path("apps/flask_app.py"))),
        ["flask"]
    );
    assert!(third_party_imports(Path::new(&path("apps/hello.py"))).is_empty());
    assert!(third_party_imports(Path::new(&path("apps/middleware.py"))).is_empty());
}

/// Lesson 12's server, written in Python from the tutorial's outline, runs the hello app and
/// sends the same body as wsgiscope.
#[test]
fn the_lesson_12_python_server_serves_hello_world() {
    let server = PythonServer::start(&[
        &path("lessons/code/tutorial_server.py"),
        &path("apps/hello.py"),
        "--port",
        "0",
    ]);
    let raw = server.send(b"GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Type: text/plain\r\n"), "{text}");
    assert_eq!(body_of(&raw), b"hello world!");
}

/// Lesson 12's Python server serving `app` (a path in the crate), with extra arguments.
fn tutorial_server(app: &str, args: &[&str]) -> PythonServer {
    let server = path("lessons/code/tutorial_server.py");
    let app = path(app);
    let mut all = vec![server.as_str(), app.as_str(), "--port", "0"];
    all.extend_from_slice(args);
    PythonServer::start(&all)
}

/// Lesson 12's Python server traps every failure of apps/errors.py, as its docstring says: a
/// 500 with a sentence for each that comes before the headers, the body cut off by the close
/// for each that comes after (the page `/exc-info-late` asked for too late never goes out),
/// and after every one the next request is served.
#[test]
fn the_lesson_12_python_server_survives_every_failure_of_apps_errors() {
    let server = tutorial_server("apps/errors.py", &[]);
    let cases = [
        (
            "/raise",
            500,
            "RuntimeError: the app failed before start_response",
        ),
        ("/str", 500, "TypeError: the app sent str, not bytes"),
        ("/bytes", 500, "TypeError: the app sent int, not bytes"),
        ("/no-start", 500, "before it called start_response"),
        (
            "/exc-info",
            500,
            "the app caught its error and sent this page instead",
        ),
        ("/late", 200, "first chunk, then...\n"),
        ("/exc-info-late", 200, "first chunk, then...\n"),
    ];
    for (target, status, says) in cases {
        let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let reply = parse_reply(&server.send(request.as_bytes()));
        assert_eq!(reply.status, status, "{target}: {}", reply.text());
        assert!(reply.text().contains(says), "{target}: {}", reply.text());
        if status == 200 {
            // After the headers nothing more can be said: the body is what came before.
            assert_eq!(reply.text(), says, "{target}");
        }
        let index = parse_reply(&server.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        assert_eq!(index.status, 200, "after {target}: {}", index.text());
        assert!(index.text().contains("/exc-info-late"), "{}", index.text());
    }
}

/// What lesson 12's Python server cannot read it refuses with a status and a sentence, and
/// serves the next client: a Content-Length that is not a number or two different ones
/// (400), a chunked body it does not decode (411, not the chunk sizes read as the body), a
/// body shorter than announced (400), a request line that is not three words (400).
#[test]
fn the_lesson_12_python_server_refuses_what_it_cannot_read() {
    let server = tutorial_server("apps/echo.py", &[]);
    let cases: [(&[u8], u16, &str); 5] = [
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello",
            400,
            "the Content-Length 'abc' is not a number of bytes",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            400,
            "two different Content-Lengths",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            411,
            "does not decode Transfer-Encoding (chunked) request bodies",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
            400,
            "the body ended after 3 of its 10 bytes",
        ),
        (b"HELLO\r\n\r\n", 400, "the request line is not METHOD TARGET VERSION"),
    ];
    for (request, status, says) in cases {
        let mut conn = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.write_all(request).unwrap();
        // Our side is done: the short body ends here, as a client that closes would.
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let reply = parse_reply(&read_to_end(&mut conn));
        assert_eq!(reply.status, status, "{}", reply.text());
        assert!(reply.text().contains(says), "{}", reply.text());
        let echoed = server.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert_eq!(
            body_of(&echoed),
            b"hello",
            "the next request after a {status}"
        );
    }
}

/// Lesson 12's Python server joins a header sent twice into one environ value (", ", and
/// "; " for Cookie), drops a header name with "_", and sends no body for HEAD.
#[test]
fn the_lesson_12_python_server_joins_repeated_headers() {
    let server = tutorial_server("apps/environ.py", &[]);
    let raw = server.send(
        b"GET /?only=HTTP_COOKIE,HTTP_X_LESSON HTTP/1.1\r\nHost: x\r\nX-Lesson: one\r\n\
          Cookie: a=1\r\nX-Lesson: two\r\nCookie: b=2\r\nX_Lesson: smuggled\r\n\r\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&body_of(&raw)),
        "HTTP_COOKIE = 'a=1; b=2'\nHTTP_X_LESSON = 'one, two'\n"
    );
    let raw = server.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    let reply = parse_reply(&raw);
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&raw));
    assert!(
        reply.raw_body.is_empty(),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

/// Lesson 12's Python server has a timeout: a client that sent nothing is closed without an
/// answer, one that began a request gets a 408, and the next client is served.
#[test]
fn the_lesson_12_python_server_times_out_a_silent_client() {
    let server = tutorial_server("apps/hello.py", &["--timeout", "1"]);
    let mut silent = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let closed = read_to_end_within(&mut silent, Duration::from_secs(5));
    assert_eq!(
        closed,
        Ok(Vec::new()),
        "a silent client is closed, unanswered"
    );

    let mut halfway = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    halfway.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let answer = read_to_end_within(&mut halfway, Duration::from_secs(5))
        .unwrap_or_else(|got| panic!("no 408 within 5 s: {}", String::from_utf8_lossy(&got)));
    let reply = parse_reply(&answer);
    assert_eq!(reply.status, 408, "{}", reply.text());
    assert!(reply.text().contains("--timeout"), "{}", reply.text());

    let raw = server.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(body_of(&raw), b"hello world!");
}

/// A client that resets the connection in the middle of a long response costs lesson 12's
/// Python server that connection only: the next client is served.
#[test]
fn the_lesson_12_python_server_survives_a_reset_mid_response() {
    let server = tutorial_server("apps/stream.py", &[]);
    for _ in 0..2 {
        let mut conn = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.write_all(b"GET /?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut some = [0u8; 64];
        let n = conn.read(&mut some).unwrap();
        assert!(some[..n].starts_with(b"HTTP/1.1 200 OK"));
        // Closed with the rest of the response unread: the kernel answers with a reset.
        drop(conn);
    }
    let raw = server.send(b"GET /?n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(body_of(&raw), b"line 1 of 2\nline 2 of 2\n");
}

/// The lesson 11 solution's docstring says wsgiref's handler tells the app
/// `wsgi.multithread = False` even under ThreadingMixIn: checked, as the app sees it.
#[test]
fn the_lesson_11_threading_server_says_multithread_false() {
    let server = PythonServer::start(&[
        &path("lessons/code/threading_server.py"),
        &path("apps/environ.py"),
        "--port",
        "0",
    ]);
    let raw = server.send(b"GET /?only=wsgi.multithread HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(body_of(&raw), b"wsgi.multithread = False\n");
}

/// Lesson 11's threading server answers a second client while a first one stalls: the
/// exercise's point, tested.
#[test]
fn the_lesson_11_threading_server_serves_past_a_stalled_client() {
    let server = PythonServer::start(&[
        &path("lessons/code/threading_server.py"),
        &path("apps/slow.py"),
        "--port",
        "0",
    ]);
    let mut stalled = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let raw = server.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(body_of(&raw), b"slept 0.0 seconds\n");
}

// ---- The command line: `wsgiscope lessons`, `wsgiscope lesson N` ----

/// `wsgiscope lessons` lists every lesson, its number and title, one per line.
#[test]
fn lessons_command_lists_every_lesson_by_number_and_title() {
    let out = Command::new(program())
        .arg("lessons")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("wsgiscope runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for lesson in all_lessons() {
        let line = format!("{:>2}  {}", lesson.number, lesson.title);
        assert!(text.contains(&line), "no line {line:?} in:\n{text}");
    }
    assert!(text.contains(" 1  HTTP by hand"), "{text}");
}

/// From another folder, the lessons are found next to the source the binary was built from
/// (or, for the Python package, where it installed them).
#[test]
fn lessons_command_finds_the_lessons_from_any_folder() {
    let out = Command::new(program())
        .arg("lessons")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("wsgiscope runs");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("HTTP by hand"));
}

/// `wsgiscope lesson 1 --no-tui` serves lesson 1's app, the tutorial's hello world, and
/// prints the lesson's steps once at start.
#[test]
fn lesson_1_serves_hello_world_and_prints_its_steps() {
    let server = start_server_with(&["lesson", "1"], &[]);
    let reply = assert_reply(&server.get("/"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
    let banner = server.stderr();
    assert!(banner.contains("Lesson 1: HTTP by hand"), "{banner}");
    assert!(banner.contains("== What you will learn =="), "{banner}");
}

/// Options after `lesson N` still apply, and the lesson's own arguments come first, so a
/// lesson with `--script-name` keeps it.
#[test]
fn lesson_3_starts_its_app_with_the_lessons_arguments() {
    let lesson = all_lessons()
        .into_iter()
        .find(|l| l.number == 3)
        .expect("lesson 3");
    let args = lesson.app().expect("an app line");
    let mount = args
        .iter()
        .position(|a| a == "--script-name")
        .map(|i| args[i + 1].clone());
    let server = start_server(&["lesson", "3"]);
    // A path below the mount point: one outside it gets an empty SCRIPT_NAME.
    let target = format!("{}/hello?x=1", mount.as_deref().unwrap_or(""));
    let raw = server.get(&target);
    assert_reply(&raw, 200, &[]);
    let record = server.next_record();
    if let Some(mount) = mount {
        assert_eq!(
            environ(&record, "SCRIPT_NAME"),
            Some(&*format!("'{mount}'"))
        );
        assert_eq!(environ(&record, "PATH_INFO"), Some("'/hello'"));
    }
}

/// A lesson that does not exist is a start-up error with a clear message and exit code 2.
#[test]
fn lesson_99_exits_2_and_says_which_lessons_exist() {
    let (status, stderr) = run_to_exit(&["lesson", "99", "--no-tui", "--port", "0"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("there is no lesson 99"), "{stderr}");
    assert!(stderr.contains("wsgiscope lessons"), "{stderr}");
    let (status, stderr) = run_to_exit(&["lesson", "--no-tui"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("lesson NUMBER"), "{stderr}");
}

/// `lessons` and `lesson` are words only as the whole APP argument: a path, or a module with
/// a callable, still names an app (here the tutorial's, served by file path as always).
#[test]
fn an_app_path_is_still_an_app() {
    let server = start_server(&[&path("apps/hello.py")]);
    assert_eq!(
        assert_reply(&server.get("/"), 200, &[]).text(),
        "hello world!"
    );
}

// ---- Lesson 19: what the lesson says of apps/corners.py beyond its transcripts ----

/// `/errors` writes its three lines to wsgi.errors, where the log shows them; `/input`'s
/// environ shows wsgi.input as built, before the app read it; `/long` and `/short` have the
/// `content-length-mismatch` finding, and `HEAD /head` no `body-on-head` note.
#[test]
fn lesson_19_corners_logs_counts_and_flags_as_the_lesson_says() {
    let server = start_server(&[&path("apps/corners.py")]);
    server.get("/errors");
    let record = server.next_record();
    let logged: Vec<&str> = record["output"]
        .as_array()
        .expect("a list of lines")
        .iter()
        .filter(|line| line["stream"] == "wsgi.errors")
        .filter_map(|line| line["text"].as_str())
        .collect();
    assert_eq!(
        logged,
        [
            "one line with write()",
            "two lines with writelines()",
            "the second one"
        ]
    );

    server.send(b"POST /input HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nab\r\ncd\r\nef\r\n");
    let record = server.next_record();
    assert_eq!(
        environ(&record, "wsgi.input"),
        Some("<wsgiscope.WsgiInput 12 bytes, 0 read>")
    );

    for target in ["/long", "/short"] {
        server.get(target);
        assert_check(&server.next_record(), "content-length-mismatch");
    }
    server.send(b"HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(server.next_record()["checks"], serde_json::json!([]));
}

/// Lesson 19's comparison: wsgiref's own server gives demo_app the same required keys as
/// wsgiscope, and more besides: GATEWAY_INTERFACE, an empty CONTENT_LENGTH, a default
/// CONTENT_TYPE for a GET without a body, and the process's own environment (PATH).
#[test]
fn lesson_19_wsgiref_gives_demo_app_more_keys_than_the_pep_requires() {
    let server = PythonServer::start(&[
        "-c",
        "from wsgiref.simple_server import make_server, demo_app\n\
         server = make_server('127.0.0.1', 0, demo_app)\n\
         print('port %d' % server.server_port, flush=True)\n\
         server.serve_forever()",
    ]);
    let text = String::from_utf8_lossy(&body_of(
        &server.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ))
    .into_owned();
    for line in [
        "REQUEST_METHOD = 'GET'",
        "SERVER_PROTOCOL = 'HTTP/1.1'",
        "wsgi.run_once = False",
        "GATEWAY_INTERFACE = 'CGI/1.1'",
        "CONTENT_LENGTH = ''",
        "CONTENT_TYPE = 'text/plain'",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("PATH = ")), "{text}");
}

// ---- Lesson 18: what the lesson says of nginx beyond its transcripts ----

/// A client that closes its sending side after the request (as `wsgiscope telnet < file`
/// does) gets no answer through nginx: nginx takes it for a client that left, and its access
/// log says 499. The same request typed (the connection left open) is answered.
#[test]
fn lesson_18_nginx_drops_a_request_whose_client_half_closed() {
    let server = start_server(&[&path("apps/hello.py")]);
    let nginx = Nginx::start("lessons/code/nginx.conf", server.addr);
    let request = b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";

    let mut piped = TcpStream::connect(nginx.addr).expect("nginx accepts");
    piped.set_read_timeout(Some(PATIENCE)).unwrap();
    piped.write_all(request).unwrap();
    piped.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(
        read_to_end(&mut piped),
        b"",
        "nginx answered a half-closed client"
    );

    let mut typed = TcpStream::connect(nginx.addr).expect("nginx accepts");
    typed.set_read_timeout(Some(PATIENCE)).unwrap();
    typed.write_all(request).unwrap();
    let reply = parse_reply(&read_to_end(&mut typed));
    assert_eq!(reply.text(), "hello world!");

    // nginx writes its access line when the request ends: both are there by now.
    let log = fs::read_to_string(nginx.dir.join("access.log")).expect("nginx's access log");
    let statuses: Vec<&str> = log
        .lines()
        .filter_map(|line| line.split("\" ").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert_eq!(statuses, ["499", "200"], "{log}");
}

/// nginx's proxy buffering holds a slow stream back until its end, as lesson 18 measures:
/// three lines half a second apart arrive together, after a second, not one by one.
#[test]
fn lesson_18_nginx_buffers_a_slow_stream_until_its_end() {
    let server = start_server(&[&path("apps/stream.py")]);
    let nginx = Nginx::start("lessons/code/nginx.conf", server.addr);
    let mut conn = TcpStream::connect(nginx.addr).expect("nginx accepts");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let asked = std::time::Instant::now();
    conn.write_all(b"GET /?n=3&delay=0.5 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1];
    conn.read_exact(&mut first).expect("a response");
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "the first byte came after {waited:?}: nginx did not buffer"
    );
    let mut rest = first.to_vec();
    rest.extend(read_to_end(&mut conn));
    let reply = parse_reply(&rest);
    assert_eq!(reply.text(), "line 1 of 3\nline 2 of 3\nline 3 of 3\n");
}
