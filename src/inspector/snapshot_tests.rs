//! The screens a student sees, under test: each view of known exchanges, drawn with ratatui's
//! `TestBackend` at 80×24 (the smallest supported terminal) and 120×40, compared with the
//! snapshots in `snapshots/` (review changes with `cargo insta review`).
//!
//! The exchanges are real records ([`super::fixtures`]: what the server recorded for
//! `tests/apps/inspector_fixture.py`, kept current by `tests/fixtures.rs`), so the screens
//! show what the server really records, and are the same on every machine: a POST with a long
//! User-Agent and a binary body, a 500 whose traceback the app's error left, a 404 whose
//! stored response copy was cut, a response with two findings, a refused request and a
//! chunked body. The live events (a connection accepted, bytes arriving, step mode) are built
//! here, with the server's own types.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::exchange::{Event, Exchange, OutputLine, Phase};

use super::fixtures;
use super::keys::Command;
use super::state::{Message, ServerInfo, State, View};
use super::ui::render;
use crate::exchange::OnConnection;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Fixture 1: a POST with a long header and a binary body, answered 200.
fn upload() -> Exchange {
    fixtures::exchange(1)
}

/// Fixture 2: a GET whose app raised after writing to wsgi.errors: a 500.
fn boom() -> Exchange {
    fixtures::exchange(2)
}

/// Fixture 3: a 404 sent with write(), longer than the record's copy (the counts stay exact).
fn missing() -> Exchange {
    fixtures::exchange(3)
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

/// Fixture 4: a 200 whose app set a CGI-style Status header and no Content-Type: two
/// findings.
fn mistake() -> Exchange {
    fixtures::exchange(4)
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
    let ex = fixtures::exchange(6);
    s.on_event(Event::Finished(Box::new(ex)));
    select(&mut s, 4, View::Response);
    check("response_chunked", &s);
}

/// A request the server refused with a 400 before any phase but parse_request: the timeline
/// says which phases it never reached, and view 3 that the app was not called.
#[test]
fn a_refused_request_shows_the_phases_it_never_reached() {
    let mut s = state();
    let ex = fixtures::exchange(5);
    s.on_event(Event::Finished(Box::new(ex)));
    select(&mut s, 4, View::StartResponse);
    check("refused_start_response", &s);
}

/// Log lines longer than the log wrap under their text, at 80 and at 120 columns: the
/// export's curl command and a long error are read whole.
#[test]
fn long_log_lines_wrap_instead_of_being_cut() {
    let mut s = state();
    let exported = super::export::Exported {
        transcript: "wsgiscope-exports/exchange-3.txt".into(),
        request: "wsgiscope-exports/exchange-3.request".into(),
        replay: "wsgiscope telnet 127.0.0.1 8888 < 'wsgiscope-exports/exchange-3.request'".into(),
        curl: Some(
            "curl -i 'http://127.0.0.1:8888/missing' -H 'User-Agent: a-long-client-name/1.0'"
                .into(),
        ),
    };
    s.note(Some(3), "inspector", exported.note());
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
