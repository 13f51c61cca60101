//! The inspector's state: everything the screen shows, as plain data.
//!
//! The inspector is three separate things: this state, the events that change it, and the
//! drawing that reads it. The server's events ([`Message`]) and the keys ([`Command`]) go in
//! through [`State::on_message`] and [`State::on_command`]; `ui::render` only reads. Nothing
//! here touches the terminal, a socket or Python, so the tests can drive a `State` by hand and
//! check what it holds.
//!
//! An exchange appears as soon as its connection is accepted ([`Entry`]), grows as bytes and
//! phases arrive, and is replaced by the server's full record when it finishes. History is
//! bounded: the oldest entries go after [`MAX_EXCHANGES`], and an entry's live bytes are kept in
//! the same [`crate::exchange::CappedBytes`] the record uses.
//!
//! Messages can be missing: the server drops what the channel has no room for rather than wait
//! (see [`super::InspectorObserver`]). A missing piece of news is made good by the record; a
//! missing record would leave its entry under way for ever, so the server says which records it
//! dropped and [`State::lost`] closes their entries ([`NOT_SHOWN`]). (No order of events could
//! tell: the server reads many requests at once.)

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use chrono::{DateTime, Local};
use ratatui::layout::Rect;

use crate::exchange::{ConnectionCounts, Event, Exchange, OutputLine, Phase, Waiting};

use super::keys::Command;
use super::lesson::LessonPanel;

/// How many exchanges the list keeps; older ones are dropped (a measured choice: 5,000 records
/// of a small app take a few tens of MiB, and nobody scrolls further back).
pub const MAX_EXCHANGES: usize = 5_000;

/// What the detail of an entry whose record never arrived says ([`Entry::not_shown`]).
pub const NOT_SHOWN: &str = "Not shown: the inspector fell behind the server and dropped the rest \
     of this exchange. The server served it; only what arrived before is here.";

/// How many lines the log view keeps.
pub const MAX_LOG_LINES: usize = 1_000;

/// How far PgUp/PgDn scroll, in lines, and the mouse wheel.
pub const PAGE: u16 = 10;
pub const WHEEL: u16 = 3;

/// What the inspector's channel carries: the server's events, and the step gate's word that
/// the server now waits.
#[derive(Debug, Clone)]
pub enum Message {
    Server(Event),
    /// The server is paused before `phase` of exchange `id` (step mode).
    Paused {
        id: u64,
        phase: Phase,
    },
    /// A line the app wrote while serving exchange `id`, sent the moment it was written
    /// (see [`crate::python::forward_output`]); the finished record brings it again.
    Output {
        id: u64,
        line: OutputLine,
    },
}

/// The five detail views of the selected exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// 1: the request bytes as received.
    Request,
    /// 2: the environ, grouped, and where each key came from.
    Environ,
    /// 3: the start_response calls, write() calls and what the app returned.
    StartResponse,
    /// 4: the response bytes as sent.
    Response,
    /// 5: the findings of the checks: each rule broken, why it exists, how to fix it.
    Checks,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Request,
        View::Environ,
        View::StartResponse,
        View::Response,
        View::Checks,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Request => "raw request",
            View::Environ => "environ",
            View::StartResponse => "start_response",
            View::Response => "response",
            View::Checks => "checks",
        }
    }

    fn next(self) -> View {
        match self {
            View::Request => View::Environ,
            View::Environ => View::StartResponse,
            View::StartResponse => View::Response,
            View::Response => View::Checks,
            View::Checks => View::Request,
        }
    }
}

/// What the header line says about the server; fixed at start.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub address: SocketAddr,
    pub app: String,
    pub python: String,
}

/// One exchange in the list: the record so far, and what is live about it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record: built up from live events, then replaced by the server's own when finished.
    pub exchange: Exchange,
    /// It is over: the server sent [`Event::Finished`] for it, or its record was lost on the
    /// way ([`Entry::not_shown`]).
    pub finished: bool,
    /// Its record never came (the inspector fell behind, and the server dropped it): news of a
    /// newer exchange closed it. What the entry holds is what arrived before.
    pub not_shown: bool,
    /// What the server waits for from the client, while it reads the request.
    pub waiting_for: Option<Waiting>,
    /// Since when nothing came from the client: a stalled client shows its waiting time.
    pub quiet_since: Instant,
    /// The phase running now.
    pub phase: Option<Phase>,
    /// `repr()` of what the app returned, once it did.
    pub app_result: Option<String>,
    /// The app's output lines already shown in the log as they were written, so that the
    /// finished record does not show them twice.
    pub live_output: Vec<OutputLine>,
}

/// A line of the log view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The exchange it belongs to, if any.
    pub exchange: Option<u64>,
    /// "stdout", "stderr", "wsgi.errors", "server", "error" or "inspector".
    pub stream: String,
    pub text: String,
}

/// What the loop must do after a command: the state cannot do I/O itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    /// Write the files for this exchange.
    Export(u64),
    /// Let the paused server go on.
    Advance,
    /// Let exchange `id` run to its end.
    RunRest(u64),
    /// Turn step mode on or off in the gate.
    SetStepping(bool),
}

/// A filter: every word must match, in any case. `4xx` matches the status class, `404` the
/// status; any other word the method (`get`), or a part of the path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter(pub String);

impl Filter {
    /// No filter: every exchange passes.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Whether the exchange passes.
    pub fn matches(&self, ex: &Exchange) -> bool {
        if self.0.is_empty() {
            return true;
        }
        self.0.split_whitespace().all(|word| {
            let b = word.as_bytes();
            if b.len() == 3 && b[0].is_ascii_digit() && b[1..].eq_ignore_ascii_case(b"xx") {
                return ex.status.is_some_and(|s| s / 100 == u16::from(b[0] - b'0'));
            }
            if let Ok(code) = word.parse::<u16>()
                && ex.status == Some(code)
            {
                return true;
            }
            let lower = word.to_lowercase();
            ex.method
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(word))
                || ex
                    .target
                    .as_deref()
                    .is_some_and(|t| t.to_lowercase().contains(&lower))
        })
    }
}

/// Everything the inspector shows.
#[derive(Debug, Clone)]
pub struct State {
    pub info: ServerInfo,
    /// The exchanges, oldest first.
    pub entries: VecDeque<Entry>,
    /// Requests finished and those that ended in an error, since start (clearing keeps them).
    pub requests: u64,
    pub errors: u64,
    /// Exchanges the server served but the inspector never got the record of, because it fell
    /// behind and the channel was full (the count the server keeps, copied by the loop).
    pub not_shown: u64,
    /// The connections the server holds open (and how many of them are idle), and how many
    /// were closed before they sent a byte: the event loop's side of the story, which no
    /// record tells (copied by the loop from what the server shares).
    pub connections: ConnectionCounts,
    /// The id of the selected exchange.
    pub selected: Option<u64>,
    /// Select each new exchange as it arrives.
    pub follow: bool,
    pub view: View,
    pub hex: bool,
    /// The detail fills the screen, and ↑/↓ move inside it.
    pub maximised: bool,
    /// The detail's scroll offset, in lines.
    pub scroll: u16,
    /// The environ key under the cursor (an index into [`grouped_environ`]).
    pub environ_cursor: usize,
    pub filter: Filter,
    /// The filter being typed, while `/` is open.
    pub typing: Option<String>,
    pub help: bool,
    /// Step mode is on.
    pub stepping: bool,
    /// The server waits at the step gate, before this phase of this exchange.
    pub paused: Option<(u64, Phase)>,
    pub log: VecDeque<LogLine>,
    /// The time "now", set by the loop, so that drawing is a pure function of the state.
    pub now: Instant,
    /// Records no longer shown, for the loop to hand back to the server's thread to free.
    /// Memory is fastest to free on the thread that allocated it (the allocator's per-thread
    /// cache): freeing the server's records here halved its speed under load.
    pub spent: Vec<Exchange>,
    /// The lesson beside the exchanges, when started with `wsgiscope lesson N`.
    pub lesson: Option<LessonPanel>,
    /// The terminal's size, set by the loop: scrolling the lesson stops at the end of its
    /// page, which depends on how wide the panel is.
    pub screen: Rect,
}

/// The three groups of the environ view, in PEP 3333's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The CGI variables: REQUEST_METHOD, PATH_INFO, CONTENT_TYPE...
    Cgi,
    /// One key per request header.
    Http,
    /// The WSGI keys.
    Wsgi,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Cgi => "CGI variables",
            Group::Http => "HTTP_* headers",
            Group::Wsgi => "wsgi.* keys",
        }
    }
}

/// The CGI keys in the order a lesson explains them: first what the request line gives, then
/// the body's headers, then what the server and the connection give. Others follow.
const CGI_ORDER: [&str; 13] = [
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_URI",
    "SERVER_PROTOCOL",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PORT",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVER_SOFTWARE",
];

/// The environ in display order: CGI keys (in [`CGI_ORDER`]), then HTTP_* keys, then wsgi.*
/// keys, the last two in the order the server inserted them.
pub fn grouped_environ(ex: &Exchange) -> Vec<(Group, &str, &str)> {
    let group = |k: &str| {
        if k.starts_with("HTTP_") {
            Group::Http
        } else if k.starts_with("wsgi.") || k.contains('.') {
            Group::Wsgi
        } else {
            Group::Cgi
        }
    };
    let mut out = Vec::with_capacity(ex.environ.len());
    for wanted in [Group::Cgi, Group::Http, Group::Wsgi] {
        out.extend(
            ex.environ
                .iter()
                .filter(|(k, _)| group(k) == wanted)
                .map(|(k, v)| (wanted, k.as_str(), v.as_str())),
        );
    }
    let cgi = out.iter().take_while(|(g, _, _)| *g == Group::Cgi).count();
    out[..cgi].sort_by_key(|(_, k, _)| {
        CGI_ORDER
            .iter()
            .position(|c| c == k)
            .unwrap_or(CGI_ORDER.len())
    });
    out
}

impl State {
    /// An empty inspector for this server.
    pub fn new(info: ServerInfo, stepping: bool, now: Instant) -> Self {
        State {
            info,
            entries: VecDeque::new(),
            requests: 0,
            errors: 0,
            not_shown: 0,
            connections: ConnectionCounts::default(),
            selected: None,
            follow: true,
            view: View::Request,
            hex: false,
            maximised: false,
            scroll: 0,
            environ_cursor: 0,
            filter: Filter::default(),
            typing: None,
            help: false,
            stepping,
            paused: None,
            log: VecDeque::new(),
            now,
            spent: Vec::new(),
            lesson: None,
            screen: Rect::default(),
        }
    }

    /// The entries the filter lets through, oldest first.
    pub fn visible(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| self.filter.matches(&e.exchange))
    }

    /// The newest exchange is still under way: its clock (how long the server has waited)
    /// moves even when no news comes.
    pub fn under_way(&self) -> bool {
        self.entries.back().is_some_and(|e| !e.finished)
    }

    /// The selected entry, if it is still there.
    pub fn selected_entry(&self) -> Option<&Entry> {
        let id = self.selected?;
        self.entry(id)
    }

    fn entry(&self, id: u64) -> Option<&Entry> {
        // Almost always the exchange under way: the newest.
        if let Some(newest) = self.entries.back()
            && newest.exchange.id == id
        {
            return Some(newest);
        }
        // Ids grow with the position, so a binary search finds the others.
        let i = self
            .entries
            .binary_search_by_key(&id, |e| e.exchange.id)
            .ok()?;
        self.entries.get(i)
    }

    fn entry_mut(&mut self, id: u64) -> Option<&mut Entry> {
        if self.entries.back().is_some_and(|e| e.exchange.id == id) {
            return self.entries.back_mut();
        }
        let i = self
            .entries
            .binary_search_by_key(&id, |e| e.exchange.id)
            .ok()?;
        self.entries.get_mut(i)
    }

    /// Add a line to the log view.
    pub fn note(&mut self, exchange: Option<u64>, stream: &str, text: String) {
        if self.log.len() == MAX_LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            exchange,
            stream: stream.to_string(),
            text,
        });
    }

    fn push(&mut self, entry: Entry) {
        let id = entry.exchange.id;
        if self.entries.back().is_none_or(|e| e.exchange.id < id) {
            self.entries.push_back(entry);
        } else {
            // A record finishing after a clear may be older than what is left.
            let at = self.entries.partition_point(|e| e.exchange.id < id);
            self.entries.insert(at, entry);
        }
        while self.entries.len() > MAX_EXCHANGES {
            if let Some(old) = self.entries.pop_front() {
                self.spent.push(old.exchange);
            }
        }
    }

    fn select(&mut self, id: Option<u64>) {
        if self.selected != id {
            self.selected = id;
            self.scroll = 0;
            self.environ_cursor = 0;
        }
    }

    /// Follow mode, after exchange `id` arrived or changed: select it if it is now the newest
    /// visible entry. The selection already is the newest visible one, so only a newer entry
    /// that passes the filter can take its place: one look, not a scan of the whole list,
    /// since this runs several times for every exchange.
    fn follow(&mut self, id: u64) {
        if self.follow
            && self.selected.is_none_or(|s| s < id)
            && self
                .entry(id)
                .is_some_and(|e| self.filter.matches(&e.exchange))
        {
            self.select(Some(id));
        }
    }

    /// Follow mode: select the newest visible entry (after a key changed what is visible).
    fn follow_newest(&mut self) {
        if self.follow {
            // From the newest end: this runs for every exchange, and the list may be long.
            let newest = self
                .entries
                .iter()
                .rev()
                .find(|e| self.filter.matches(&e.exchange))
                .map(|e| e.exchange.id);
            self.select(newest);
        }
    }

    /// Take in one message from the server.
    pub fn on_message(&mut self, message: Message) {
        match message {
            Message::Server(event) => self.on_event(event),
            // Step mode was turned off just as the server reached the gate: it did not wait.
            Message::Paused { .. } if !self.stepping => {}
            Message::Output { id, line } => {
                self.note(Some(id), line.stream, line.text.clone());
                if let Some(e) = self.entry_mut(id) {
                    e.live_output.push(line);
                }
            }
            Message::Paused { id, phase } => {
                self.paused = Some((id, phase));
                if self.follow {
                    self.select(Some(id));
                    // Show what the phases so far produced.
                    self.view = match phase {
                        Phase::ParseRequest | Phase::GetEnviron => View::Request,
                        Phase::Application => View::Environ,
                        Phase::FinishResponse => View::StartResponse,
                    };
                }
            }
        }
    }

    /// The server's count of exchanges not shown is now `total`: show it, and say once in the
    /// log what it means.
    pub fn fell_behind(&mut self, total: u64) {
        if self.not_shown == 0 && total > 0 {
            self.note(
                None,
                "inspector",
                "fell behind: what the server served meanwhile is not shown (counted in the header)"
                    .into(),
            );
        }
        self.not_shown = total;
    }

    /// The server dropped the records of these exchanges (the channel was full): close their
    /// entries, or they would look unfinished for ever ([`NOT_SHOWN`]). The server says which,
    /// since many requests are read at once and no order tells. An id with no entry (its first
    /// news was dropped too) is nothing to close.
    pub fn lost(&mut self, ids: &[u64]) {
        let ids: std::collections::HashSet<u64> = ids.iter().copied().collect();
        for entry in self.entries.iter_mut() {
            if !entry.finished && ids.contains(&entry.exchange.id) {
                entry.finished = true;
                entry.not_shown = true;
                entry.waiting_for = None;
                entry.phase = None;
            }
        }
    }

    /// Take in one server event.
    pub fn on_event(&mut self, event: Event) {
        let now = self.now;
        match event {
            Event::Accepted {
                id,
                client,
                at,
                connection,
            } => {
                let mut exchange = Exchange::new(id, client);
                exchange.started = at;
                exchange.connection = connection;
                self.push(Entry {
                    exchange,
                    finished: false,
                    not_shown: false,
                    waiting_for: Some(Waiting::Head),
                    quiet_since: now,
                    phase: None,
                    app_result: None,
                    live_output: Vec::new(),
                });
                self.follow(id);
            }
            Event::RequestBytes {
                id,
                bytes,
                waiting_for,
            } => {
                if let Some(e) = self.entry_mut(id) {
                    e.exchange.request_raw.push(&bytes);
                    e.waiting_for = (waiting_for != Waiting::Nothing).then_some(waiting_for);
                    e.quiet_since = now;
                }
            }
            Event::RequestLine { id, method, target } => {
                if let Some(e) = self.entry_mut(id) {
                    e.exchange.method = Some(method);
                    e.exchange.target = Some(target);
                }
                // The filter may now let it through.
                self.follow(id);
            }
            Event::PhaseStarted { id, phase } => {
                if let Some(e) = self.entry_mut(id) {
                    e.phase = Some(phase);
                    if phase != Phase::ParseRequest {
                        e.waiting_for = None;
                    }
                }
                if self.paused.is_some_and(|(p, _)| p == id) {
                    self.paused = None;
                }
            }
            Event::EnvironBuilt { id, environ } => {
                if let Some(e) = self.entry_mut(id) {
                    e.exchange.environ = environ;
                }
            }
            Event::AppReturned {
                id,
                start_response,
                result,
            } => {
                if let Some(e) = self.entry_mut(id) {
                    e.exchange.start_response = start_response;
                    e.app_result = Some(result);
                }
            }
            Event::Finished(exchange) => self.on_finished(*exchange),
            Event::Output(line) => self.note(None, line.stream, line.text),
        }
    }

    fn on_finished(&mut self, exchange: Exchange) {
        let id = exchange.id;
        self.requests += 1;
        if !exchange.errors.is_empty() || exchange.status.is_some_and(|s| s >= 500) {
            self.errors += 1;
        }
        // The lines not shown live yet: those written between exchanges, the unfinished last
        // line. The live ones come in the record in the same order; skip them there.
        let live = self
            .entry_mut(id)
            .map(|e| std::mem::take(&mut e.live_output))
            .unwrap_or_default();
        let mut live = live.iter().peekable();
        for line in &exchange.output {
            if live.next_if(|shown| *shown == line).is_none() {
                self.note(Some(id), line.stream, line.text.clone());
            }
        }
        for error in &exchange.errors {
            self.note(Some(id), "error", error.message.clone());
        }
        if self.paused.is_some_and(|(p, _)| p == id) {
            self.paused = None;
        }
        match self.entry_mut(id) {
            Some(e) => {
                let live = std::mem::replace(&mut e.exchange, exchange);
                e.finished = true;
                e.waiting_for = None;
                e.phase = None;
                self.spent.push(live);
            }
            None => {
                self.push(Entry {
                    exchange,
                    finished: true,
                    not_shown: false,
                    waiting_for: None,
                    quiet_since: self.now,
                    phase: None,
                    app_result: None,
                    live_output: Vec::new(),
                });
            }
        }
        // Its status is known now: a filter such as `4xx` may let it through.
        self.follow(id);
    }

    /// Move the selection by `delta` visible entries (negative: up).
    fn move_selection(&mut self, delta: isize) {
        let ids: Vec<u64> = self.visible().map(|e| e.exchange.id).collect();
        if ids.is_empty() {
            return;
        }
        let at = self
            .selected
            .and_then(|id| ids.iter().position(|&i| i == id))
            .unwrap_or(ids.len() - 1);
        let to = at.saturating_add_signed(delta).min(ids.len() - 1);
        self.select(Some(ids[to]));
        // Moving up leaves follow mode; reaching the newest again does not re-enter it (f does).
        self.follow = self.follow && to == ids.len() - 1;
    }

    /// Take in one command from the keyboard or mouse.
    ///
    /// The same key means different things in the inspector's three modes: while the filter
    /// line is open (after `/`), keys edit it; while the help is open, any key closes it;
    /// otherwise each key is a command of the main screen.
    pub fn on_command(&mut self, command: Command) -> Action {
        if self.typing.is_some() {
            self.on_typing(command)
        } else if self.help {
            self.close_help(command)
        } else {
            self.on_browsing(command)
        }
    }

    /// A key while the filter line is open: letters are text, Enter applies the filter, Esc
    /// drops what was typed. Only Ctrl-C ([`Command::Quit`]) still quits.
    fn on_typing(&mut self, command: Command) -> Action {
        // on_command comes here only while the filter line is open.
        let Some(text) = &mut self.typing else {
            return Action::None;
        };
        match command {
            Command::Type(c) => text.push(c),
            Command::Backspace => {
                text.pop();
            }
            Command::Accept => {
                self.filter = Filter(std::mem::take(text));
                self.typing = None;
                self.after_filter_change();
            }
            Command::Cancel => self.typing = None,
            Command::ClearTyped => text.clear(),
            Command::DeleteWord => {
                let kept = text.trim_end().len();
                let word = text[..kept].rfind(' ').map_or(0, |i| i + 1);
                text.truncate(word);
            }
            Command::Quit => return Action::Quit,
            _ => {}
        }
        Action::None
    }

    /// A key while the help is open: any key closes it; q still quits.
    fn close_help(&mut self, command: Command) -> Action {
        self.help = false;
        if command == Command::Quit {
            Action::Quit
        } else {
            Action::None
        }
    }

    /// A command on the main screen: one arm each, most of them a line.
    fn on_browsing(&mut self, command: Command) -> Action {
        match command {
            Command::Up if self.maximised => self.move_inside(-1),
            Command::Down if self.maximised => self.move_inside(1),
            Command::Up => self.move_selection(-1),
            Command::Down => self.move_selection(1),
            Command::First => self.select_first(),
            Command::Last => {
                self.follow = true;
                self.follow_newest();
            }
            Command::ToggleFollow => {
                self.follow = !self.follow;
                self.follow_newest();
            }
            Command::View(view) => self.set_view(view),
            Command::NextView => self.set_view(self.view.next()),
            Command::ToggleMaximise => self.maximised = !self.maximised,
            Command::PageUp => self.scroll = self.scroll.saturating_sub(PAGE),
            Command::PageDown => self.scroll = self.scroll.saturating_add(PAGE),
            Command::ScrollUp => self.scroll = self.scroll.saturating_sub(WHEEL),
            Command::ScrollDown => self.scroll = self.scroll.saturating_add(WHEEL),
            Command::ToggleHex => self.hex = !self.hex,
            Command::StartFilter => self.typing = Some(self.filter.0.clone()),
            Command::Export => return self.export(),
            Command::Clear => self.clear(),
            Command::Help => self.help = true,
            Command::Close => self.maximised = false,
            Command::ToggleStep => return self.toggle_step(),
            // Space and r act only while the server is paused at the gate.
            Command::Advance => {
                if self.paused.take().is_some() {
                    return Action::Advance;
                }
            }
            Command::RunRest => {
                if let Some((id, _)) = self.paused.take() {
                    return Action::RunRest(id);
                }
            }
            Command::ToggleLesson => {
                if let Some(lesson) = &mut self.lesson {
                    lesson.shown = !lesson.shown;
                }
            }
            Command::LessonPrevious => self.lesson.iter_mut().for_each(LessonPanel::previous),
            Command::LessonNext => self.lesson.iter_mut().for_each(LessonPanel::next),
            Command::LessonScrollUp => self.scroll_lesson(false),
            Command::LessonScrollDown => self.scroll_lesson(true),
            Command::Quit => return Action::Quit,
            // The filter line's keys mean nothing here (see on_typing).
            Command::Type(_)
            | Command::Backspace
            | Command::Accept
            | Command::Cancel
            | Command::ClearTyped
            | Command::DeleteWord => {}
        }
        Action::None
    }

    /// `g`: select the first exchange the list shows, the oldest; that leaves follow mode.
    fn select_first(&mut self) {
        self.follow = false;
        let first = self.visible().next().map(|e| e.exchange.id);
        self.select(first);
    }

    /// `x`: ask the loop to export the selected exchange (writing files is not the state's
    /// business); with nothing selected, say so in the log instead.
    fn export(&mut self) -> Action {
        match self.selected_entry() {
            Some(e) => Action::Export(e.exchange.id),
            None => {
                self.note(None, "inspector", "nothing selected to export".into());
                Action::None
            }
        }
    }

    /// `c`: empty the list. The records go to [`State::spent`], for the server's thread, which
    /// made them, to free; the counts in the header stay.
    fn clear(&mut self) {
        self.spent
            .extend(self.entries.drain(..).map(|e| e.exchange));
        self.select(None);
    }

    /// `s`: step mode on or off. Turned off, nothing is paused any more (the gate lets the
    /// server go on), so Space no longer means anything.
    fn toggle_step(&mut self) -> Action {
        self.stepping = !self.stepping;
        if !self.stepping {
            self.paused = None;
        }
        Action::SetStepping(self.stepping)
    }

    /// Scroll the lesson panel by a panel's height (`down` or up), if it is shown.
    fn scroll_lesson(&mut self, down: bool) {
        let body = super::ui::body_area(self.screen);
        if let Some(lesson) = self.lesson.as_mut().filter(|l| l.shown) {
            lesson.scroll_by_a_panel(down, body);
        }
    }

    fn set_view(&mut self, view: View) {
        if self.view != view {
            self.view = view;
            self.scroll = 0;
        }
    }

    /// ↑/↓ in the maximised detail: the environ cursor, or scrolling.
    fn move_inside(&mut self, delta: isize) {
        if self.view == View::Environ {
            let len = self
                .selected_entry()
                .map_or(0, |e| e.exchange.environ.len());
            self.environ_cursor = self
                .environ_cursor
                .saturating_add_signed(delta)
                .min(len.saturating_sub(1));
        } else {
            self.scroll = self.scroll.saturating_add_signed(delta as i16);
        }
    }

    /// After the filter changed: keep the selection if it still shows, else follow.
    fn after_filter_change(&mut self) {
        let still = self
            .selected_entry()
            .is_some_and(|e| self.filter.matches(&e.exchange));
        if !still {
            let newest = self.visible().last().map(|e| e.exchange.id);
            self.select(newest);
        }
        self.follow_newest();
    }

    /// When the selected exchange's client went quiet, while the server waits for it.
    pub fn waiting(&self, entry: &Entry) -> Option<(Waiting, std::time::Duration)> {
        let waiting = entry.waiting_for?;
        Some((
            waiting,
            self.now.saturating_duration_since(entry.quiet_since),
        ))
    }
}

/// The time of day an exchange started, as the list shows it.
pub fn clock(at: &DateTime<Local>) -> String {
    at.format("%H:%M:%S%.3f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn info() -> ServerInfo {
        ServerInfo {
            address: "127.0.0.1:8888".parse().expect("a valid address"),
            app: "apps/hello.py".into(),
            python: "3.11.7".into(),
        }
    }

    fn finished(id: u64, method: &str, target: &str, status: u16) -> Event {
        let mut ex = Exchange::new(id, "127.0.0.1:5000".parse().expect("a valid address"));
        ex.method = Some(method.into());
        ex.target = Some(target.into());
        ex.status = Some(status);
        Event::Finished(Box::new(ex))
    }

    /// Words match in any case: `get` the method GET, `garbage` the method GARBAGE, `400` the
    /// status, `/ABC` a path /abc; every word must match.
    #[test]
    fn filter_words_match_method_path_and_status_in_any_case() {
        let record = |method: &str, target: &str, status| {
            let Event::Finished(ex) = finished(1, method, target, status) else {
                unreachable!("finished() makes a Finished event")
            };
            *ex
        };
        let get = record("GET", "/abc", 200);
        let garbage = record("GARBAGE", "/", 400);
        let passes = |filter: &str, ex: &Exchange| Filter(filter.into()).matches(ex);
        assert!(passes("get", &get) && passes("GET", &get) && passes("/ABC", &get));
        assert!(!passes("get", &garbage));
        assert!(passes("garbage", &garbage) && passes("400", &garbage) && passes("4xx", &garbage));
        assert!(!passes("400", &get) && !passes("get 404", &get));
        assert!(passes("get 200 abc", &get));
    }

    /// Ctrl-U clears the line being typed, Ctrl-W its last word; Enter on an empty line leaves
    /// no filter.
    #[test]
    fn control_keys_edit_the_filter_line() {
        let mut s = state_with(vec![]);
        s.on_command(Command::StartFilter);
        for c in "get /abc".chars() {
            s.on_command(Command::Type(c));
        }
        s.on_command(Command::DeleteWord);
        assert_eq!(s.typing.as_deref(), Some("get "));
        s.on_command(Command::ClearTyped);
        assert_eq!(s.typing.as_deref(), Some(""));
        s.on_command(Command::Accept);
        assert!(s.filter.is_empty());
    }

    fn state_with(events: Vec<Event>) -> State {
        let mut s = State::new(info(), false, Instant::now());
        for e in events {
            s.on_event(e);
        }
        s
    }

    fn ids(s: &State) -> Vec<u64> {
        s.visible().map(|e| e.exchange.id).collect()
    }

    #[test]
    fn follow_selects_each_new_exchange_until_the_selection_moves_up() {
        let mut s = state_with(vec![
            finished(1, "GET", "/", 200),
            finished(2, "GET", "/", 200),
        ]);
        assert_eq!(s.selected, Some(2));
        s.on_command(Command::Up);
        assert_eq!(s.selected, Some(1));
        assert!(!s.follow);
        s.on_event(finished(3, "GET", "/", 200));
        assert_eq!(s.selected, Some(1), "not following: the selection stays");
        s.on_command(Command::ToggleFollow);
        assert_eq!(s.selected, Some(3));
        s.on_command(Command::First);
        assert_eq!(s.selected, Some(1));
        s.on_command(Command::Last);
        assert_eq!((s.selected, s.follow), (Some(3), true));
    }

    #[test]
    fn j_and_k_stop_at_the_ends() {
        let mut s = state_with(vec![
            finished(1, "GET", "/", 200),
            finished(2, "GET", "/", 200),
        ]);
        s.on_command(Command::Down);
        assert_eq!(s.selected, Some(2));
        s.on_command(Command::Up);
        s.on_command(Command::Up);
        s.on_command(Command::Up);
        assert_eq!(s.selected, Some(1));
    }

    #[test]
    fn the_filter_matches_method_path_part_and_status_class() {
        let mut s = state_with(vec![
            finished(1, "GET", "/users/1", 200),
            finished(2, "POST", "/users", 201),
            finished(3, "GET", "/missing", 404),
            finished(4, "GET", "/boom", 500),
        ]);
        for (filter, want) in [
            ("GET", vec![1, 3, 4]),
            ("users", vec![1, 2]),
            ("4xx", vec![3]),
            ("GET 2xx", vec![1]),
            ("5XX boom", vec![4]),
            ("", vec![1, 2, 3, 4]),
        ] {
            s.on_command(Command::StartFilter);
            s.typing = Some(String::new());
            for c in filter.chars() {
                s.on_command(Command::Type(c));
            }
            s.on_command(Command::Accept);
            assert_eq!(ids(&s), want, "filter {filter:?}");
        }
    }

    #[test]
    fn following_with_a_filter_selects_each_new_match_once_its_status_is_known() {
        let mut s = state_with(vec![finished(1, "GET", "/a", 404)]);
        s.filter = Filter("4xx".into());
        s.after_filter_change();
        s.on_event(Event::Accepted {
            id: 2,
            client: "127.0.0.1:5000".parse().expect("a valid address"),
            at: Local::now(),
            connection: crate::exchange::OnConnection::default(),
        });
        assert_eq!(s.selected, Some(1), "no status yet: 4xx does not match");
        s.on_event(finished(2, "GET", "/b", 200));
        assert_eq!(s.selected, Some(1), "a 200 does not match");
        s.on_event(finished(3, "GET", "/c", 404));
        assert_eq!(s.selected, Some(3), "the newest 404");
    }

    #[test]
    fn typing_a_filter_takes_letters_as_text_and_esc_drops_it() {
        let mut s = state_with(vec![finished(1, "GET", "/", 200)]);
        s.on_command(Command::StartFilter);
        assert_eq!(s.on_command(Command::Type('q')), Action::None);
        s.on_command(Command::Cancel);
        assert_eq!(s.filter, Filter::default());
        assert!(s.typing.is_none());
    }

    #[test]
    fn a_filtered_out_selection_moves_to_the_newest_match() {
        let mut s = state_with(vec![
            finished(1, "GET", "/a", 404),
            finished(2, "GET", "/b", 200),
        ]);
        s.filter = Filter("4xx".into());
        s.after_filter_change();
        assert_eq!(s.selected, Some(1));
    }

    #[test]
    fn an_exchange_appears_on_accept_and_grows_live() {
        let mut s = state_with(vec![]);
        let t0 = s.now;
        s.on_event(Event::Accepted {
            id: 1,
            client: "127.0.0.1:5000".parse().expect("a valid address"),
            at: Local::now(),
            connection: crate::exchange::OnConnection::default(),
        });
        assert_eq!(s.selected, Some(1));
        s.on_event(Event::RequestBytes {
            id: 1,
            bytes: b"GET / HTTP/1.1\r\n".to_vec(),
            waiting_for: Waiting::Head,
        });
        s.on_event(Event::RequestLine {
            id: 1,
            method: "GET".into(),
            target: "/".into(),
        });
        s.now = t0 + Duration::from_secs(3);
        let e = s.selected_entry().expect("the entry is there");
        assert_eq!(e.exchange.request_raw.stored, b"GET / HTTP/1.1\r\n");
        assert_eq!(e.exchange.method.as_deref(), Some("GET"));
        assert_eq!(
            s.waiting(e),
            Some((Waiting::Head, Duration::from_secs(3))),
            "a stalled client shows how long the server has waited"
        );
        s.on_event(finished(1, "GET", "/", 200));
        let e = s.selected_entry().expect("the entry is there");
        assert!(e.finished && s.waiting(e).is_none());
        assert_eq!(s.requests, 1);
    }

    #[test]
    fn app_output_shows_as_it_is_written_and_once() {
        let mut s = state_with(vec![Event::Accepted {
            id: 1,
            client: "127.0.0.1:5000".parse().expect("a valid address"),
            at: Local::now(),
            connection: crate::exchange::OnConnection::default(),
        }]);
        let line = |stream, text: &str| OutputLine {
            stream,
            text: text.into(),
        };
        s.on_message(Message::Output {
            id: 1,
            line: line("stdout", "working"),
        });
        let texts = |s: &State| -> Vec<String> {
            s.log
                .iter()
                .map(|l| format!("{:?} {} {}", l.exchange, l.stream, l.text))
                .collect()
        };
        assert_eq!(
            texts(&s),
            ["Some(1) stdout working"],
            "shown before the end"
        );
        let mut ex = Exchange::new(1, "127.0.0.1:5000".parse().expect("a valid address"));
        ex.output = vec![
            line("stderr", "from between exchanges"),
            line("stdout", "working"),
            line("stdout", "no newline"),
        ];
        s.on_event(Event::Finished(Box::new(ex.clone())));
        assert_eq!(
            texts(&s),
            [
                "Some(1) stdout working",
                "Some(1) stderr from between exchanges",
                "Some(1) stdout no newline",
            ],
            "the record adds only what was not shown live"
        );
        assert_eq!(
            s.entries[0].exchange.output, ex.output,
            "the record stays complete"
        );
    }

    #[test]
    fn history_and_live_bytes_are_bounded() {
        let mut s = state_with(vec![]);
        for id in 1..=(MAX_EXCHANGES as u64 + 10) {
            s.on_event(finished(id, "GET", "/", 200));
        }
        assert_eq!(s.entries.len(), MAX_EXCHANGES);
        assert_eq!(s.entries[0].exchange.id, 11);
        s.on_event(Event::Accepted {
            id: 99_999,
            client: "127.0.0.1:5000".parse().expect("a valid address"),
            at: Local::now(),
            connection: crate::exchange::OnConnection::default(),
        });
        for _ in 0..100 {
            s.on_event(Event::RequestBytes {
                id: 99_999,
                bytes: vec![b'a'; 4096],
                waiting_for: Waiting::Body(1),
            });
        }
        let raw = &s
            .selected_entry()
            .expect("the live entry")
            .exchange
            .request_raw;
        assert_eq!(raw.stored.len(), crate::exchange::MAX_STORED_BYTES);
        assert_eq!(raw.total, 409_600);
    }

    /// The server dropped exchange 2's record (the inspector fell behind) and says so: its
    /// entry is closed and marked, while the others, finished or under way, are left alone
    /// (requests are read at once, so a newer one says nothing about an older one).
    #[test]
    fn an_exchange_whose_record_was_dropped_is_closed_when_the_server_says_so() {
        let client: SocketAddr = "127.0.0.1:5000".parse().expect("a valid address");
        let accepted = |id| Event::Accepted {
            id,
            client,
            at: Local::now(),
            connection: crate::exchange::OnConnection::default(),
        };
        let mut s = state_with(vec![
            finished(1, "GET", "/", 200),
            accepted(2),
            Event::RequestLine {
                id: 2,
                method: "GET".into(),
                target: "/lost".into(),
            },
            accepted(3),
        ]);
        assert!(!s.entries[1].finished, "news of 3 does not close 2");
        s.lost(&[2, 9]);
        let lost = &s.entries[1];
        assert!(lost.finished && lost.not_shown, "not under way for ever");
        assert_eq!((lost.waiting_for, lost.phase), (None, None));
        assert!(!s.entries[0].not_shown, "a finished one is left alone");
        assert!(!s.entries[2].finished, "the newest is under way");
        assert_eq!(s.requests, 1, "only records count as requests");
    }

    #[test]
    fn exchanges_not_shown_are_counted_and_explained_once() {
        let mut s = state_with(vec![finished(1, "GET", "/", 200)]);
        s.fell_behind(3);
        s.fell_behind(5);
        assert_eq!(s.not_shown, 5);
        let notes: Vec<&LogLine> = s.log.iter().filter(|l| l.stream == "inspector").collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].text.contains("fell behind"));
    }

    #[test]
    fn clear_empties_the_list_but_keeps_the_counts() {
        let mut s = state_with(vec![finished(1, "GET", "/", 500)]);
        s.on_command(Command::Clear);
        assert!(s.entries.is_empty() && s.selected.is_none());
        assert_eq!((s.requests, s.errors), (1, 1));
    }

    #[test]
    fn step_keys_only_act_when_the_server_is_paused() {
        let mut s = state_with(vec![]);
        assert_eq!(s.on_command(Command::Advance), Action::None);
        assert_eq!(s.on_command(Command::ToggleStep), Action::SetStepping(true));
        s.on_message(Message::Paused {
            id: 4,
            phase: Phase::Application,
        });
        assert_eq!(
            s.view,
            View::Environ,
            "before the app call, show the environ"
        );
        assert_eq!(s.on_command(Command::Advance), Action::Advance);
        s.on_message(Message::Paused {
            id: 4,
            phase: Phase::FinishResponse,
        });
        assert_eq!(s.on_command(Command::RunRest), Action::RunRest(4));
        assert_eq!(s.paused, None);
    }

    #[test]
    fn views_help_maximise_and_quit() {
        let mut s = state_with(vec![finished(1, "GET", "/", 200)]);
        s.on_command(Command::View(View::Response));
        assert_eq!(s.view, View::Response);
        s.on_command(Command::NextView);
        assert_eq!(s.view, View::Checks);
        s.on_command(Command::NextView);
        assert_eq!(s.view, View::Request);
        s.on_command(Command::Help);
        assert!(s.help);
        assert_eq!(s.on_command(Command::Close), Action::None);
        assert!(!s.help);
        s.on_command(Command::ToggleMaximise);
        s.on_command(Command::PageDown);
        assert_eq!(s.scroll, PAGE);
        s.on_command(Command::Close);
        assert!(!s.maximised);
        assert_eq!(s.on_command(Command::Export), Action::Export(1));
        assert_eq!(s.on_command(Command::Quit), Action::Quit);
    }
}
