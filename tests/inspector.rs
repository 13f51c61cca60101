//! The inspector, end to end: the real binary in a real terminal (tmux), a real client over
//! TCP, and the screen read back with `tmux capture-pane`.
//!
//! Each test runs in its own tmux server (`-L`, named after the test and the pid), which is
//! killed when the test ends, pass or fail. The command runs inside a shell that, once
//! wsgiscope exits, prints its exit code and the terminal's `icanon` setting: raw mode turns
//! `icanon` off, so seeing `icanon` (not `-icanon`) proves the terminal was given back.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;

use common::tmux::{PATIENCE, Session};

/// Send a request; return the response, or `None` if none came within `wait`.
fn send(port: u16, request: &[u8]) -> TcpStream {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("the server listens");
    conn.write_all(request).expect("the request goes out");
    conn
}

fn response_within(conn: &mut TcpStream, wait: Duration) -> Option<String> {
    conn.set_read_timeout(Some(wait))
        .expect("a timeout is valid");
    let mut out = Vec::new();
    match conn.read_to_end(&mut out) {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
        }
        Err(e) => panic!("reading the response failed: {e}"),
    }
}

/// A one-file app in a folder of its own under the temp dir (kept: the folder is named after
/// the test and the pid, and tmp is cleaned by the system).
fn temp_app(name: &str, source: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wsgiscope-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temp dir is writable");
    let app = dir.join(format!("{name}.py"));
    std::fs::write(&app, source).expect("the app is written");
    app
}

const GET: &[u8] = b"GET /seen-by-the-inspector?x=1 HTTP/1.1\r\nHost: test\r\n\r\n";

/// The inspector opens on a terminal, shows a request served over TCP, and `q` quits: the
/// process exits 0 and the terminal is back in cooked mode on the normal screen.
#[test]
fn the_inspector_shows_a_request_and_q_restores_the_terminal() {
    let tmux = Session::start("e2e", "--port 0 apps/hello.py");
    let port = tmux.port();
    // The start-up banner is in the log too, not only behind the inspector's screen.
    tmux.wait_for("a WSGI server for learning, not for production");
    let mut conn = send(port, GET);
    let response = response_within(&mut conn, PATIENCE).expect("a response");
    assert!(response.ends_with("hello world!"), "{response}");
    // The row shows the path as soon as the request line is in, its status and size once the
    // record arrives (after the client has its response): wait for the finished row.
    tmux.wait_for("/seen-by-the-inspector?x=1");
    let screen = tmux.wait_for("200 12");
    assert!(
        screen.contains("GET /seen-by-the-inspector?x=1 HTTP/1.1\\r\\n"),
        "{screen}"
    );
    tmux.keys("2");
    tmux.wait_for("QUERY_STRING = 'x=1'");
    tmux.quit_cleanly();
}

/// In step mode the server answers only when the class has pressed Space before each of the
/// four phases; `r` runs the rest of a request; quitting while paused lets the server go.
#[test]
fn step_mode_holds_the_response_until_each_phase_is_advanced() {
    let tmux = Session::start("step", "--step --port 0 apps/hello.py");
    let port = tmux.port();
    let mut conn = send(port, GET);
    // Before parse_request the server waits for the class, not for the client: the whole
    // request is there.
    let screen = tmux.wait_for("paused before parse_request; Space parses the bytes");
    assert!(
        !screen.contains("blank line that ends the headers"),
        "{screen}"
    );
    for phase in [
        "parse_request(",
        "get_environ(",
        "application(",
        "finish_response(",
    ] {
        tmux.wait_for(&format!("Next: {phase}"));
        assert_eq!(
            response_within(&mut conn, Duration::from_millis(300)),
            None,
            "the server answered before {phase} was advanced"
        );
        tmux.keys("Space");
    }
    let response = response_within(&mut conn, PATIENCE).expect("a response after the last step");
    assert!(response.ends_with("hello world!"), "{response}");

    // r: the rest of the request without stopping.
    let mut conn = send(port, GET);
    tmux.wait_for("#2 paused. Next: parse_request(");
    tmux.keys("r");
    let response = response_within(&mut conn, PATIENCE).expect("a response after r");
    assert!(response.ends_with("hello world!"), "{response}");

    // Quitting while the server waits at the gate lets that request run to its end: the
    // client is answered, then the server stops.
    let mut conn = send(port, GET);
    tmux.wait_for("#3 paused. Next: parse_request(");
    tmux.keys("q");
    let response = response_within(&mut conn, PATIENCE).expect("a response after q");
    assert!(response.ends_with("hello world!"), "{response}");
    assert_eq!(tmux.exit_and_terminal(), ("0".to_string(), true));
}

/// q while paused before the app call: the same, from the middle of a request.
#[test]
fn quitting_while_paused_before_the_app_still_answers_the_client() {
    let tmux = Session::start("step-q", "--step --port 0 apps/hello.py");
    let port = tmux.port();
    let mut conn = send(port, GET);
    tmux.wait_for("Next: parse_request(");
    tmux.keys("Space");
    tmux.wait_for("Next: get_environ(");
    tmux.keys("Space");
    tmux.wait_for("Next: application(");
    tmux.keys("q");
    let response = response_within(&mut conn, PATIENCE).expect("a response after q");
    assert!(response.ends_with("hello world!"), "{response}");
    assert_eq!(tmux.exit_and_terminal(), ("0".to_string(), true));
}

/// SIGTERM while the server sleeps at the step gate wakes it: the process stops within a
/// second and gives the terminal back.
#[test]
fn sigterm_while_paused_stops_the_server() {
    let tmux = Session::start("step-term", "--step --port 0 apps/hello.py");
    let port = tmux.port();
    let _conn = send(port, GET);
    tmux.wait_for("Next: parse_request(");
    tmux.keys("Space");
    tmux.wait_for("Next: get_environ(");
    let pid = tmux.wsgiscope_pid();
    let sent = Instant::now();
    // SAFETY: kill with a pid read from /proc, the child of this test's own tmux pane.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let (code, restored) = tmux.exit_and_terminal();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "took {:?}",
        sent.elapsed()
    );
    assert_eq!((code.as_str(), restored), ("0", true));
}

/// An app stuck in an endless loop: after q the terminal is back, one line says what the
/// server waits for, and Ctrl-C twice ends it (exit code 130).
#[test]
fn quitting_while_the_app_is_stuck_says_how_to_leave() {
    let app = temp_app(
        "stuck",
        "def app(environ, start_response):\n    while True:\n        pass\n",
    );
    let tmux = Session::start("stuck", &format!("--port 0 {}", app.display()));
    let port = tmux.port();
    let _conn = send(port, GET);
    tmux.wait_for("application");
    tmux.keys("q");
    tmux.wait_for(
        "Waiting for the app to return (request #1); press Ctrl-C twice to quit at once.",
    );
    assert_eq!(
        tmux.tmux(&["display", "-p", "-t", "t", "#{alternate_on}"])
            .trim(),
        "0",
        "the terminal is given back before the note"
    );
    tmux.keys("C-c");
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys("C-c");
    assert_eq!(tmux.exit_and_terminal(), ("130".to_string(), true));
}

/// An app that calls `os._exit()` ends the process without unwinding; the wrapped `os._exit`
/// gives the terminal back first.
#[test]
fn an_app_calling_os_exit_still_restores_the_terminal() {
    let app = temp_app(
        "exit",
        "import os\n\ndef app(environ, start_response):\n    os._exit(3)\n",
    );
    let tmux = Session::start("exit", &format!("--port 0 {}", app.display()));
    let port = tmux.port();
    let mut conn = send(port, GET);
    let _ = response_within(&mut conn, PATIENCE);
    let (code, restored) = tmux.exit_and_terminal();
    assert_eq!(code, "3", "os._exit's status is the exit code");
    assert!(
        restored,
        "the terminal was left in raw mode:\n{}",
        tmux.screen()
    );
}

/// What a slow app prints is in the log view while it still runs, not only when it returns;
/// so is the environ it received (at a person's pace the server sends it early).
#[test]
fn app_output_and_environ_reach_the_inspector_while_the_app_runs() {
    let app = temp_app(
        "chatty",
        "import time\n\ndef app(environ, start_response):\n    print('started the slow part')\n    \
         time.sleep(30)\n    start_response('200 OK', [])\n    return [b'done']\n",
    );
    let tmux = Session::start("chatty", &format!("--port 0 {}", app.display()));
    let port = tmux.port();
    let _conn = send(port, GET);
    let screen = tmux.wait_for("#1 stdout started the slow part");
    assert!(
        screen.contains("application"),
        "the app still runs:\n{screen}"
    );
    tmux.keys("2");
    let screen = tmux.wait_for("QUERY_STRING = 'x=1'");
    assert!(
        screen.contains("application"),
        "the app still runs:\n{screen}"
    );
}

/// An app that kills the interpreter (here `os.abort()`, as a crashing C extension would) ends
/// the process without unwinding; the terminal is given back all the same.
#[test]
fn an_app_that_crashes_the_interpreter_still_restores_the_terminal() {
    let app = temp_app(
        "crash",
        "import os\n\ndef app(environ, start_response):\n    os.abort()\n",
    );
    let tmux = Session::start("crash", &format!("--port 0 {}", app.display()));
    let port = tmux.port();
    let mut conn = send(port, GET);
    let _ = response_within(&mut conn, PATIENCE);
    let (code, restored) = tmux.exit_and_terminal();
    assert_eq!(code, "134", "SIGABRT is exit code 128 + 6");
    assert!(
        restored,
        "the terminal was left in raw mode:\n{}",
        tmux.screen()
    );
}

/// An app that overflows the C stack (a deeply nested list's repr, with Python's recursion
/// limit lifted) dies of SIGSEGV with no room left on its stack; the crash handler runs on the
/// alternate signal stack and gives the terminal back all the same.
#[test]
fn an_app_that_overflows_the_stack_still_restores_the_terminal() {
    let app = temp_app(
        "overflow",
        "import sys\n\n\
         def app(environ, start_response):\n\
         \x20   sys.setrecursionlimit(10**8)\n\
         \x20   nested = []\n\
         \x20   for _ in range(10**7):\n\
         \x20       nested = [nested]\n\
         \x20   return [repr(nested).encode()]\n",
    );
    let tmux = Session::start("overflow", &format!("--port 0 {}", app.display()));
    let port = tmux.port();
    let mut conn = send(port, GET);
    let _ = response_within(&mut conn, PATIENCE);
    let (code, restored) = tmux.exit_and_terminal();
    assert_eq!(code, "139", "SIGSEGV is exit code 128 + 11");
    assert!(
        restored,
        "the terminal was left in raw mode:\n{}",
        tmux.screen()
    );
}

/// Ctrl-C is a key while the inspector owns the terminal (raw mode): it quits the same way.
#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let tmux = Session::start("ctrlc", "--port 0 apps/hello.py");
    tmux.port();
    tmux.keys("C-c");
    assert_eq!(tmux.exit_and_terminal(), ("0".to_string(), true));
}

/// Connections that send nothing (a browser's spare sockets, a telnet not typed into yet)
/// make no row; the header counts them, and counts them again once they are closed.
#[test]
fn idle_connections_are_counted_in_the_header_and_make_no_row() {
    let tmux = Session::start("idle", "--port 0 apps/hello.py");
    let port = tmux.port();
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("the server listens"))
        .collect();
    let screen = tmux.wait_for("3 connections, 3 idle");
    assert!(screen.contains("0 requests"), "{screen}");
    assert!(
        !screen.contains("parse_request"),
        "an idle socket made a row:\n{screen}"
    );
    drop(idle);
    tmux.wait_for("0 connections, 0 idle (3 idle closed)");
    tmux.quit_cleanly();
}

/// At 80 columns the list keeps its column titles, a long path ends in `…`, and the header
/// keeps the request and error counts (`1 request`, not `1 requests`).
#[test]
fn at_80_columns_the_list_keeps_its_titles_and_marks_cut_paths() {
    let tmux = Session::start_sized("narrow", "--port 0 apps/hello.py", 80, 24);
    let port = tmux.port();
    let long = "/a-path-much-too-long-for-the-column-of-an-eighty-column-list";
    let mut conn = send(
        port,
        format!("GET {long} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    );
    response_within(&mut conn, PATIENCE).expect("a response");
    let screen = tmux.wait_for("1 request · 0 errors");
    assert!(
        screen.contains("served in") && screen.contains("path"),
        "{screen}"
    );
    let row = screen
        .lines()
        .find(|l| l.contains("/a-path"))
        .expect("the exchange's row");
    assert!(row.contains("…") && !row.contains(long), "{row}");
    tmux.quit_cleanly();
}

/// The method and path show as soon as the request line is typed, while the headers are
/// still to come; the blank line then gets the answer.
#[test]
fn the_request_line_shows_before_the_head_is_complete() {
    let tmux = Session::start("line", "--port 0 apps/hello.py");
    let port = tmux.port();
    let mut conn = send(port, b"GET /typed-so-far HTTP/1.1\r\nHost: x\r\n");
    let screen = tmux.wait_for("/typed-so-far");
    assert!(screen.contains("GET"), "{screen}");
    assert!(
        screen.contains("the blank line that ends the headers"),
        "{screen}"
    );
    conn.write_all(b"\r\n").expect("the blank line goes out");
    let response = response_within(&mut conn, PATIENCE).expect("a response");
    assert!(response.ends_with("hello world!"), "{response}");
    tmux.quit_cleanly();
}

/// A complete request behind another one's app call is shown as queued: the app runs one
/// request at a time. Two requests sent while the app sleeps are read together once it
/// returns (while the app runs, the loop reads no socket); the second then waits its turn
/// behind the first.
#[test]
fn a_request_behind_a_slow_app_shows_as_queued() {
    let tmux = Session::start("queued", "--port 0 apps/slow.py");
    let port = tmux.port();
    let mut slow = send(port, b"GET /?seconds=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    tmux.wait_for("application");
    let mut next = send(port, b"GET /?seconds=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut last = send(port, b"GET /?seconds=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    tmux.wait_for("queued");
    for (conn, slept) in [(&mut slow, 1), (&mut next, 2), (&mut last, 0)] {
        let response = response_within(conn, PATIENCE).expect("each is answered");
        assert!(
            response.contains(&format!("slept {slept}.0 seconds")),
            "{response}"
        );
    }
    tmux.quit_cleanly();
}

/// While step mode holds one request, the loop still accepts and reads other clients: the
/// second client's bytes show at once, and its request gets its turn once the first is done.
#[test]
fn step_mode_reads_other_clients_while_paused() {
    let tmux = Session::start("step-two", "--step --port 0 apps/hello.py");
    let port = tmux.port();
    let mut first = send(port, GET);
    tmux.wait_for("#1 paused. Next: parse_request(");
    let mut second = send(port, b"GET /second-client HTTP/1.1\r\nHost: x\r\n\r\n");
    // Read while the first is paused: the newest row is followed, its bytes are on screen.
    tmux.wait_for("GET /second-client HTTP/1.1");
    tmux.wait_for("2 connections, 0 idle");
    for phase in [
        "parse_request(",
        "get_environ(",
        "application(",
        "finish_response(",
    ] {
        tmux.wait_for(&format!("#1 paused. Next: {phase}"));
        tmux.keys("Space");
    }
    let response = response_within(&mut first, PATIENCE).expect("the first is answered");
    assert!(response.ends_with("hello world!"), "{response}");
    tmux.wait_for("#2 paused. Next: parse_request(");
    assert_eq!(
        response_within(&mut second, Duration::from_millis(300)),
        None,
        "the second was answered before its turn"
    );
    tmux.keys("r");
    let response = response_within(&mut second, PATIENCE).expect("the second is answered");
    assert!(response.ends_with("hello world!"), "{response}");
    tmux.quit_cleanly();
}

/// While step mode holds a request before the app call, the server waits without the GIL: a
/// thread the app started keeps running (here it counts in a file, about 100 times a second).
#[test]
fn an_app_thread_runs_while_step_mode_holds_a_request() {
    let ticks = std::env::temp_dir().join(format!("wsgiscope-ticks-{}", std::process::id()));
    let _ = std::fs::remove_file(&ticks);
    let source = format!(
        "import threading, time\n\
         def tick():\n\
         \x20   while True:\n\
         \x20       with open({ticks:?}, 'a') as f:\n\
         \x20           f.write('.')\n\
         \x20       time.sleep(0.01)\n\
         threading.Thread(target=tick, daemon=True).start()\n\
         def application(environ, start_response):\n\
         \x20   start_response('200 OK', [('Content-Type', 'text/plain')])\n\
         \x20   return [b'ticked']\n"
    );
    let app = temp_app("ticking", &source);
    let tmux = Session::start("step-gil", &format!("--step --port 0 {}", app.display()));
    let port = tmux.port();
    let mut conn = send(port, GET);
    tmux.wait_for("Next: parse_request(");
    tmux.keys("Space");
    tmux.wait_for("Next: get_environ(");
    tmux.keys("Space");
    tmux.wait_for("Next: application(");
    // Held inside the Python phases now; count what the thread writes meanwhile.
    let count = || std::fs::read(&ticks).map_or(0, |t| t.len());
    let before = count();
    let deadline = Instant::now() + PATIENCE;
    while count() < before + 30 {
        assert!(
            Instant::now() < deadline,
            "the app's thread ticked {} times in {PATIENCE:?} while the server was paused",
            count() - before
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys("r");
    let response = response_within(&mut conn, PATIENCE).expect("a response after r");
    assert!(response.ends_with("ticked"), "{response}");
    tmux.quit_cleanly();
}

/// A pause longer than `--timeout` costs the client nothing: while step mode holds a request,
/// the server makes it wait, not the client, so no 408 comes; the same with the tutorial's
/// loop (`--one-at-a-time`).
#[test]
fn a_step_pause_longer_than_the_timeout_still_serves_the_request() {
    for mode in ["", "--one-at-a-time"] {
        let tmux = Session::start(
            &format!("step-long{}", mode.len()),
            &format!("--step --timeout 1 {mode} --port 0 apps/hello.py"),
        );
        let port = tmux.port();
        let mut conn = send(port, GET);
        tmux.wait_for("#1 paused. Next: parse_request(");
        // Longer than --timeout, on purpose: the class is reading the screen.
        std::thread::sleep(Duration::from_millis(1_500));
        tmux.keys("Space");
        tmux.wait_for("#1 paused. Next: get_environ(");
        std::thread::sleep(Duration::from_millis(1_500));
        tmux.keys("r");
        let response = response_within(&mut conn, PATIENCE).expect("a response after r");
        assert!(
            response.starts_with("HTTP/1.1 200 OK") && response.ends_with("hello world!"),
            "{mode}: {response}"
        );
        tmux.quit_cleanly();
    }
}

/// Step mode switched off (`s`) while one request is half typed and another waits behind it:
/// the waiting one is served at once, not when the half-typed one finishes or times out.
#[test]
fn switching_step_mode_off_serves_the_requests_it_held() {
    let tmux = Session::start("step-off", "--step --timeout 30 --port 0 apps/hello.py");
    let port = tmux.port();
    let _half = send(port, b"GET /half HTTP/1.1\r\n");
    tmux.wait_for("#1 paused. Next: parse_request(");
    tmux.keys("Space");
    let mut held = send(port, GET);
    tmux.wait_for("2 connections, 0 idle");
    tmux.keys("s");
    let response = response_within(&mut held, Duration::from_secs(5))
        .expect("the held request is answered once step mode is off");
    assert!(response.ends_with("hello world!"), "{response}");
    tmux.quit_cleanly();
}

/// `wsgiscope lesson 1` in a real terminal: its third page is longer than the panel at
/// 120×40, so the panel says more follows, and `}` scrolls until the page's last row (as the
/// panel wraps it) is in view and the panel says the page ends there.
#[test]
fn the_lesson_panel_scrolls_a_long_page_to_its_end() {
    use ratatui::layout::Rect;
    use wsgiscope::inspector::lesson::{LessonPanel, panel_area, text_area};
    use wsgiscope::inspector::ui::body_area;

    let dir = wsgiscope::lessons::find_dir(None).expect("the lessons folder");
    let lesson = wsgiscope::lessons::list(&dir)
        .expect("the lessons load")
        .into_iter()
        .find(|l| l.number == 1)
        .expect("lesson 1");
    let mut panel = LessonPanel::new(&lesson);
    panel.next();
    panel.next();
    let text = text_area(panel_area(body_area(Rect::new(0, 0, 120, 40))).0);
    let rows: Vec<String> = panel
        .rows(text.width)
        .iter()
        .map(|row| row.to_string().trim_end().to_string())
        .collect();
    assert!(
        rows.len() > usize::from(text.height),
        "lesson 1's third page fits its panel now; pick a longer page for this test"
    );
    let first = rows[0].clone();
    let last = rows.last().expect("the page has rows").clone();

    let tmux = Session::start("lesson", "lesson 1 --port 0");
    tmux.port();
    tmux.keys("]");
    tmux.keys("]");
    let mut screen = tmux.wait_for(&format!("3/{} ", lesson.sections().len()));
    assert!(
        screen.contains("more lines") && !screen.contains(&last),
        "{screen}"
    );
    for _ in 0..rows.len() {
        if screen.contains("end of page") {
            break;
        }
        tmux.keys("}");
        screen = tmux.wait_for_change(&screen);
    }
    assert!(
        screen.contains("end of page") && screen.contains(&last),
        "{screen}"
    );
    assert!(!screen.contains(&first), "scrolled past the top:\n{screen}");
    tmux.keys("{");
    tmux.wait_for("more line");
    tmux.quit_cleanly();
}
