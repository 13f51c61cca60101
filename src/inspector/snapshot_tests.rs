//! The screens a student sees, under test: each view of known exchanges, drawn with ratatui's
//! `TestBackend` at 80×24 (the smallest supported terminal) and 120×40, compared with the
//! snapshots in `snapshots/` (review changes with `cargo insta review`).
//!
//! The exchanges are built by hand with fixed times, addresses and durations, so the screens
//! are the same on every machine: a POST with a long User-Agent and a binary body, a 500 whose
//! traceback the app's error left, and a 404 whose stored response copy was cut.

use std::time::{Duration, Instant};

use chrono::{Local, TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::exchange::{
    CappedBytes, Event, Exchange, OutputLine, Phase, StartResponseCall, Timings,
};

use super::keys::Command;
use super::state::{Message, ServerInfo, State, View};
use super::ui::render;
use crate::exchange::OnConnection;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The four phases' times and, last, how long the request took to arrive, in µs.
fn timings(us: [u64; 5]) -> Timings {
    Timings {
        parse_request: Duration::from_micros(us[0]),
        get_environ: Duration::from_micros(us[1]),
        application: Duration::from_micros(us[2]),
        finish_response: Duration::from_micros(us[3]),
        receiving: Duration::from_micros(us[4]),
    }
}

fn environ(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn bytes(b: &[u8]) -> CappedBytes {
    let mut c = CappedBytes::default();
    c.push(b);
    c
}

/// A POST with a long header and a binary body, answered 200.
fn upload() -> Exchange {
    let mut ex = Exchange::new(1, "127.0.0.1:50001".parse().expect("a valid address"));
    ex.connection.id = 1;
    ex.started = Local
        .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("an unambiguous local time")
        + Duration::from_millis(123);
    ex.request_raw = bytes(
        b"POST /upload?name=cat.png HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nUser-Agent: Mozilla/5.0 \
(X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 \
wsgiscope-test/1.0\r\nContent-Type: application/octet-stream\r\nContent-Length: 16\r\n\r\n\
\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    );
    ex.method = Some("POST".into());
    ex.target = Some("/upload?name=cat.png".into());
    ex.version = Some("HTTP/1.1".into());
    ex.environ = environ(&[
        ("SERVER_NAME", "'127.0.0.1'"),
        ("SERVER_PORT", "'8888'"),
        ("SERVER_SOFTWARE", "'wsgiscope/0.1.0'"),
        ("SCRIPT_NAME", "''"),
        ("wsgi.version", "(1, 0)"),
        ("wsgi.url_scheme", "'http'"),
        ("wsgi.multithread", "False"),
        ("wsgi.multiprocess", "False"),
        ("wsgi.run_once", "False"),
        ("wsgi.errors", "<wsgiscope.OutputStream wsgi.errors>"),
        ("REQUEST_METHOD", "'POST'"),
        ("PATH_INFO", "'/upload'"),
        ("QUERY_STRING", "'name=cat.png'"),
        ("REQUEST_URI", "'/upload?name=cat.png'"),
        ("SERVER_PROTOCOL", "'HTTP/1.1'"),
        ("REMOTE_ADDR", "'127.0.0.1'"),
        ("REMOTE_PORT", "'50001'"),
        ("CONTENT_TYPE", "'application/octet-stream'"),
        ("CONTENT_LENGTH", "'16'"),
        ("HTTP_HOST", "'127.0.0.1:8888'"),
        (
            "HTTP_USER_AGENT",
            "'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Safari/537.36 wsgiscope-test/1.0'",
        ),
        ("wsgi.input", "<wsgiscope.Input 16 bytes>"),
        ("wsgi.input_terminated", "True"),
    ]);
    ex.start_response = vec![StartResponseCall {
        status: "200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ("X-Received".into(), "16 bytes".into()),
        ],
        exc_info: None,
        error: None,
    }];
    ex.response_raw = bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Received: 16 bytes\r\n\
Content-Length: 22\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\nServer: wsgiscope/0.1.0\r\n\
Connection: close\r\n\r\nreceived 16 bytes: ok\n",
    );
    ex.status = Some(200);
    ex.body_bytes = 22;
    ex.timings = timings([85, 40, 1250, 60, 2_100]);
    ex.output = vec![OutputLine {
        stream: "stdout",
        text: "saving cat.png (16 bytes)".into(),
    }];
    ex
}

/// A GET whose app raised: a 500 carrying the traceback (--debug).
fn boom() -> Exchange {
    let mut ex = Exchange::new(2, "127.0.0.1:50002".parse().expect("a valid address"));
    ex.connection.id = 2;
    ex.started = upload().started + Duration::from_millis(2_500);
    ex.request_raw = bytes(b"GET /boom HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ex.method = Some("GET".into());
    ex.target = Some("/boom".into());
    ex.version = Some("HTTP/1.1".into());
    ex.environ = environ(&[
        ("REQUEST_METHOD", "'GET'"),
        ("PATH_INFO", "'/boom'"),
        ("QUERY_STRING", "''"),
        ("HTTP_HOST", "'localhost'"),
        ("wsgi.version", "(1, 0)"),
    ]);
    let traceback = "Traceback (most recent call last):\n  File \"apps/errors.py\", line 12, in app\n    \
                     return [str(1 / 0).encode()]\nZeroDivisionError: division by zero";
    ex.error = Some("the app raised ZeroDivisionError: division by zero".into());
    ex.traceback = Some(traceback.into());
    let body = format!(
        "The application failed: the app raised ZeroDivisionError: division by zero.\n\n{traceback}"
    );
    ex.response_raw = bytes(
        format!(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    ex.status = Some(500);
    ex.body_bytes = body.len() as u64;
    ex.timings = timings([30, 25, 410, 90, 150]);
    ex.output = vec![OutputLine {
        stream: "wsgi.errors",
        text: "about to divide by zero".into(),
    }];
    ex
}

/// A 404 whose stored response was cut (the counts stay exact), typed slowly in telnet.
fn missing() -> Exchange {
    let mut ex = Exchange::new(3, "127.0.0.1:50003".parse().expect("a valid address"));
    ex.connection.id = 3;
    ex.started = upload().started + Duration::from_millis(4_010);
    ex.request_raw = bytes(b"GET /missing HTTP/1.0\n\n");
    ex.method = Some("GET".into());
    ex.target = Some("/missing".into());
    ex.version = Some("HTTP/1.0".into());
    ex.start_response = vec![StartResponseCall {
        status: "404 Not Found".into(),
        headers: vec![("Content-Type".into(), "text/html".into())],
        exc_info: None,
        error: None,
    }];
    ex.set_writes(vec![18, 40_000], 2);
    ex.response_raw = bytes(
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<h1>Not Found</h1>",
    );
    ex.response_raw.total += 40_000;
    ex.status = Some(404);
    ex.body_bytes = 40_018;
    ex.timings = timings([12, 20, 2_300_000, 15_200, 17_200_000]);
    ex
}

fn state() -> State {
    let info = ServerInfo {
        address: "127.0.0.1:8888".parse().expect("a valid address"),
        app: "apps/demo.py".into(),
        python: "3.11.7".into(),
    };
    let mut s = State::new(info, false, Instant::now());
    s.on_event(Event::Output(OutputLine {
        stream: "server",
        text: "app imported".into(),
    }));
    for ex in [upload(), boom(), missing()] {
        s.on_event(Event::Finished(Box::new(ex)));
    }
    s
}

fn screen(state: &State, width: u16, height: u16) -> TestBackend {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).expect("a test backend never fails");
    terminal
        .draw(|frame| render(state, frame))
        .expect("a test backend never fails");
    terminal.backend().clone()
}

/// Snapshot `state` at both sizes.
fn check(name: &str, state: &State) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(state, w, h));
    }
}

fn select(s: &mut State, id: u64, view: View) {
    s.on_command(Command::First);
    for _ in 1..id {
        s.on_command(Command::Down);
    }
    s.on_command(Command::View(view));
}

#[test]
fn raw_request_view_marks_line_ends_and_escapes_binary() {
    let mut s = state();
    select(&mut s, 1, View::Request);
    check("raw_request", &s);
}

#[test]
fn raw_request_hex_view() {
    let mut s = state();
    select(&mut s, 1, View::Request);
    s.on_command(Command::ToggleHex);
    check("raw_request_hex", &s);
}

#[test]
fn environ_view_groups_keys_and_lights_the_bytes_they_came_from() {
    let mut s = state();
    select(&mut s, 1, View::Environ);
    s.on_command(Command::ToggleMaximise);
    // Down to HTTP_USER_AGENT: 13 CGI keys (the 12 present, in lesson order), then HTTP_HOST.
    for _ in 0..14 {
        s.on_command(Command::Down);
    }
    s.on_command(Command::ToggleMaximise);
    check("environ_user_agent", &s);
    s.on_command(Command::ToggleMaximise);
    check("environ_user_agent_maximised", &s);
}

#[test]
fn start_response_view_shows_the_call_and_the_traceback() {
    let mut s = state();
    select(&mut s, 2, View::StartResponse);
    check("start_response_500", &s);
    select(&mut s, 3, View::StartResponse);
    check("start_response_writes", &s);
}

#[test]
fn response_view_shows_the_wire_and_what_was_cut() {
    let mut s = state();
    select(&mut s, 2, View::Response);
    check("response_500", &s);
    select(&mut s, 3, View::Response);
    check("response_cut", &s);
}

#[test]
fn help_overlay_lists_every_key() {
    let mut s = state();
    s.on_command(Command::Help);
    check("help", &s);
}

/// Connection 4 accepted, ten seconds after the first exchange: the exchange under way.
fn fourth_accepted() -> Event {
    Event::Accepted {
        id: 4,
        client: "127.0.0.1:50004".parse().expect("a valid address"),
        at: upload().started + Duration::from_secs(10),
        connection: OnConnection {
            id: 4,
            ..OnConnection::default()
        },
    }
}

#[test]
fn step_mode_names_the_next_method() {
    let mut s = state();
    s.on_command(Command::ToggleStep);
    s.on_event(fourth_accepted());
    s.on_event(Event::PhaseStarted {
        id: 4,
        phase: Phase::ParseRequest,
    });
    s.on_event(Event::RequestBytes {
        id: 4,
        bytes: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        waiting_for: crate::exchange::Waiting::Nothing,
    });
    s.on_event(Event::RequestLine {
        id: 4,
        method: "GET".into(),
        target: "/".into(),
    });
    s.on_event(Event::PhaseStarted {
        id: 4,
        phase: Phase::GetEnviron,
    });
    s.on_message(Message::Paused {
        id: 4,
        phase: Phase::GetEnviron,
    });
    check("step_paused", &s);
}

#[test]
fn a_stalled_client_shows_what_the_server_waits_for() {
    let mut s = state();
    s.on_event(fourth_accepted());
    s.on_event(Event::RequestBytes {
        id: 4,
        bytes: b"GET /slow HTTP/1.1\r\nHost: x\r\n".to_vec(),
        waiting_for: crate::exchange::Waiting::Head,
    });
    s.on_event(Event::RequestLine {
        id: 4,
        method: "GET".into(),
        target: "/slow".into(),
    });
    s.now += Duration::from_millis(7_400);
    check("stalled_client", &s);
}

/// A 200 whose app set a CGI-style Status header and no Content-Type: two findings.
fn mistake() -> Exchange {
    use crate::checks::{self, Check, Spot};
    let mut ex = Exchange::new(4, "127.0.0.1:50004".parse().expect("a valid address"));
    ex.connection.id = 4;
    ex.started = upload().started + Duration::from_millis(5_000);
    ex.request_raw = bytes(b"GET /gone HTTP/1.1\r\nHost: x\r\n\r\n");
    ex.method = Some("GET".into());
    ex.target = Some("/gone".into());
    ex.version = Some("HTTP/1.1".into());
    ex.start_response = vec![StartResponseCall {
        status: "200 OK".into(),
        headers: vec![("Status".into(), "404 Not Found".into())],
        exc_info: None,
        error: None,
    }];
    ex.response_raw = bytes(
        b"HTTP/1.1 200 OK\r\nStatus: 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n",
    );
    ex.status = Some(200);
    ex.body_bytes = 10;
    ex.timings = timings([20, 20, 300, 40, 90]);
    ex.checks = vec![
        Check::new(
            &checks::STATUS_HEADER,
            "the header 'Status: 404 Not Found' does not set the status in WSGI; the status is \
             start_response's first argument",
        )
        .at(Spot::Header {
            call: 0,
            index: 0,
            name: "Status".into(),
        }),
        Check::new(
            &checks::CONTENT_TYPE_MISSING,
            "the 200 response has no Content-Type header",
        ),
    ];
    ex
}

#[test]
fn checks_view_explains_each_finding_and_the_list_shows_a_badge() {
    let mut s = state();
    s.on_event(Event::Finished(Box::new(mistake())));
    select(&mut s, 4, View::Checks);
    check("checks", &s);
}

#[test]
fn a_finding_lights_the_header_it_points_at() {
    let ex = mistake();
    let ranges = super::ui::response_highlights(&ex);
    let lit: Vec<&[u8]> = ranges
        .iter()
        .map(|r| &ex.response_raw.stored[r.clone()])
        .collect();
    assert_eq!(lit, [&b"Status: 404 Not Found"[..]]);
}

/// The row on which the detail's title (the view tabs) is drawn.
fn detail_row(state: &State, width: u16, height: u16) -> usize {
    let backend = screen(state, width, height);
    let buffer = backend.buffer();
    (0..height)
        .find(|&y| {
            let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
            row.starts_with(" 1 raw request")
        })
        .expect("the detail is on screen") as usize
}

#[test]
fn a_short_list_leaves_its_room_to_the_detail() {
    let mut s = state();
    s.on_command(Command::Clear);
    s.on_event(Event::Finished(Box::new(upload())));
    // Header (2 rows), the list's title, its column titles, one exchange.
    assert_eq!(detail_row(&s, 120, 40), 5);
    assert_eq!(detail_row(&s, 80, 24), 5);
    for id in 2..=40 {
        let mut ex = upload();
        ex.id = id;
        s.on_event(Event::Finished(Box::new(ex)));
    }
    // A long list takes a third of the body at 120×40, six rows at 80×24 (titles included).
    assert_eq!(detail_row(&s, 120, 40), 2 + 1 + 37 / 3);
    assert_eq!(detail_row(&s, 80, 24), 2 + 1 + 6);
}

/// The inspector fell behind: the record of exchange 4 and all of exchange 5 were dropped.
/// The header counts what was not shown, the log says why, and exchange 4, closed when
/// exchange 6 was accepted, says what happened to it instead of looking under way for ever.
#[test]
fn an_inspector_that_fell_behind_says_what_it_did_not_show() {
    let mut s = state();
    let at = upload().started + Duration::from_secs(10);
    s.on_event(Event::Accepted {
        id: 4,
        client: "127.0.0.1:50004".parse().expect("a valid address"),
        at,
        connection: OnConnection {
            id: 4,
            ..OnConnection::default()
        },
    });
    s.on_event(Event::RequestLine {
        id: 4,
        method: "GET".into(),
        target: "/lost".into(),
    });
    s.on_event(Event::Accepted {
        id: 6,
        client: "127.0.0.1:50006".parse().expect("a valid address"),
        at: at + Duration::from_millis(2),
        connection: OnConnection {
            id: 6,
            ..OnConnection::default()
        },
    });
    // The server says which record it dropped.
    s.lost(&[4]);
    s.fell_behind(2);
    select(&mut s, 4, View::StartResponse);
    check("fell_behind", &s);
}

/// A streamed body sent chunked on a kept-open connection: view 4 says how the body ends and
/// shows each chunk's size line and the last chunk as the wire carries them.
#[test]
fn response_view_shows_the_chunk_framing() {
    let mut s = state();
    let mut ex = Exchange::new(4, "127.0.0.1:50004".parse().expect("a valid address"));
    ex.connection = OnConnection {
        id: 3,
        request: 2,
        kept_open: true,
    };
    ex.started = upload().started + Duration::from_secs(10);
    ex.request_raw = bytes(b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ex.method = Some("GET".into());
    ex.target = Some("/stream".into());
    ex.version = Some("HTTP/1.1".into());
    ex.response_raw = bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n\
          7\r\nline 1\n\r\n7\r\nline 2\n\r\n0\r\n\r\n",
    );
    ex.status = Some(200);
    ex.body_bytes = 14;
    ex.framing = Some(crate::exchange::Framing::Chunked);
    ex.timings = timings([20, 25, 300, 90, 120]);
    s.on_event(Event::Finished(Box::new(ex)));
    select(&mut s, 4, View::Response);
    check("response_chunked", &s);
}

/// A request the server refused with a 400 before any phase but parse_request: the timeline
/// says which phases it never reached, and view 3 that the app was not called.
#[test]
fn a_refused_request_shows_the_phases_it_never_reached() {
    let mut s = state();
    let mut ex = Exchange::new(4, "127.0.0.1:50004".parse().expect("a valid address"));
    ex.connection.id = 4;
    ex.started = upload().started + Duration::from_secs(10);
    ex.request_raw = bytes(b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n");
    let message = "the request line 'GET /a b HTTP/1.1' is not 'method target version'";
    ex.error = Some(format!("400 Bad Request: {message}"));
    ex.response_raw = bytes(
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{message}\n",
            message.len() + 1
        )
        .as_bytes(),
    );
    ex.status = Some(400);
    ex.body_bytes = message.len() as u64 + 1;
    ex.timings = timings([15, 0, 0, 0, 1_800]);
    s.on_event(Event::Finished(Box::new(ex)));
    select(&mut s, 4, View::StartResponse);
    check("refused_start_response", &s);
}

/// Log lines longer than the log wrap under their text, at 80 and at 120 columns: the
/// export's curl command and a long error are read whole.
#[test]
fn long_log_lines_wrap_instead_of_being_cut() {
    let mut s = state();
    s.note(
        Some(3),
        "inspector",
        "exported to wsgiscope-exchange-3.txt (raw bytes: wsgiscope-exchange-3.request); curl: \
         curl -i -X GET 'http://127.0.0.1:8888/missing' -H 'Host: 127.0.0.1:8888' --http1.0"
            .into(),
    );
    check("long_log_lines", &s);
}

/// Step mode, paused before parse_request: the request view says the server waits for the
/// class (Space), not for the blank line that ends the headers.
#[test]
fn paused_before_parse_request_says_the_server_waits_for_the_class() {
    let mut s = state();
    s.on_command(Command::ToggleStep);
    s.on_event(fourth_accepted());
    s.on_event(Event::RequestBytes {
        id: 4,
        bytes: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        waiting_for: crate::exchange::Waiting::Held,
    });
    s.on_event(Event::PhaseStarted {
        id: 4,
        phase: Phase::ParseRequest,
    });
    s.on_message(Message::Paused {
        id: 4,
        phase: Phase::ParseRequest,
    });
    check("step_paused_before_parse", &s);
}
