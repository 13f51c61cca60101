//! The course, kept true: every lesson in lessons/ is replayed against the real server (and,
//! where lesson 18 puts one in front of it, through a real nginx; or, for lessons 14 and 15,
//! against the Python server the lesson shows), every teaching app gives the same body under
//! the standard library's wsgiref, the course's own Python servers in lessons/code/ (lesson
//! 12's, lesson 14's stages, the threading and forking servers of lessons 11 and 15) do what
//! their docstrings and exercises say, and the `lessons` and `lesson N` commands do what the
//! lessons say.
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

/// The server a transcript's app line starts: wsgiscope, or one of the course's own Python
/// servers in lessons/code/ (lessons 14 and 15 show what those answer).
enum LessonServer {
    Wsgiscope(Server),
    Python(PythonServer),
}

impl LessonServer {
    /// Where it listens.
    fn addr(&self) -> SocketAddr {
        match self {
            LessonServer::Wsgiscope(server) => server.addr,
            LessonServer::Python(server) => SocketAddr::from(([127, 0, 0, 1], server.port)),
        }
    }
}

/// Whether an app line names one of the course's Python servers rather than an app for
/// wsgiscope: `lessons/code/stage2_wsgi.py apps/hello.py`.
fn is_python_server(app: &[String]) -> bool {
    app.first()
        .is_some_and(|first| first.starts_with("lessons/code/") && first.ends_with(".py"))
}

/// Start the server for a transcript. An app line that begins with a Python server of
/// lessons/code/ runs that server on a free port, with the test virtualenv's Python when its
/// app needs a third-party package; any other runs wsgiscope (see [`start_wsgiscope_for`]).
fn start_for(app: &[String]) -> LessonServer {
    if !is_python_server(app) {
        return LessonServer::Wsgiscope(start_wsgiscope_for(app));
    }
    let words: Vec<&str> = app.iter().map(String::as_str).collect();
    LessonServer::Python(course_server(&words))
}

/// One of the course's Python servers, `lessons/code/SERVER.py APP [ARGS]` (paths relative
/// to the project), on a free port; with the test virtualenv's Python when the app needs a
/// third-party package (Flask, Django), with `python3` otherwise.
fn course_server(words: &[&str]) -> PythonServer {
    let mut args: Vec<String> = words.iter().map(|w| resolve(w)).collect();
    args.extend(["--port".to_string(), "0".to_string()]);
    let needs_venv = words
        .get(1)
        .map(|file| Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .is_some_and(|file| file.is_file() && !third_party_imports(&file).is_empty());
    let python = if needs_venv {
        test_venv().join("bin/python").display().to_string()
    } else {
        "python3".to_string()
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    PythonServer::start_with(&python, &args)
}

/// A word of an app line made absolute when it names a file of the project.
fn resolve(word: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(word);
    if file.exists() {
        file.display().to_string()
    } else {
        word.to_string()
    }
}

/// Start wsgiscope for a transcript: its app path made absolute, and, for an app that needs
/// a third-party package, the test virtualenv (which has Flask and Django).
fn start_wsgiscope_for(app: &[String]) -> Server {
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

/// Send a transcript's request to `to` (the lesson's server, or the nginx in front of it),
/// part by part: after each `<pause>`, wait until the server has answered something (at most
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
                .map(|config| Nginx::start(config, server.addr()));
            let got = replay(
                nginx.as_ref().map_or(server.addr(), |n| n.addr),
                &transcript,
            );
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

/// The course has its lessons (at least fifteen: lesson 15 is concurrency) numbered from 1
/// without a gap, each with an app line and at least one tested transcript: an untested lesson would
/// drift.
#[test]
fn every_lesson_has_an_app_and_a_tested_transcript() {
    let lessons = all_lessons();
    let numbers: Vec<u32> = lessons.iter().map(|l| l.number).collect();
    assert!(lessons.len() >= 15, "only {} lessons", lessons.len());
    assert_eq!(numbers, (1..=lessons.len() as u32).collect::<Vec<_>>());
    for lesson in &lessons {
        let app = lesson.app();
        assert!(app.is_some(), "{} has no app line", lesson.path.display());
        assert!(
            !app.as_deref().is_some_and(is_python_server),
            "{}: the first app line is what `wsgiscope lesson N` serves, so it names an app",
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
        PythonServer::start_with("python3", args)
    }

    /// The same, with another interpreter (the test virtualenv's, for Flask and Django).
    fn start_with(python: &str, args: &[&str]) -> PythonServer {
        // Its log (access lines, the app's wsgi.errors) goes to a file, not into the test
        // run's output; a server that fails to start says why from there.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = common::scratch(&format!("python-server-{n}"));
        let mut child = Command::new(python)
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
                panic!("{python} {args:?} said {line:?}, not its port; its stderr:\n{said}")
            });
        PythonServer { child, port }
    }

    /// The wsgiref server of tests/apps/wsgiref_runner.py, serving `app`.
    fn wsgiref(app: &Path) -> PythonServer {
        let app = app.display().to_string();
        PythonServer::start(&[&path("tests/apps/wsgiref_runner.py"), &app])
    }

    fn connect(&self) -> TcpStream {
        let conn = TcpStream::connect(("127.0.0.1", self.port)).expect("the server listens");
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn
    }

    fn send(&self, request: &[u8]) -> Vec<u8> {
        let mut conn = self.connect();
        conn.write_all(request).unwrap();
        read_to_end(&mut conn)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        stop_child(&mut self.child, libc::SIGTERM);
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
    assert_survives_every_failure_of_apps_errors(&tutorial_server("apps/errors.py", &[]));
}

/// Lesson 14's exercise, stage 6, does the same with a few lines added to stage 5.
#[test]
fn the_lesson_14_stage_6_survives_every_failure_of_apps_errors() {
    assert_survives_every_failure_of_apps_errors(&course_server(&[
        "lessons/code/stage6_errors.py",
        "apps/errors.py",
    ]));
}

/// What each failure of apps/errors.py gets from a server that traps errors, and that the
/// next request is served after each.
fn assert_survives_every_failure_of_apps_errors(server: &PythonServer) {
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
    assert_survives_a_reset_mid_response(&tutorial_server("apps/stream.py", &[]));
}

/// So does lesson 14's stage 6, as its exercise asks.
#[test]
fn the_lesson_14_stage_6_survives_a_reset_mid_response() {
    assert_survives_a_reset_mid_response(&course_server(&[
        "lessons/code/stage6_errors.py",
        "apps/stream.py",
    ]));
}

/// Two clients that reset the connection mid-response to apps/stream.py, then one served.
fn assert_survives_a_reset_mid_response(server: &PythonServer) {
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

// ---- Lesson 14: the server grown in stages; lesson 15: threads and processes ----

/// The stages of lesson 14 that run WSGI apps, in order; the last, stage 7, is lesson 12's
/// finished server.
const STAGES: [&str; 6] = [
    "lessons/code/stage2_wsgi.py",
    "lessons/code/stage3_headers.py",
    "lessons/code/stage4_body.py",
    "lessons/code/stage5_late_headers.py",
    "lessons/code/stage6_errors.py",
    "lessons/code/tutorial_server.py",
];

/// `GET target` with a Host header, as every stage is asked.
fn get_from(server: &PythonServer, target: &str) -> Reply {
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    parse_reply(&server.send(request.as_bytes()))
}

/// A POST of `body` to `target`, with a Content-Length.
fn post_to(server: &PythonServer, target: &str, content_type: &str, body: &str) -> Reply {
    let request = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    parse_reply(&server.send(request.as_bytes()))
}

/// Every WSGI stage of lesson 14, from the tutorial's part 2 on, serves the tutorial's hello
/// world, the Flask app and the Django project (each from the test virtualenv), twice each,
/// so that the loop went round.
#[test]
fn every_lesson_14_stage_serves_hello_flask_and_django() {
    for stage in STAGES {
        let hello = course_server(&[stage, "apps/hello.py"]);
        let flask = course_server(&[stage, "apps/flask_app.py"]);
        let django = course_server(&[stage, "apps/django_site/wsgi.py"]);
        for _ in 0..2 {
            let reply = get_from(&hello, "/");
            assert_eq!(
                (reply.status, reply.text()),
                (200, "hello world!".into()),
                "{stage}"
            );
            for (framework, server) in [("Flask", &flask), ("Django", &django)] {
                let reply = get_from(server, "/hello/class");
                assert_eq!(reply.status, 200, "{stage}, {framework}: {}", reply.text());
                assert_eq!(reply.text(), "Hello, class!\n", "{stage}, {framework}");
                assert_eq!(
                    reply.header("Content-Type").as_deref(),
                    Some("text/html; charset=utf-8"),
                    "{stage}, {framework}"
                );
                let reply = get_from(server, "/nowhere");
                assert_eq!(reply.status, 404, "{stage}, {framework}: {}", reply.text());
            }
        }
    }
}

/// Stage 2 puts the whole target in PATH_INFO and no header in the environ; from stage 3 on,
/// the query is apart, PATH_INFO percent-decoded as latin-1, and each header an HTTP_ key.
#[test]
fn lesson_14_stage_3_adds_the_query_and_the_headers_to_the_environ() {
    let request: &[u8] = b"GET /caf%C3%A9?only=PATH_INFO,QUERY_STRING,HTTP_X_LESSON HTTP/1.1\r\n\
                           Host: localhost\r\nX-Lesson: fourteen\r\n\r\n";
    let stage2 = course_server(&[STAGES[0], "apps/environ.py"]);
    let text = String::from_utf8_lossy(&body_of(&stage2.send(request))).to_string();
    assert!(
        text.contains("PATH_INFO = '/caf%C3%A9?only=PATH_INFO,QUERY_STRING,HTTP_X_LESSON'\n"),
        "{text}"
    );
    assert!(!text.contains("\nHTTP_"), "{text}");
    for stage in &STAGES[1..] {
        let server = course_server(&[stage, "apps/environ.py"]);
        assert_eq!(
            String::from_utf8_lossy(&body_of(&server.send(request))),
            "HTTP_X_LESSON = 'fourteen'\nPATH_INFO = '/cafÃ©'\n\
             QUERY_STRING = 'only=PATH_INFO,QUERY_STRING,HTTP_X_LESSON'\n",
            "{stage}"
        );
    }
}

/// Lesson 14's telnet experiment: stages 1 and 2 take one recv() for the request, so a
/// request line typed alone is answered at once; from stage 3 on, the server reads until the
/// empty line, says nothing meanwhile, and then answers the whole request.
#[test]
fn lesson_14_stages_1_and_2_answer_the_first_line_and_stage_3_waits_for_the_head() {
    let typed = |server: &PythonServer| {
        let mut conn = server.connect();
        conn.set_nodelay(true).unwrap();
        conn.write_all(b"GET /?only=HTTP_HOST HTTP/1.1\r\n")
            .unwrap();
        conn
    };
    let stage1 = course_server(&["lessons/code/stage1_socket.py"]);
    let answer = read_to_end(&mut typed(&stage1));
    assert_eq!(body_of(&answer), b"Hello, World!\n");
    let stage2 = course_server(&[STAGES[0], "apps/environ.py"]);
    let answer = read_to_end(&mut typed(&stage2));
    assert!(body_of(&answer).starts_with(b"PATH_INFO = '/?only=HTTP_HOST'\n"));

    for stage in &STAGES[1..] {
        let server = course_server(&[stage, "apps/environ.py"]);
        let mut conn = typed(&server);
        assert_eq!(
            read_to_end_within(&mut conn, Duration::from_millis(300)),
            Err(Vec::new()),
            "{stage} answered before the head was complete"
        );
        conn.write_all(b"Host: typed\r\n\r\n").unwrap();
        assert_eq!(
            body_of(&read_to_end(&mut conn)),
            b"HTTP_HOST = 'typed'\n",
            "{stage}"
        );
    }
}

/// From stage 4 on, the body reaches the app: the course's form, Flask's JSON echo and the
/// Django project's echo read it from wsgi.input.
#[test]
fn lesson_14_stage_4_hands_the_body_to_the_app() {
    for stage in &STAGES[2..] {
        let form = course_server(&[stage, "apps/form.py"]);
        let reply = post_to(
            &form,
            "/",
            "application/x-www-form-urlencoded",
            "name=Ada&lang=Python",
        );
        assert_eq!(reply.text(), "Hello, Ada! You like Python.\n", "{stage}");
        let flask = course_server(&[stage, "apps/flask_app.py"]);
        let reply = post_to(&flask, "/api/echo", "application/json", "{\"a\": 1}");
        assert_eq!(reply.text(), "{\"received\":{\"a\":1}}\n", "{stage}");
        let django = course_server(&[stage, "apps/django_site/wsgi.py"]);
        let reply = post_to(&django, "/echo", "text/plain", "hello, Django");
        assert_eq!(reply.text(), "hello, Django", "{stage}");
    }
}

/// From stage 5 on, write() works, and the headers and each chunk go out as the app yields
/// them: the first line of a stream arrives while the app still sleeps before the second.
#[test]
fn lesson_14_stage_5_sends_write_and_streams_each_chunk() {
    for stage in &STAGES[3..] {
        let server = course_server(&[stage, "apps/write_callable.py"]);
        assert_eq!(
            get_from(&server, "/").text(),
            "1. sent with write(), the old way\n\
             2. returned in a list, the way PEP 3333 recommends\n",
            "{stage}"
        );
        let server = course_server(&[stage, "apps/stream.py"]);
        let mut conn = server.connect();
        // The second line comes 60 s after the first: longer than PATIENCE, so only a
        // server that sent the first one at once passes.
        conn.write_all(b"GET /?n=2&delay=60 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let got = read_until(&mut conn, b"line 1 of 2\n");
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{stage}");
    }
}

/// Lesson 12's exercise, second half: lessons/code/sized_server.py adds a Content-Length to
/// a one-chunk list, and only there: a generator's body still ends with the close, and a
/// length the app set is not sent twice.
#[test]
fn the_lesson_12_sized_server_counts_a_one_chunk_body() {
    let server = course_server(&["lessons/code/sized_server.py", "apps/framing.py"]);
    for _ in 0..2 {
        let reply = get_from(&server, "/joined");
        assert_eq!(reply.header("Content-Length").as_deref(), Some("34"));
        assert_eq!(reply.text(), "first chunk\nsecond\nthird and last\n");
    }
    let reply = get_from(&server, "/sized");
    assert_eq!(
        reply.head.matches("Content-Length").count(),
        1,
        "{}",
        reply.head
    );
    let reply = get_from(&server, "/chunks");
    assert_eq!(reply.header("Content-Length"), None, "{}", reply.head);
    assert_eq!(reply.text(), "first chunk\nsecond\nthird and last\n");
    let hello = course_server(&["lessons/code/sized_server.py", "apps/hello.py"]);
    assert_eq!(
        get_from(&hello, "/").header("Content-Length").as_deref(),
        Some("12")
    );
}

/// The forking server of lesson 15 answers a second client while a first one stalls, tells
/// the app `wsgi.multiprocess = True` and `wsgi.multithread = False`, and every child
/// counts on its own copy of the counter, which dies with it, lock or no lock.
#[test]
fn the_lesson_15_forking_server_serves_each_client_in_its_own_process() {
    let server = course_server(&["lessons/code/forking_server.py", "apps/environ.py"]);
    let mut stalled = server.connect();
    stalled.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let flags = get_from(&server, "/?only=wsgi.multiprocess,wsgi.multithread").text();
    assert_eq!(
        flags,
        "wsgi.multiprocess = True\nwsgi.multithread = False\n"
    );

    // Lesson 2's counter, and lesson 15's locked one: a lock in one process's memory does
    // not reach the others.
    for app in [
        "apps/solutions/lesson02_counter.py",
        "apps/solutions/lesson15_locked_counter.py",
    ] {
        let counter = course_server(&["lessons/code/forking_server.py", app]);
        for _ in 0..3 {
            assert_eq!(
                get_from(&counter, "/").text(),
                "request number 1 since the server started\n",
                "{app}"
            );
        }
    }
}

/// Lesson 15's table: under the threading and the forking server a slow app holds up nobody.
/// A request the app sleeps 12 s on is still running when a quick one is answered within
/// PATIENCE (10 s): a server that served them in turn could not answer it in time.
#[test]
fn the_lesson_15_thread_and_process_servers_answer_past_a_slow_app() {
    for server in [
        "lessons/code/threading_server.py",
        "lessons/code/forking_server.py",
    ] {
        let server = course_server(&[server, "apps/slow.py"]);
        let mut slow = server.connect();
        slow.write_all(b"GET /?seconds=12 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let quick =
            String::from_utf8_lossy(&body_of(&server.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")))
                .to_string();
        assert_eq!(quick, "slept 0.0 seconds\n");
    }
}

/// The processes whose parent is `pid`, read from /proc: (pid, state), `Z` for a zombie.
fn children_of(pid: u32) -> Vec<(u32, char)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc is readable").flatten() {
        let Ok(status) = fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        if field("PPid:") == pid.to_string() {
            let state = field("State:").chars().next().unwrap_or('?');
            found.push((field("Pid:").parse().unwrap_or(0), state));
        }
    }
    found
}

/// The forking server reaps its children: after ten requests, every child is collected
/// (none stays a zombie in the process table), which its SIGCHLD handler does.
#[test]
fn the_lesson_15_forking_server_leaves_no_zombies() {
    let server = course_server(&["lessons/code/forking_server.py", "apps/hello.py"]);
    for _ in 0..10 {
        assert_eq!(get_from(&server, "/").text(), "hello world!");
    }
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let children = children_of(server.child.id());
        if children.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "children not reaped after {PATIENCE:?}: {children:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// And without its SIGCHLD handler (lesson 15's experiment: the `signal.signal` line taken
/// out), every child it served stays in the process table as a zombie, state `Z`.
#[test]
fn the_lesson_15_forking_server_without_its_handler_leaves_zombies() {
    let code = format!(
        "import sys; sys.path.insert(0, {folder:?}); import forking_server as f; \
         f.signal.signal = lambda *args: None; f.main(f.ForkingWSGIServer)",
        folder = path("lessons/code")
    );
    let server = PythonServer::start(&["-c", &code, &path("apps/hello.py"), "--port", "0"]);
    for _ in 0..3 {
        assert_eq!(get_from(&server, "/").text(), "hello world!");
    }
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let children = children_of(server.child.id());
        if children.len() == 3 && children.iter().all(|(_, state)| *state == 'Z') {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not three zombies after {PATIENCE:?}: {children:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `rounds` rounds of `clients` requests for `/` sent at once to `addr`, each on a connection
/// and a thread of its own; the count each response says, and how many requests were sent.
fn count_at_once(addr: SocketAddr, clients: usize, rounds: usize) -> (Vec<u32>, u32) {
    let ask = move || {
        let mut conn = TcpStream::connect(addr).expect("the server listens");
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // wsgiref answers in HTTP/1.0: only the body is read here.
        let text = String::from_utf8_lossy(&body_of(&read_to_end(&mut conn))).to_string();
        text.strip_prefix("request number ")
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("not a count: {text:?}"))
    };
    let mut numbers = Vec::new();
    for _ in 0..rounds {
        let threads: Vec<_> = (0..clients).map(|_| std::thread::spawn(ask)).collect();
        numbers.extend(
            threads
                .into_iter()
                .map(|t| t.join().expect("a client thread")),
        );
    }
    (numbers, (clients * rounds) as u32)
}

impl PythonServer {
    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

/// Lesson 15: under the threading server, apps/racy_counter.py loses counts (two requests
/// read the same count and both write it back plus one), and the locked solution loses none:
/// every number from 1 to the number of requests is given once.
#[test]
fn the_lesson_15_racy_counter_loses_counts_under_threads_and_the_lock_fixes_it() {
    let racy = course_server(&["lessons/code/threading_server.py", "apps/racy_counter.py"]);
    let (numbers, sent) = count_at_once(racy.addr(), 10, 3);
    let highest = numbers.iter().copied().max().unwrap_or(0);
    assert!(
        highest < sent,
        "the racy counter lost nothing over {sent} requests: {numbers:?}"
    );

    let locked = course_server(&[
        "lessons/code/threading_server.py",
        "apps/solutions/lesson15_locked_counter.py",
    ]);
    // The exercise's own words: twenty requests at once give each number from 1 to 20 once.
    let (mut numbers, sent) = count_at_once(locked.addr(), 20, 1);
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=sent).collect::<Vec<_>>());
}

/// The same racy counter under wsgiscope, which calls the app for one request at a time
/// (`wsgi.multithread = False`), loses nothing.
#[test]
fn the_racy_counter_loses_nothing_under_wsgiscope() {
    let server = start_server(&[&path("apps/racy_counter.py")]);
    let (mut numbers, sent) = count_at_once(server.addr, 10, 2);
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=sent).collect::<Vec<_>>());
}

/// How many connections wait in the accept queue of the socket listening on `port`: the
/// `rx_queue` that /proc/net/tcp gives a listening socket (what `ss -ltn` shows as Recv-Q).
fn accept_queue(port: u16) -> usize {
    let table = fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp is readable");
    let local = format!(":{port:04X}");
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // local_address, rem_address, st (0A is LISTEN), tx_queue:rx_queue
        if fields.len() > 4 && fields[1].ends_with(&local) && fields[3] == "0A" {
            let rx = fields[4].split(':').nth(1).unwrap_or_default();
            return usize::from_str_radix(rx, 16).expect("rx_queue is hexadecimal");
        }
    }
    panic!("nothing listens on port {port} in /proc/net/tcp")
}

/// Wait until `count` connections wait in the accept queue of `port`.
fn wait_for_accept_queue(port: u16, count: usize) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while accept_queue(port) != count {
        assert!(
            std::time::Instant::now() < deadline,
            "the accept queue of port {port} holds {}, not {count}",
            accept_queue(port)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Lesson 15's listen backlog, as Linux keeps it. With `--one-at-a-time`, while the loop
/// waits for a client that typed one line, the kernel completes the handshake of new clients
/// by itself and queues them, 128 (wsgiscope's backlog) plus one; the next client's SYN is
/// dropped, so its connect() does not complete (it would retry after a second). Once the
/// typing client ends its request, every queued client is accepted and answered, the bytes
/// it sent while queued intact.
#[test]
fn lesson_15_the_backlog_queues_128_clients_and_one_more_then_a_connect_waits() {
    let server = start_server(&["--one-at-a-time", "--timeout", "30", &path("apps/hello.py")]);
    let port = server.addr.port();
    let mut typing = server.connect();
    typing.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    // Its connect() returned, so it is queued or accepted: wait until it is accepted.
    wait_for_accept_queue(port, 0);
    let queued: Vec<TcpStream> = (0..129)
        .map(|_| {
            let mut conn = server.connect();
            conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            conn
        })
        .collect();
    wait_for_accept_queue(port, 129);
    let late = TcpStream::connect_timeout(&server.addr, Duration::from_millis(500));
    assert!(
        late.is_err(),
        "a connection beyond the backlog was completed"
    );
    typing.write_all(b"Host: x\r\n\r\n").unwrap();
    assert_eq!(
        parse_reply(&read_to_end(&mut typing)).text(),
        "hello world!"
    );
    for mut conn in queued {
        assert_eq!(parse_reply(&read_to_end(&mut conn)).text(), "hello world!");
    }
    wait_for_accept_queue(port, 0);
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
    let record = server.next_typed();
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
    let record = server.next_typed();
    let logged: Vec<&str> = record
        .output
        .iter()
        .filter(|line| line.stream == "wsgi.errors")
        .map(|line| line.text.as_str())
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
    let record = server.next_typed();
    assert_eq!(
        environ(&record, "wsgi.input"),
        Some("<wsgiscope.WsgiInput 12 bytes, 0 read>")
    );

    for target in ["/long", "/short"] {
        server.get(target);
        assert_check(&server.next_typed(), "content-length-mismatch");
    }
    server.send(b"HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(server.next_typed().checks, []);
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
/// does) gets no answer through nginx when nginx sees the close before the app has answered:
/// nginx takes it for a client that left, and its access log says 499. The app here sleeps a
/// second, so nginx always sees the close first; with a fast app it is a race (which is what
/// the lesson says, and why this test does not use `apps/hello.py`). The same request typed
/// (the connection left open) is answered.
#[test]
fn lesson_18_nginx_drops_a_request_whose_client_half_closed() {
    let server = start_server(&[&path("apps/slow.py")]);
    let nginx = Nginx::start("lessons/code/nginx.conf", server.addr);
    let request = b"GET /?seconds=1 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";

    let mut piped = TcpStream::connect(nginx.addr).expect("nginx accepts");
    piped.set_read_timeout(Some(PATIENCE)).unwrap();
    piped.write_all(request).unwrap();
    piped.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read_to_end(&mut piped)),
        "",
        "nginx answered a client that half-closed while the app slept"
    );

    let mut typed = TcpStream::connect(nginx.addr).expect("nginx accepts");
    typed.set_read_timeout(Some(PATIENCE)).unwrap();
    typed.write_all(request).unwrap();
    let reply = parse_reply(&read_to_end(&mut typed));
    assert_eq!(reply.text(), "slept 1.0 seconds\n");

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
