//! Drawing: the screen as a pure function of the [`State`].
//!
//! [`render`] reads the state and draws into a ratatui `Frame`; it changes nothing and asks
//! nothing of the clock, so the same state always gives the same screen, and the tests compare
//! screens with snapshots. From top to bottom:
//!
//! ```text
//! header      where to connect (telnet hint) and the app; the mode, the counts, Python
//! exchanges   one row per exchange: time, client, conn, method, path (with a ⚠N badge when
//!             the checks found N things), status, bytes, how long the request took to
//!             arrive (the client's time) and to serve (the server's)
//! detail      the selected exchange in one of five views (1 raw request, 2 environ,
//!             3 start_response, 4 response, 5 checks); what a finding points at is lit in
//!             views 3 and 4
//! timeline    the tutorial's four phases and how long each took, or that it was not reached
//! log         what the app printed, the server's notes (or the step prompt, in step mode)
//! footer      the keys, or the filter being typed
//! ```
//!
//! Bytes are shown as the wire carries them: `\r` and `\n` as visible marks (the line break
//! kept), other control and non-ASCII bytes as `\xNN`, so a student sees exactly what was sent.
//!
//! Nothing is cut silently: a line of the header or a path too long for its place ends in
//! `…`, and a log line wider than the log wraps under its text.

use std::ops::Range;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::checks::{About, Spot};
use crate::exchange::{CappedBytes, Exchange, Phase, StartResponseCall, Waiting};

use super::keys::HELP;
use super::source::{Source, source_of};
use super::state::{Entry, Group, NOT_SHOWN, State, View, clock, grouped_environ};
use super::step::explain;

/// Screens at least this wide show the environ and the request bytes side by side.
const SIDE_BY_SIDE_WIDTH: u16 = 100;
/// Screens at least this tall get a taller list and log.
const TALL_HEIGHT: u16 = 30;
/// The most rows of exchanges on a short screen; a tall one gives the list up to a third.
const SHORT_LIST_ROWS: u16 = 6;
/// The most rows of the log on a tall and on a short screen; fewer when it holds fewer lines.
const TALL_LOG_ROWS: usize = 6;
const SHORT_LOG_ROWS: usize = 3;
/// The step prompt: the next method, what it does, the keys (room for one wrapped line).
const STEP_ROWS: u16 = 4;
/// Bytes per row of the hex dump (the classic `hexdump -C` layout).
const HEX_ROW: usize = 16;

const MARK: Style = Style::new().fg(Color::Cyan);
const ESCAPE: Style = Style::new().fg(Color::Magenta);
const HIGHLIGHT: Style = Style::new().fg(Color::Black).bg(Color::Yellow);
const DIM: Style = Style::new().fg(Color::DarkGray);
const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
const FINDING: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);

/// Draw the whole screen.
pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let [header, body, footer] = screen_parts(area);
    render_header(state, frame, header);
    render_footer(state, frame, footer);
    let body = super::lesson::split(state.lesson.as_ref(), frame, body);
    if state.maximised {
        let [detail, timeline] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
        render_detail(state, frame, detail);
        render_timeline(state, frame, timeline);
    } else {
        let tall = area.height >= TALL_HEIGHT;
        // The list and the log grow with what they hold, each up to a part of the screen; the
        // detail, which holds the most, gets all the rest. (Each panel adds a title row.)
        let most = if tall {
            (body.height / 3).max(SHORT_LIST_ROWS)
        } else {
            SHORT_LIST_ROWS
        };
        // One row for the column titles.
        let list_rows = (state.visible().count() as u16).max(1) + 1;
        // As many rows as the newest lines need, up to a part of the screen; the newest line
        // is shown whole even on a short screen, up to the tall screen's share.
        let most_log = if tall { TALL_LOG_ROWS } else { SHORT_LOG_ROWS };
        let newest = log_rows(state, body.width, TALL_LOG_ROWS, 1).len();
        let log_rows = log_rows(state, body.width, most_log, usize::MAX)
            .len()
            .max(newest)
            .max(1);
        let bottom = if state.stepping {
            STEP_ROWS
        } else {
            log_rows as u16
        } + 1;
        let [list, detail, timeline, log] = Layout::vertical([
            Constraint::Length(list_rows.min(most) + 1),
            Constraint::Min(4),
            Constraint::Length(1),
            Constraint::Length(bottom),
        ])
        .areas(body);
        render_list(state, frame, list);
        render_detail(state, frame, detail);
        render_timeline(state, frame, timeline);
        if state.stepping {
            render_step(state, frame, log);
        } else {
            render_log(state, frame, log);
        }
    }
    if state.help {
        render_help(frame, area);
    }
}

/// The screen's three bands: the header, the body (the exchanges and the lesson) and the
/// footer.
fn screen_parts(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The part of a screen of this size between the header and the footer: what the state needs
/// to know of the layout to scroll the lesson panel.
pub fn body_area(screen: Rect) -> Rect {
    screen_parts(screen)[1]
}

fn panel(title: Line<'_>) -> Block<'_> {
    Block::new()
        .borders(Borders::TOP)
        .border_style(DIM)
        .title(title)
}

fn render_header(state: &State, frame: &mut Frame, area: Rect) {
    let info = &state.info;
    let mode = match (state.stepping, state.paused) {
        (true, Some((id, phase))) => {
            Span::styled(format!("STEP #{id}: {} next", phase.name()), HIGHLIGHT)
        }
        (true, None) => Span::styled("STEP", HIGHLIGHT),
        (false, _) => Span::raw("live"),
    };
    let errors = Span::styled(
        count(state.errors, "error"),
        if state.errors > 0 {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        },
    );
    // The counts come first, the Python last: on a narrow screen what is cut off (with a `…`)
    // is what the log's start-up lines say too.
    let mut second = vec![
        mode,
        Span::raw(format!(" · {} · ", count(state.requests, "request"))),
        errors,
    ];
    let counts = state.connections;
    if counts.open > 0 || counts.closed_idle > 0 {
        // The event loop's side: sockets open (a browser keeps spares), and those that
        // never sent a byte, which make no row.
        let mut text = format!(
            " · {}, {} idle",
            count(counts.open, "connection"),
            counts.idle
        );
        if counts.closed_idle > 0 {
            text.push_str(&format!(" ({} idle closed)", counts.closed_idle));
        }
        second.push(Span::raw(text));
    }
    if state.not_shown > 0 {
        // Next to the counts it corrects; the log says what it means.
        second.push(Span::raw(" · "));
        second.push(Span::styled(
            format!("{} not shown", state.not_shown),
            Style::new().fg(Color::Yellow),
        ));
    }
    if !state.filter.0.is_empty() {
        second.push(Span::raw(format!(" · filter: {}", state.filter.0)));
    }
    second.push(Span::raw(format!(" · Python {}", info.python)));
    let first = vec![
        Span::styled("wsgiscope ", TITLE),
        Span::raw(format!("http://{} · try: ", info.address)),
        Span::styled(
            format!("telnet {} {}", info.address.ip(), info.address.port()),
            Style::new().fg(Color::Green),
        ),
        Span::raw(format!(" · app {}", info.app)),
    ];
    let width = usize::from(area.width);
    let text = vec![fit(first, width), fit(second, width)];
    frame.render_widget(Paragraph::new(text), area);
}

/// `n` and the noun, plural unless `n` is 1: "1 request", "2 requests".
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// How many columns `text` takes. (Every character the inspector draws in these lines is
/// one column wide: ASCII, `·`, `…`, `⚠`.)
fn columns(text: &str) -> usize {
    text.chars().count()
}

/// `spans` cut to `width` columns, ending in a `…` when something was left out: a cut is
/// never silent.
pub(super) fn fit(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let total: usize = spans.iter().map(|s| columns(&s.content)).sum();
    if total <= width {
        return Line::from(spans);
    }
    let mut room = width.saturating_sub(1);
    let mut kept = Vec::new();
    for span in spans {
        let n = columns(&span.content);
        if n <= room {
            room -= n;
            kept.push(span);
            continue;
        }
        let part: String = span.content.chars().take(room).collect();
        kept.push(Span::styled(part, span.style));
        break;
    }
    kept.push(Span::styled("…", DIM));
    Line::from(kept)
}

fn render_footer(state: &State, frame: &mut Frame, area: Rect) {
    let line = match &state.typing {
        Some(text) => Line::from(vec![
            Span::styled("filter: ", TITLE),
            Span::raw(text.clone()),
            Span::styled("█", DIM),
            Span::styled("  GET, /path part, 4xx · Enter keeps · Esc drops", DIM),
        ]),
        None => {
            let keys = if state.stepping {
                "Space/n next phase · r run the rest · s leave step mode · ? help · q quit"
            } else if state.maximised {
                "↑↓ move · PgUp/PgDn scroll · h hex · 1-5 views · Esc back · ? help · q quit"
            } else {
                "1-5 views · Enter maximise · / filter · s step · x export · ? help · q quit"
            };
            Line::styled(keys, DIM)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The status code, coloured by class.
fn status_span(entry: &Entry) -> Span<'static> {
    match entry.exchange.status {
        Some(s) => {
            let colour = match s / 100 {
                2 => Color::Green,
                3 => Color::Cyan,
                4 => Color::Yellow,
                5 => Color::Red,
                _ => Color::Blue,
            };
            Span::styled(s.to_string(), Style::new().fg(colour))
        }
        None if entry.not_shown => Span::styled("?", Style::new().fg(Color::Yellow)),
        None if entry.finished => Span::styled("---", Style::new().fg(Color::Red)),
        None => Span::styled("…", Style::new().fg(Color::Yellow)),
    }
}

/// A duration the way a person reads it: 85µs, 1.2ms, 3.4s.
pub fn human(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{:.1}s", us as f64 / 1e6)
    }
}

/// The list's columns, on a wide screen and on a narrow one: what each holds, and how wide
/// it is. Narrow, the time loses its milliseconds and only the server's time is shown (the
/// raw request view and the timeline say how long the client took); narrower still (the list
/// beside a lesson), the client's address goes too, and `conn` tells the connections apart.
struct Columns {
    wide: bool,
    client: bool,
}

/// Lists at least this wide show the client's address (`127.0.0.1:50001`) whole.
const CLIENT_COLUMN_WIDTH: u16 = 76;

impl Columns {
    fn for_width(width: u16) -> Self {
        Columns {
            wide: width >= SIDE_BY_SIDE_WIDTH,
            client: width >= CLIENT_COLUMN_WIDTH,
        }
    }

    fn titles(&self) -> Vec<&'static str> {
        let mut titles = vec!["time", "client", "conn", "method", "path", "sts", "bytes"];
        if !self.client {
            titles.remove(1);
        }
        if self.wide {
            titles.push("arrived in");
        }
        titles.push("served in");
        titles
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut widths = if self.wide {
            vec![
                Constraint::Length(12),
                Constraint::Length(21),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Min(8),
                Constraint::Length(3),
                Constraint::Length(10),
                // "arrived in", or "wait 12.3s".
                Constraint::Length(10),
            ]
        } else {
            vec![
                Constraint::Length(8),
                Constraint::Length(15),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Min(8),
                Constraint::Length(3),
                Constraint::Length(7),
            ]
        };
        if !self.client {
            widths.remove(1);
        }
        // Room for the longest phase name, `finish_response`, while it runs.
        widths.push(Constraint::Length(15));
        widths
    }

    /// The path column's width in a list `width` columns wide, as the table lays it out.
    fn path_width(&self, width: u16) -> usize {
        let rects = Layout::horizontal(self.widths())
            .flex(Flex::Start)
            .spacing(1)
            .split(Rect::new(0, 0, width, 1));
        usize::from(rects[if self.client { 4 } else { 3 }].width)
    }
}

fn render_list(state: &State, frame: &mut Frame, area: Rect) {
    let visible: Vec<&Entry> = state.visible().collect();
    let title = format!(
        " exchanges {}{} ",
        if visible.len() == state.entries.len() {
            format!("{}", visible.len())
        } else {
            format!("{} of {}", visible.len(), state.entries.len())
        },
        if state.follow {
            " · following newest"
        } else {
            " · f follows"
        }
    );
    let block = panel(Line::styled(title, TITLE));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The column titles take a row of their own, on every screen.
    let rows_fit = (inner.height as usize).saturating_sub(1).max(1);
    let selected = state
        .selected
        .and_then(|id| visible.iter().position(|e| e.exchange.id == id));
    // Only the rows on screen are built: the list may hold thousands.
    let start = selected
        .unwrap_or(visible.len().saturating_sub(1))
        .saturating_sub(rows_fit - 1)
        .min(visible.len().saturating_sub(rows_fit));
    let columns = Columns::for_width(area.width);
    let path_width = columns.path_width(inner.width);
    let rows = visible[start..]
        .iter()
        .take(rows_fit)
        .map(|e| list_row(state, e, &columns, path_width));
    let table = Table::new(rows, columns.widths())
        .flex(Flex::Start)
        .row_highlight_style(Style::new().bg(Color::DarkGray))
        .header(Row::new(columns.titles()).style(DIM));
    let mut table_state = TableState::default().with_selected(selected.map(|s| s - start));
    frame.render_stateful_widget(table, inner, &mut table_state);
}

fn list_row<'a>(state: &State, e: &'a Entry, columns: &Columns, path_width: usize) -> Row<'a> {
    let ex = &e.exchange;
    let waiting = state.waiting(e);
    let quiet = match waiting {
        Some((w, quiet)) if w != Waiting::Turn && quiet >= Duration::from_secs(1) => Some(quiet),
        _ => None,
    };
    // The server's time, or what it does now.
    let served = match waiting {
        // Complete, and behind the request the app is serving: one at a time.
        Some((Waiting::Turn, _)) => Span::styled("queued", Style::new().fg(Color::Yellow)),
        _ if quiet.is_some() && !columns.wide => Span::styled(
            format!("wait {}", human(quiet.unwrap_or_default())),
            Style::new().fg(Color::Yellow),
        ),
        _ if !e.finished => Span::styled(
            e.phase.map_or("reading", Phase::name).to_string(),
            Style::new().fg(Color::Yellow),
        ),
        _ if e.not_shown => Span::styled("not shown", Style::new().fg(Color::Yellow)),
        _ => Span::raw(human(ex.timings.total())),
    };
    // The client's time: how long the request took to arrive, or how long it has been silent.
    let arrived = match quiet {
        Some(quiet) => Span::styled(
            format!("wait {}", human(quiet)),
            Style::new().fg(Color::Yellow),
        ),
        None if e.finished && !e.not_shown => Span::raw(human(ex.timings.receiving)),
        None => Span::raw(""),
    };
    let path = Span::raw(ex.target.clone().unwrap_or_else(|| {
        if e.finished {
            ex.request_line()
        } else {
            String::new()
        }
    }));
    // The badge goes first, where a narrow column cannot cut it off; a cut path ends in `…`.
    let path = if ex.checks.is_empty() {
        fit(vec![path], path_width)
    } else {
        fit(
            vec![
                Span::styled(format!("⚠{} ", ex.checks.len()), FINDING),
                path,
            ],
            path_width,
        )
    };
    let time = clock(&ex.started);
    let mut cells = vec![
        Cell::from(if columns.wide {
            time
        } else {
            // Without the milliseconds: "10:00:02".
            time.chars().take(8).collect()
        }),
        // Which connection, and which request on it: "3·2" is the second request that
        // connection 3 carried (--keep-alive); a trailing "+" says it stayed open after.
        Cell::from(format!(
            "{}·{}{}",
            ex.connection.id,
            ex.connection.request,
            if ex.connection.kept_open { "+" } else { "" }
        )),
        Cell::from(ex.method.clone().unwrap_or_default()),
        Cell::from(path),
        Cell::from(status_span(e)),
        Cell::from(if ex.status.is_some() {
            ex.body_bytes.to_string()
        } else {
            String::new()
        }),
    ];
    if columns.client {
        cells.insert(1, Cell::from(ex.client.to_string()));
    }
    if columns.wide {
        cells.push(Cell::from(arrived));
    }
    cells.push(Cell::from(served));
    Row::new(cells)
}

/// The detail panel: the selected exchange in the view chosen with 1-5 (see [`View`]).
///
/// Before any exchange it says how to send one; for an exchange whose record never came (the
/// inspector fell behind) only the raw request is true, and every other view says so.
fn render_detail(state: &State, frame: &mut Frame, area: Rect) {
    let block = panel(detail_title(state));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(entry) = state.selected_entry() else {
        frame.render_widget(no_exchange_hint(state), inner);
        return;
    };
    if entry.not_shown && state.view != View::Request {
        // Whatever the other views would say of a finished exchange would not be true.
        let note = Paragraph::new(NOT_SHOWN).wrap(Wrap { trim: false });
        frame.render_widget(note.style(Style::new().fg(Color::Yellow)), inner);
        return;
    }
    match state.view {
        View::Request => scrolled(frame, inner, request_text(state, entry), state.scroll),
        View::Environ => render_environ(state, entry, frame, inner),
        View::StartResponse => scrolled(frame, inner, start_response_text(entry), state.scroll),
        View::Response => scrolled(frame, inner, response_text(state, entry), state.scroll),
        View::Checks => scrolled(frame, inner, checks_text(entry), state.scroll),
    }
}

/// The detail panel's title: the five views as tabs (the current one reversed), the selected
/// exchange's number, and `hex` when the bytes show as a hex dump.
fn detail_title(state: &State) -> Line<'static> {
    let mut title = vec![];
    for (i, view) in View::ALL.into_iter().enumerate() {
        let label = format!(" {} {} ", i + 1, view.title());
        title.push(if view == state.view {
            Span::styled(
                label,
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )
        } else {
            Span::styled(label, DIM)
        });
    }
    if let Some(e) = state.selected_entry() {
        title.push(Span::raw(format!(" #{}", e.exchange.id)));
    }
    if state.hex && matches!(state.view, View::Request | View::Response) {
        title.push(Span::styled(" hex", HIGHLIGHT));
    }
    Line::from(title)
}

/// Before the first exchange: how to send one, with curl or by hand with telnet.
fn no_exchange_hint(state: &State) -> Paragraph<'static> {
    let hint = format!(
        "No exchange yet. Send one:  curl -i http://{}/   or   telnet {} {}",
        state.info.address,
        state.info.address.ip(),
        state.info.address.port()
    );
    Paragraph::new(hint).style(DIM).wrap(Wrap { trim: false })
}

/// View 1: the request's bytes as the client sent them, then what the server waits for (while
/// it reads them), or how long the client took to send them and the server to answer.
fn request_text(state: &State, entry: &Entry) -> Text<'static> {
    let mut text = wire_text(&entry.exchange.request_raw, &[], state.hex);
    if entry.not_shown {
        text.push_line(Line::styled(NOT_SHOWN, Style::new().fg(Color::Yellow)));
    }
    if let Some(awaited) = awaited(state, entry) {
        text.push_line(Line::styled(awaited, Style::new().fg(Color::Yellow)));
    } else if entry.finished && !entry.not_shown {
        let timings = &entry.exchange.timings;
        text.push_line(Line::styled(
            format!(
                "(the client sent these bytes in {}, from the first to the last; the server's \
                 phases then took {})",
                human(timings.receiving),
                human(timings.total())
            ),
            DIM,
        ));
    }
    text
}

/// View 4: the response's bytes as sent, what findings point at lit, under a line that says
/// how the client knows where the body ends and what became of the connection.
fn response_text(state: &State, entry: &Entry) -> Text<'static> {
    let ex = &entry.exchange;
    if ex.response_raw.total == 0 {
        return Text::styled(
            if entry.finished {
                "Nothing was sent: the connection closed without a response."
            } else {
                "Nothing sent yet."
            },
            DIM,
        );
    }
    let mut text = wire_text(&ex.response_raw, &response_highlights(ex), state.hex);
    if let Some(framing) = ex.framing {
        let connection = if ex.connection.kept_open {
            "the connection stays open for the next request"
        } else {
            "then the connection closes"
        };
        let line = format!("body: {}; {connection}", framing.explain());
        text.lines.insert(0, Line::styled(line, DIM));
    }
    text
}

/// What the server waits for now, said for the state the request is in: step mode's pause
/// before it is parsed, the rest of the request line, more header lines, body bytes, its
/// turn. None when it waits for nothing.
fn awaited(state: &State, entry: &Entry) -> Option<String> {
    let id = entry.exchange.id;
    if state.paused == Some((id, Phase::ParseRequest)) {
        return Some(
            "… step mode: the server is paused before parse_request; Space parses the bytes \
             received so far"
                .into(),
        );
    }
    let (waiting, quiet) = state.waiting(entry)?;
    let what = match waiting {
        Waiting::Head if entry.exchange.request_raw.total == 0 => "the request's first byte".into(),
        Waiting::Head if entry.exchange.method.is_none() => {
            "the rest of the request line (method, target, version) and its line end".into()
        }
        Waiting::Head => "more header lines, or the blank line that ends the headers".into(),
        other => other.to_string(),
    };
    Some(format!(
        "… the server waits for {what} (quiet for {})",
        human(quiet)
    ))
}

/// The Checks view: each finding with its rule, what happened, why the rule exists, how to
/// fix it, and which view shows the offending part (lit there).
fn checks_text(entry: &Entry) -> Text<'static> {
    let ex = &entry.exchange;
    if ex.checks.is_empty() {
        return Text::styled(
            if entry.finished {
                "No findings: this exchange broke none of the rules wsgiscope checks \
                 (src/checks.rs)."
            } else {
                "No findings so far; the checks are complete when the exchange is."
            },
            DIM,
        );
    }
    let mut lines = Vec::new();
    for (i, check) in ex.checks.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        let rule = check.rule();
        let about = match rule.map(|r| r.about) {
            Some(About::Note) => "note",
            _ => "mistake",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("⚠ {}", check.rule), FINDING),
            Span::styled(format!("  {about} · {}", check.reference), DIM),
        ]));
        lines.push(Line::raw(format!("  {}", check.message)));
        if let Some(rule) = rule {
            lines.push(Line::from(vec![
                Span::styled("  why: ", TITLE),
                Span::raw(rule.explanation),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled("  fix: ", TITLE),
            Span::raw(check.fix),
        ]));
        if let Some(spot) = &check.at {
            lines.push(Line::styled(format!("  see: {}", spot_text(spot)), DIM));
        }
    }
    Text::from(lines)
}

/// Where a finding points, in words, with the view that lights it.
fn spot_text(spot: &Spot) -> String {
    match spot {
        Spot::Status { call } => format!("3 start_response, the status of call {}", call + 1),
        Spot::Header { call, index, name } => format!(
            "3 start_response, header {}{} of call {}",
            index + 1,
            if name.is_empty() {
                String::new()
            } else {
                format!(" ({name})")
            },
            call + 1
        ),
        Spot::ExcInfo { call } => format!("3 start_response, exc_info of call {}", call + 1),
        Spot::Write { index } => format!("3 start_response, write() call {}", index + 1),
        Spot::Chunk { index, offset } => format!(
            "4 response, body chunk {} (from body byte {offset})",
            index + 1
        ),
        Spot::SentHeader { name } => format!("4 response, the {name} header"),
    }
}

/// The byte ranges of the response that findings point at: a header line by name, the status
/// line (when the app's status went out), a body chunk onwards.
pub fn response_highlights(ex: &Exchange) -> Vec<Range<usize>> {
    let raw = &ex.response_raw.stored;
    let Some(head_end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let lines = || {
        let mut start = 0;
        raw[..head_end].split(|&b| b == b'\n').map(move |line| {
            let range = start..start + line.strip_suffix(b"\r").unwrap_or(line).len();
            start += line.len() + 1;
            range
        })
    };
    let mut out = Vec::new();
    for check in &ex.checks {
        match &check.at {
            Some(Spot::SentHeader { name } | Spot::Header { name, .. }) if !name.is_empty() => {
                let wanted = format!("{}:", name.to_ascii_lowercase());
                out.extend(lines().skip(1).filter(|r| {
                    raw[r.clone()]
                        .to_ascii_lowercase()
                        .starts_with(wanted.as_bytes())
                }));
            }
            Some(Spot::Status { call }) => {
                let sent = ex
                    .start_response
                    .get(*call)
                    .is_some_and(|c| raw.starts_with(format!("HTTP/1.1 {}", c.status).as_bytes()));
                if sent {
                    out.extend(lines().next());
                }
            }
            Some(Spot::Chunk { offset, .. }) => {
                let start = head_end + 4 + *offset as usize;
                if start < raw.len() {
                    out.push(start..raw.len());
                }
            }
            _ => {}
        }
    }
    out
}

/// A paragraph, wrapped, scrolled by `scroll` lines but never past its end.
fn scrolled(frame: &mut Frame, area: Rect, text: Text<'_>, scroll: u16) {
    // About how many rows the wrapped text takes (word wrapping may take a few more).
    let width = usize::from(area.width.max(1));
    let rows: usize = text
        .lines
        .iter()
        .map(|l| l.width().div_ceil(width).max(1))
        .sum();
    let scroll = scroll.min((rows as u16).saturating_sub(area.height));
    let paragraph = Paragraph::new(text).wrap(Wrap { trim: false });
    frame.render_widget(paragraph.scroll((scroll, 0)), area);
}

/// How one byte is drawn: as itself, as a line-end mark, or as an escape.
fn byte_class(b: u8) -> (Style, String) {
    match b {
        b'\r' => (MARK, "\\r".into()),
        b'\n' => (MARK, "\\n".into()),
        b'\t' => (MARK, "\\t".into()),
        b'\\' => (ESCAPE, "\\\\".into()),
        0x20..=0x7e => (Style::new(), (b as char).to_string()),
        _ => (ESCAPE, format!("\\x{b:02x}")),
    }
}

/// Wire bytes as lines: `\r` `\n` visible, the line break kept, other bytes escaped, and the
/// `highlight` ranges lit.
pub fn wire_lines(bytes: &[u8], offset: usize, highlight: &[Range<usize>]) -> Vec<Line<'static>> {
    let lit = |i: usize| highlight.iter().any(|r| r.contains(&(offset + i)));
    let mut lines = Vec::new();
    let mut start = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut run = String::new();
        let mut run_style = None;
        for (i, &b) in line.iter().enumerate() {
            let (mut style, text) = byte_class(b);
            if lit(start + i) {
                style = style.patch(HIGHLIGHT);
            }
            if run_style != Some(style) {
                if let Some(s) = run_style {
                    spans.push(Span::styled(std::mem::take(&mut run), s));
                }
                run_style = Some(style);
            }
            run.push_str(&text);
        }
        if let Some(s) = run_style {
            spans.push(Span::styled(run, s));
        }
        lines.push(Line::from(spans));
        start += line.len();
    }
    lines
}

/// A `hexdump -C` style dump: offset, sixteen bytes in hex, the same bytes as text.
pub fn hex_lines(bytes: &[u8], highlight: &[Range<usize>]) -> Vec<Line<'static>> {
    bytes
        .chunks(HEX_ROW)
        .enumerate()
        .map(|(row, chunk)| {
            let base = row * HEX_ROW;
            let lit = |i: usize| highlight.iter().any(|r| r.contains(&(base + i)));
            let mut spans = vec![Span::styled(format!("{base:08x}  "), DIM)];
            for i in 0..HEX_ROW {
                let text = chunk
                    .get(i)
                    .map_or("   ".to_string(), |b| format!("{b:02x} "));
                let style = if i < chunk.len() && lit(i) {
                    HIGHLIGHT
                } else {
                    Style::new()
                };
                spans.push(Span::styled(text, style));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if (0x20..=0x7e).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            spans.push(Span::styled(format!(" |{ascii}|"), DIM));
            Line::from(spans)
        })
        .collect()
}

fn wire_text(bytes: &CappedBytes, highlight: &[Range<usize>], hex: bool) -> Text<'static> {
    let mut lines = if hex {
        hex_lines(&bytes.stored, highlight)
    } else {
        wire_lines(&bytes.stored, 0, highlight)
    };
    if bytes.cut() > 0 {
        lines.push(Line::styled(
            format!(
                "… {} more bytes (only the first {} are kept)",
                bytes.cut(),
                bytes.stored.len()
            ),
            DIM,
        ));
    }
    Text::from(lines)
}

/// View 2: the environ the app was called with, and where the key under the cursor came from.
///
/// The keys are listed grouped (CGI, HTTP_*, wsgi.*), the cursor's line reversed; beside them
/// on a wide screen, or under them on a narrow one, the request's bytes that key was made of
/// are lit (or a line says where else it came from: the server's options, the TCP connection).
fn render_environ(state: &State, entry: &Entry, frame: &mut Frame, area: Rect) {
    let ex = &entry.exchange;
    let environ = grouped_environ(ex);
    if environ.is_empty() {
        let why = if entry.finished {
            "No environ: the request never reached get_environ (see the raw request and the log)."
        } else {
            "Not built yet: get_environ runs after parse_request."
        };
        frame.render_widget(Paragraph::new(why).style(DIM), area);
        return;
    }
    let cursor = state.environ_cursor.min(environ.len() - 1);
    let key = environ[cursor].1;
    let side_by_side = area.width >= SIDE_BY_SIDE_WIDTH;
    let (list_area, source_area) = if side_by_side {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        (l, r)
    } else {
        let [l, r] = Layout::vertical([Constraint::Min(2), Constraint::Length(3)]).areas(area);
        (l, r)
    };

    let (lines, cursor_line) = environ_lines(&environ, cursor);
    // Scroll only when the cursor's line would fall below the list, and then just enough to
    // show it on the last row.
    let height = list_area.height as usize;
    let scroll = cursor_line.saturating_sub(height.saturating_sub(1));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), list_area);

    let source = source_of(key, &ex.request_raw.stored, ex.spans.as_ref());
    let from = came_from_lines(state, key, &source, &ex.request_raw.stored, side_by_side);
    let mut paragraph = Paragraph::new(from).wrap(Wrap { trim: false });
    if side_by_side {
        paragraph = paragraph.block(Block::new().borders(Borders::LEFT).border_style(DIM));
    }
    frame.render_widget(paragraph, source_area);
}

/// The environ, one `key = value` a line under its group's title, each group's keys in their
/// own colour, the line of key number `cursor` reversed; and which line that is.
fn environ_lines(environ: &[(Group, &str, &str)], cursor: usize) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut cursor_line = 0;
    let mut group = None;
    for (i, (g, k, v)) in environ.iter().enumerate() {
        if group != Some(*g) {
            lines.push(Line::styled(g.title(), TITLE.fg(Color::Blue)));
            group = Some(*g);
        }
        if i == cursor {
            cursor_line = lines.len();
        }
        let style = if i == cursor {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        let key_style = match g {
            Group::Cgi => Style::new().fg(Color::Green),
            Group::Http => Style::new().fg(Color::Cyan),
            Group::Wsgi => Style::new().fg(Color::Magenta),
        };
        lines.push(
            Line::from(vec![
                Span::styled(format!("  {k}"), key_style),
                Span::raw(" = "),
                Span::raw(v.to_string()),
            ])
            .style(style),
        );
    }
    (lines, cursor_line)
}

/// Where `key` came from: a title, then the request's bytes (`raw`) with the ones it was made
/// of lit, or why it came from elsewhere. Side by side there is room for the whole request;
/// under the list, only the lines that hold lit bytes.
fn came_from_lines(
    state: &State,
    key: &str,
    source: &Source,
    raw: &[u8],
    side_by_side: bool,
) -> Vec<Line<'static>> {
    let mut from = vec![Line::from(vec![
        Span::styled(format!("{key} "), TITLE),
        Span::styled("came from", DIM),
        Span::styled(
            if state.maximised {
                ""
            } else {
                "  (Enter, then ↑↓: other keys)"
            },
            DIM,
        ),
    ])];
    match source {
        Source::Elsewhere(why) => from.push(Line::styled(why.to_string(), DIM)),
        Source::Bytes(ranges) if side_by_side => from.extend(wire_lines(raw, 0, ranges)),
        Source::Bytes(ranges) => {
            let mut start = 0;
            for line in raw.split_inclusive(|&b| b == b'\n') {
                let end = start + line.len();
                if ranges.iter().any(|r| r.start < end && r.end > start) {
                    from.extend(wire_lines(line, start, ranges));
                }
                start = end;
            }
        }
    }
    from
}

/// A Python str literal for a header name or value (they are latin-1 `str`s).
fn py_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// View 3: what the app did with the server's two callables, written as the Python it ran.
///
/// From top to bottom: why there is nothing to show (when there is not), each
/// `start_response(status, headers, exc_info)` call as a literal, the `write()` calls, and how
/// the app ended (what it returned, the server's errors, a traceback). A line a finding points
/// at is lit, so the Checks view's "see: 3 start_response, …" can be found at a glance.
fn start_response_text(entry: &Entry) -> Text<'static> {
    let ex = &entry.exchange;
    let app_called = !entry.finished || ex.timings.reached(Phase::Application);
    let mut lines: Vec<Line<'static>> = no_call_note(entry, app_called).into_iter().collect();
    let several = ex.start_response.len() > 1;
    for (i, call) in ex.start_response.iter().enumerate() {
        if several {
            lines.push(Line::styled(
                format!("call {} of {}", i + 1, ex.start_response.len()),
                DIM,
            ));
        }
        lines.extend(call_lines(ex, i, call));
    }
    if app_called {
        let writes_lit = points_at(ex, |s| matches!(s, Spot::Write { .. }));
        lines.push(lit(writes_line(entry), writes_lit));
    }
    lines.extend(how_the_app_ended(entry));
    Text::from(lines)
}

/// Why view 3 shows no call, if it shows none: the app was never called (a refused request:
/// then nothing of write() or a body it never made follows either), or it has not called
/// start_response (yet).
fn no_call_note(entry: &Entry, app_called: bool) -> Option<Line<'static>> {
    let note = if !app_called {
        "The app was not called: the request never got past parse_request (the error below, \
         and view 1, say why)."
    } else if !entry.exchange.start_response.is_empty() {
        return None;
    } else if entry.finished {
        "The app never called start_response."
    } else {
        "Not called yet: the app calls start_response(status, headers) when it runs."
    };
    Some(Line::styled(note, DIM))
}

/// Whether any finding of `ex` points at a spot `wanted` picks.
fn points_at(ex: &Exchange, wanted: impl Fn(&Spot) -> bool) -> bool {
    ex.checks.iter().any(|c| c.at.as_ref().is_some_and(&wanted))
}

/// `line`, lit when a finding points at it (`on`).
fn lit(line: Line<'static>, on: bool) -> Line<'static> {
    if on { line.style(HIGHLIGHT) } else { line }
}

/// Call number `i` (from 0) to start_response, as the Python literal the app passed: the
/// status, one header pair a line, exc_info, and the exception it raised if it broke a rule.
fn call_lines(ex: &Exchange, i: usize, call: &StartResponseCall) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let status_lit = points_at(ex, |s| matches!(s, Spot::Status { call } if *call == i));
    lines.push(lit(
        Line::from(vec![
            Span::styled("start_response", TITLE),
            Span::raw("("),
            Span::styled(py_str(&call.status), Style::new().fg(Color::Green)),
            Span::raw(", ["),
        ]),
        status_lit,
    ));
    for (j, (name, value)) in call.headers.iter().enumerate() {
        let header_lit = points_at(
            ex,
            |s| matches!(s, Spot::Header { call, index, .. } if *call == i && *index == j),
        );
        lines.push(lit(
            Line::from(vec![
                Span::raw("    ("),
                Span::styled(py_str(name), Style::new().fg(Color::Cyan)),
                Span::raw(", "),
                Span::raw(py_str(value)),
                Span::raw("),"),
            ]),
            header_lit,
        ));
    }
    let exc_info_lit = points_at(ex, |s| matches!(s, Spot::ExcInfo { call } if *call == i));
    lines.push(lit(
        Line::raw(format!(
            "], exc_info={})",
            call.exc_info.as_deref().unwrap_or("None")
        )),
        exc_info_lit,
    ));
    if let Some(error) = &call.error {
        lines.push(Line::styled(
            format!("  ↳ raised {error}"),
            Style::new().fg(Color::Red),
        ));
    }
    lines
}

/// The `write()` calls of an app that was called: how many, and the size of each (the first
/// few); none says where the body came from instead.
fn writes_line(entry: &Entry) -> Line<'static> {
    let ex = &entry.exchange;
    let raised = ex.traceback.is_some();
    Line::raw(match ex.write_calls {
        0 if raised => "write() calls: none; the app raised (the traceback is below), so what \
                        body went out, if any, is in view 4"
            .to_string(),
        0 if !entry.finished => "write() calls: none so far".to_string(),
        0 => "write() calls: none (the body came from the returned iterable)".to_string(),
        n => format!(
            "write() calls: {n}, of {} bytes{}",
            ex.writes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if n > ex.writes.len() as u64 {
                " (the first sizes shown)"
            } else {
                ""
            }
        ),
    })
}

/// How the app ended: what it returned, the errors the server found, and its traceback.
fn how_the_app_ended(entry: &Entry) -> Vec<Line<'static>> {
    let ex = &entry.exchange;
    let mut lines = Vec::new();
    if let Some(result) = &entry.app_result {
        lines.push(Line::raw(format!("the app returned: {result}")));
    }
    for error in &ex.errors {
        lines.push(Line::styled(
            format!("error [{}]: {}", error.rule, error.message),
            Style::new().fg(Color::Red),
        ));
    }
    if let Some(tb) = &ex.traceback {
        lines.push(Line::styled("traceback:", Style::new().fg(Color::Red)));
        lines.extend(tb.lines().map(|l| Line::raw(format!("  {l}"))));
    }
    lines
}

fn render_timeline(state: &State, frame: &mut Frame, area: Rect) {
    let Some(entry) = state.selected_entry() else {
        frame.render_widget(Paragraph::new(""), area);
        return;
    };
    let wide = area.width >= SIDE_BY_SIDE_WIDTH;
    let arrow = if wide { " ▸ " } else { "  " };
    let current = entry.phase.map(|p| Phase::ALL.iter().position(|&q| q == p));
    let timings = &entry.exchange.timings;
    let mut spans = vec![];
    let mut not_reached = vec![];
    for (i, phase) in Phase::ALL.into_iter().enumerate() {
        let took = timings.of(phase);
        let (text, style) = match current {
            _ if entry.not_shown => (phase.name().to_string(), DIM),
            // A refused request never reached the phases after parse_request; an app that
            // raised, finish_response: said once, after the phases that ran.
            _ if entry.finished && !timings.reached(phase) => {
                not_reached.push(phase.name());
                continue;
            }
            _ if entry.finished => (format!("{} {}", phase.name(), human(took)), Style::new()),
            Some(Some(c)) if c == i => (phase.name().to_string(), HIGHLIGHT),
            Some(Some(c)) if c > i => (phase.name().to_string(), Style::new().fg(Color::Green)),
            _ => (phase.name().to_string(), DIM),
        };
        if !spans.is_empty() {
            spans.push(Span::styled(arrow, DIM));
        }
        spans.push(Span::styled(text, style));
    }
    if !not_reached.is_empty() {
        if !spans.is_empty() {
            spans.push(Span::styled(arrow, DIM));
        }
        spans.push(Span::styled(
            format!("not reached: {}", not_reached.join(", ")),
            DIM,
        ));
    }
    if entry.finished && !entry.not_shown && wide {
        spans.push(Span::styled(
            format!(
                "   served in {} · arrived in {}",
                human(timings.total()),
                human(timings.receiving)
            ),
            DIM,
        ));
    }
    frame.render_widget(Paragraph::new(fit(spans, usize::from(area.width))), area);
}

/// How wide the log's first column is: who wrote the line (`#12 wsgi.errors`), right-aligned.
const LOG_WHO: usize = 14;

/// The newest log lines (at most `lines` of them) as rows of a log `width` columns wide, at
/// most `most` rows, oldest first. A line longer than the log wraps, its later rows under its text: an error's
/// explanation or the export's curl command is read whole, not cut at the edge.
fn log_rows(state: &State, width: u16, most: usize, lines: usize) -> Vec<Line<'static>> {
    let room = usize::from(width).saturating_sub(LOG_WHO + 1).max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    for l in state.log.iter().rev().take(lines) {
        if rows.len() >= most {
            break;
        }
        let who = match l.exchange {
            Some(id) => format!("#{id} {}", l.stream),
            None => l.stream.clone(),
        };
        let style = match l.stream.as_str() {
            "error" | "stderr" => Style::new().fg(Color::Red),
            "inspector" => Style::new().fg(Color::Green),
            _ => Style::new(),
        };
        let mut line_rows: Vec<Line<'static>> = wrap_plain(&l.text, room)
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let lead = if i == 0 {
                    format!("{who:>LOG_WHO$} ")
                } else {
                    " ".repeat(LOG_WHO + 1)
                };
                Line::from(vec![Span::styled(lead, DIM), Span::styled(part, style)])
            })
            .collect();
        line_rows.append(&mut rows);
        rows = line_rows;
    }
    // The newest rows: a line taller than the log shows its end.
    let extra = rows.len().saturating_sub(most);
    rows.split_off(extra)
}

/// `text` cut into rows of at most `width` characters, at spaces where it can be, inside a
/// word where the word alone is wider.
fn wrap_plain(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let used = row.chars().count();
        if used > 0 && used + 1 + word.len() > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        while row.chars().count() + word.len() > width {
            let fits = width - row.chars().count();
            row.extend(word.drain(..fits));
            rows.push(std::mem::take(&mut row));
        }
        row.extend(word);
    }
    rows.push(row);
    rows
}

fn render_log(state: &State, frame: &mut Frame, area: Rect) {
    let block = panel(Line::styled(" log: app output and server notes ", TITLE));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = log_rows(state, inner.width, usize::from(inner.height), usize::MAX);
    frame.render_widget(Paragraph::new(rows), inner);
}

fn render_step(state: &State, frame: &mut Frame, area: Rect) {
    let block = panel(Line::styled(" step mode ", HIGHLIGHT));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match state.paused {
        Some((id, phase)) => {
            let e = explain(phase);
            vec![
                Line::from(vec![
                    Span::raw(format!("#{id} paused. Next: ")),
                    Span::styled(e.signature, TITLE.fg(Color::Yellow)),
                ]),
                Line::raw(e.what),
                Line::styled(
                    "Space/n: run it · r: run the rest of this request · s: leave step mode",
                    DIM,
                ),
            ]
        }
        None => vec![
            Line::raw("The server will pause before each phase of the next request:"),
            Line::raw("parse_request, get_environ, the app call, finish_response."),
            Line::styled("Send a request; s leaves step mode.", DIM),
        ],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_help(frame: &mut Frame, area: Rect) {
    let width = area.width.min(90).saturating_sub(2);
    let height = (HELP.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<11}"), TITLE.fg(Color::Yellow)),
                Span::raw(*what),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Line::styled(" keys · any key closes ", TITLE))),
        popup,
    );
}
