//! `WSGIServer`: the tutorial's server class, in Rust.
//!
//! Read this file beside the Python `WSGIServer` of the classic "Let's Build A Web Server"
//! tutorial: the methods have the same names and come in the same order.
//!
//! | tutorial (Python)        | here                                   | what it adds                  |
//! |--------------------------|----------------------------------------|-------------------------------|
//! | `__init__`               | [`WSGIServer::new`]                    | the fixed environ, once       |
//! | `serve_forever`          | [`WSGIServer::serve_forever`]          | many connections, one thread  |
//! | `handle_one_request`     | [`WSGIServer::handle_one_request`]     | a record, step mode           |
//! | `parse_request`          | [`WSGIServer::parse_request`]          | RFC 9112, the body, timeouts  |
//! | `get_environ`            | [`WSGIServer::get_environ`]            | every PEP 3333 key            |
//! | `start_response`         | [`WSGIServer::start_response`]         | wsgiref's checks              |
//! | `finish_response`        | [`WSGIServer::finish_response`]        | late headers, `close()`       |
//!
//! # One thread, many connections
//!
//! The tutorial's loop accepts one connection, reads its request, calls the app, sends the
//! response and closes, and only then looks at the next client. One client that connects and
//! sends nothing (a browser's spare socket, a student thinking in telnet) holds everyone else
//! until it times out. This server keeps the one thread and the one-request-at-a-time app, and
//! changes only how it waits: [`WSGIServer::serve_forever`] is an **event loop**. Each turn it
//!
//! 1. asks `poll(2)` which sockets are ready: the listening socket, every open connection, the
//!    stop signal (see [`crate::wait`]);
//! 2. accepts every pending connection;
//! 3. reads what each ready connection sent into that connection's own buffer and feeds the
//!    parser ([`WSGIServer::parse_request`], with the state in [`crate::connection`]); a
//!    connection whose request is complete joins a first-in first-out queue;
//! 4. closes what has been silent too long;
//! 5. serves what is in the queue, in order, each with [`WSGIServer::handle_one_request`]: the
//!    environ, the app, the response, exactly as the tutorial does.
//!
//! The app is never called while another call is under way, so `wsgi.multithread` and
//! `wsgi.multiprocess` stay False. **Simplification:** while the app runs, and while one
//! response is written, the loop reads no other socket. Their bytes wait in the kernel (nothing
//! is lost), and a client that does not read its response holds the thread for at most
//! `--timeout` per write. A production server writes without waiting, too, or hands the
//! request to a worker thread or process.
//!
//! `--one-at-a-time` keeps the tutorial's loop, for the lesson that shows why the event loop
//! exists: [`WSGIServer::serve_one_at_a_time`].
//!
//! By default every response says `Connection: close`: one request per connection, as in the
//! tutorial. With `--keep-alive` a connection whose response the client could frame goes back
//! into the loop for its next request, as production servers do (see `close_or_keep`, and
//! `src/response.rs` for how a body's end is told).
//!
//! Each phase reports into an [`Exchange`], the record the logs and the inspector read.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::checks;
use crate::connection::{Complete, Connection, Expired, Progress, READ_CHUNK, Writer};
use crate::environ::{self, WsgiInput};
use crate::exchange::{
    ConnectionCounts, Event, Exchange, MAX_RESULT_REPR, MAX_STORED_BYTES, Observer, OnConnection,
    Phase, Waiting,
};
use crate::python;
use crate::request::{Request, RequestError, RequestNote, Version};
use crate::response::{self, Response};
use crate::result::{self, AppFailure};
use crate::start_response::{self, StartResponse};
use crate::wait::{Ready, StopSignal, Wait, Watch, is_readable, poll_all, wait_for};

pub use crate::connection::REQUEST_TIME_FACTOR;
pub use crate::wait::FORCED_EXIT;

/// While step mode holds a request, how often the loop looks at the gate again between
/// turns: a key press is acted on within this time, and the other connections are read
/// meanwhile.
const STEP_TICK: Duration = Duration::from_millis(20);

/// While step mode holds a request back (another one is walked through), at most this much of
/// it is read ahead: the head and the start of a body, enough to show; the rest waits in the
/// kernel until its turn.
const HELD_BYTES: usize = 64 * 1024;

/// File descriptors kept free besides the connections: standard streams, the listening
/// socket, the stop signal, the inspector's terminal, and whatever the app and Python open.
const RESERVED_FDS: u64 = 64;

/// After `accept` fails for want of file descriptors or memory, the loop stops watching the
/// listener this long (nginx waits as long): the pending client stays in the listen queue, and
/// a closing connection may free what is missing.
const ACCEPT_PAUSE: Duration = Duration::from_millis(500);

/// Whether an accept error means the process or the system is out of something (file
/// descriptors, buffers, memory), which trying again at once will not cure.
fn out_of_resources(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// With `--keep-alive`, a connection carries at most this many requests; the last response
/// says `Connection: close`. A bound like nginx's `keepalive_requests` (1,000 there too): one
/// client cannot keep one connection, and what it holds, forever.
pub const MAX_REQUESTS_PER_CONNECTION: u32 = 1_000;

/// The default `--max-connections`: a class of thirty, each with a browser holding a few
/// sockets, is far below it; each idle connection costs a few hundred bytes here.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_000;

/// What the command line decides about the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on, e.g. "127.0.0.1".
    pub host: String,
    /// The port; 0 lets the system pick a free one.
    pub port: u16,
    /// How long a client may stay silent (or not read) before it is dropped.
    pub timeout: Duration,
    /// The largest request body accepted.
    pub max_body: u64,
    /// Put Python tracebacks in 500 responses.
    pub debug: bool,
    /// The mount point of the app (SCRIPT_NAME), "" for the root.
    pub script_name: String,
    /// `--strict`: every finding about the app turns its response into a 500 (see
    /// [`crate::checks`]).
    pub strict: bool,
    /// At most this many connections open at once (see [`WSGIServer::accept_all`]).
    pub max_connections: usize,
    /// `--one-at-a-time`: the tutorial's loop instead of the event loop.
    pub one_at_a_time: bool,
    /// `--keep-alive`: persistent connections (see [`MAX_REQUESTS_PER_CONNECTION`]).
    pub keep_alive: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".into(),
            port: 8888,
            timeout: Duration::from_secs(60),
            max_body: 16 * 1024 * 1024,
            debug: false,
            script_name: String::new(),
            strict: false,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            one_at_a_time: false,
            keep_alive: false,
        }
    }
}

/// The most connections this process can hold open, from its open-file limit
/// (`RLIMIT_NOFILE`) less [`RESERVED_FDS`]: `asked` when it fits, or the lower number and a
/// sentence that says why.
///
/// The soft limit (1,024 on many systems) is raised first, up to the hard limit, as far as
/// `asked` needs: a process may do that itself (Go and nginx do), and only a hard limit too
/// low for `asked` is worth a word.
#[allow(unsafe_code)] // getrlimit(2) and setrlimit(2), C calls
pub fn connection_limit(asked: usize) -> (usize, Option<String>) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct, which `limit` is.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return (asked, None);
    }
    let wanted = (asked as u64).saturating_add(RESERVED_FDS);
    if limit.rlim_cur < wanted && limit.rlim_max > limit.rlim_cur {
        let raised = libc::rlimit {
            rlim_cur: wanted.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads one rlimit struct; the soft limit stays within the hard.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = raised.rlim_cur;
        }
    }
    let room = limit.rlim_cur.saturating_sub(RESERVED_FDS).max(1);
    if (asked as u64) <= room {
        return (asked, None);
    }
    let lowered = room as usize;
    (
        lowered,
        Some(format!(
            "The open-file limit is {} (ulimit -n; {} at most), so --max-connections lowered \
             from {asked} to {lowered}.",
            limit.rlim_cur, limit.rlim_max
        )),
    )
}

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// The connections closed before they sent a byte, counted for the inspector's header and the
/// summary at exit: they make no record (a browser opens many that it never uses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosedIdle {
    /// Silent for `--timeout`.
    pub timed_out: u64,
    /// Closed to make room for a new connection at `--max-connections`.
    pub made_room: u64,
    /// Closed by the client.
    pub by_client: u64,
}

impl ClosedIdle {
    /// How many in all.
    pub fn total(&self) -> u64 {
        self.timed_out + self.made_room + self.by_client
    }
}

impl std::fmt::Display for ClosedIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Idle connections closed: {} after --timeout, {} to make room (--max-connections), \
             {} by the client.",
            self.timed_out, self.made_room, self.by_client
        )
    }
}

/// Why a request ended without being served.
#[derive(Debug)]
enum ReadError {
    /// The bytes break a rule: answer with this status and message.
    Bad(RequestError),
    /// The client was silent for `--timeout` in the middle of its request.
    Silent,
    /// The request was still not complete [`REQUEST_TIME_FACTOR`] × `--timeout` after the
    /// connection was accepted, although the client never fell silent for long.
    TooSlow,
}

/// The server: a listening socket, the app, the fixed part of the environ, and the
/// connections it is reading.
pub struct WSGIServer {
    listener: TcpListener,
    /// The address actually bound (the port is known even when 0 was asked for).
    address: SocketAddr,
    /// The WSGI callable.
    app: Py<PyAny>,
    /// The environ keys that are the same for every request, built once in `new`.
    base_environ: Py<PyDict>,
    /// The reprs of `base_environ`'s values, for the record, also computed once.
    base_reprs: environ::FixedReprs,
    config: ServerConfig,
    /// Who hears about each exchange: a log, or the inspector. `Send`, because while step
    /// mode holds a request the loop runs with the GIL released (see [`python::without_gil`]).
    observer: Box<dyn Observer + Send>,
    stop: StopSignal,
    /// The id of the last exchange.
    last_id: u64,
    /// Where each `read()` lands before it is appended to a connection's buffer: allocated
    /// and zeroed once here, not per read.
    read_buf: Vec<u8>,
    /// Every open connection still being read (or lingering), by the order of acceptance:
    /// the first idle one is the oldest.
    connections: BTreeMap<u64, Connection>,
    /// The number of the last accepted connection: its key in `connections`.
    next_connection: u64,
    /// Complete requests waiting for the app, first come first served.
    queue: VecDeque<Connection>,
    /// In step mode, the exchange the class is walking through: one at a time, from its
    /// first byte to its response.
    stepping_through: Option<u64>,
    /// Connections closed before they sent a byte.
    closed_idle: ClosedIdle,
    /// The counts the observer heard last, to tell it only of changes.
    told: ConnectionCounts,
    /// A step-mode pause is under way (the loop turns inside it, and must not pause again).
    pausing: bool,
    /// Out of file descriptors (or memory) at the last accept: not accepting until then.
    accept_paused_until: Option<Instant>,
    /// How many accepts in a row failed that way (the note is made for the first).
    accept_failures: u64,
}

impl WSGIServer {
    /// Bind and listen, and build the fixed part of the environ (the tutorial's `__init__`).
    ///
    /// The standard library's listener asks the kernel for a backlog of 128 pending
    /// connections: clients wait there until the loop accepts them, which it does at once
    /// (or, with `--one-at-a-time`, after the connection being served).
    pub fn new(
        config: ServerConfig,
        app: Py<PyAny>,
        observer: Box<dyn Observer + Send>,
    ) -> Result<Self, StartError> {
        let listener = listen(&config)?;
        let address = listener
            .local_addr()
            .map_err(|e| StartError(format!("cannot read the bound address: {e}")))?;
        let (base_environ, base_reprs) = Python::attach(|py| {
            let base =
                environ::setup_environ(py, &config.host, address.port(), &config.script_name)?;
            PyResult::Ok((base.clone().unbind(), environ::FixedReprs::new(&base)))
        })
        .map_err(|e| StartError(format!("cannot build the environ: {e}")))?;
        let stop = StopSignal::new()
            .map_err(|e| StartError(format!("cannot create the stop signal: {e}")))?;
        Ok(WSGIServer {
            listener,
            address,
            app,
            base_environ,
            base_reprs,
            config,
            observer,
            stop,
            last_id: 0,
            read_buf: vec![0; READ_CHUNK],
            connections: BTreeMap::new(),
            next_connection: 0,
            queue: VecDeque::new(),
            stepping_through: None,
            closed_idle: ClosedIdle::default(),
            told: ConnectionCounts::default(),
            pausing: false,
            accept_paused_until: None,
            accept_failures: 0,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The stop signal, to hook to Ctrl-C or hand to the inspector.
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }

    /// A line for the observer's log before serving begins (the start-up banner).
    pub fn announce(&mut self, text: String) {
        self.note(text);
    }

    /// The connections closed before they sent a byte, so far.
    pub fn closed_idle(&self) -> ClosedIdle {
        self.closed_idle
    }

    /// Serve until stopped (the tutorial's `serve_forever`), as an event loop: see the module
    /// doc. Each turn waits for whatever is ready and takes it in; then the complete requests
    /// are served, first come first served.
    pub fn serve_forever(&mut self) -> io::Result<()> {
        // Lines the app printed while being imported belong to no exchange.
        self.flush_output();
        if self.config.one_at_a_time {
            return self.serve_one_at_a_time();
        }
        self.listener.set_nonblocking(true)?;
        loop {
            if self.begin_held() == Wait::Stopped {
                return Ok(());
            }
            // A request made complete outside a turn (step mode's first one) must not wait
            // for the next event; requests step mode holds are looked at again soon, since
            // the class may switch step mode off, which no socket tells.
            let wait = if !self.queue.is_empty() {
                Some(Duration::ZERO)
            } else if self.connections.values().any(Connection::is_held) {
                Some(STEP_TICK)
            } else {
                None
            };
            if self.turn(wait)? == Wait::Stopped {
                return Ok(());
            }
            // Everything that became complete in this turn, in order. A turn costs a look at
            // every open socket, so one turn per batch rather than per request keeps a few
            // hundred idle connections cheap; a request that arrives meanwhile waits in the
            // kernel for the next turn.
            if self.serve_queue() {
                return Ok(());
            }
        }
    }

    /// Serve the queue, first come first served, until it is empty or a stop is asked for
    /// (a burst of pipelined requests could take minutes). Returns whether it was.
    fn serve_queue(&mut self) -> bool {
        let mut first = true;
        while let Some(next) = self.queue.pop_front() {
            // The turn before the first one looked at the stop signal already.
            if !std::mem::take(&mut first) && self.stop.is_raised() {
                return true;
            }
            self.handle_one_request(next);
        }
        false
    }

    /// Serve one complete request: build the environ, call the app, send the response (the
    /// tutorial's `handle_one_request`, after its `recv` and `parse_request`, which the loop
    /// did as the bytes came). Each phase may pause in step mode.
    pub fn handle_one_request(&mut self, mut conn: Connection) {
        let Some((complete, mut exchange)) = self.take_complete(&mut conn) else {
            return;
        };
        let request = &complete.request;
        let response = self.response_for(request, conn.stream, conn.served);
        let debug = self.config.debug;
        Python::attach(|py| {
            let fail = |exchange: &mut Exchange, err| {
                result::app_failed(py, &response, exchange, AppFailure::Raised(err), debug)
            };
            self.phase(exchange.id, Phase::GetEnviron);
            let environ =
                match self.get_environ(py, request, complete.body, conn.client, &mut exchange) {
                    Ok(environ) => environ,
                    Err(err) => return fail(&mut exchange, err),
                };
            self.phase(exchange.id, Phase::Application);
            let call = self.call_application(py, environ, &response, &mut exchange);
            self.phase(exchange.id, Phase::FinishResponse);
            match call.result {
                Ok(result) => self.finish_response(py, &result, &response, &mut exchange),
                Err(err) => fail(&mut exchange, err),
            }
            // A generator may read the input while it is iterated.
            exchange.checks.extend(input_findings(&call.input));
        });
        let after = After {
            client: conn.client,
            unread: complete.unread,
            rest: complete.rest,
        };
        self.close_or_keep(&response, exchange, after);
    }

    /// Feed what connection `key` sent so far to the parser, and act on the answer (the
    /// tutorial's `parse_request`, which got the whole request from one `recv`): wait for
    /// more, queue a complete request, or refuse a bad one.
    ///
    /// A person typing in telnet sends a line at a time, and a program may send one byte at a
    /// time: "not complete yet" is not an error, only a reason to read more.
    fn parse_request(&mut self, key: u64, new_bytes: usize) {
        // Into the record first: the parser may drop decoded chunk bytes from the buffer.
        let arrived = self.keep_bytes(key, new_bytes);
        let Some(conn) = self.connections.get_mut(&key) else {
            return;
        };
        if conn.is_held() {
            // Step mode: kept, not parsed, until the class lets this request begin.
            self.tell_bytes(arrived, Waiting::Held);
            return;
        }
        let progress = conn.advance(self.config.max_body);
        self.report_line(key);
        match progress {
            Progress::Waiting(waiting) => {
                self.tell_bytes(arrived, waiting);
                self.send_continue(key);
            }
            Progress::Complete => {
                let behind = !self.queue.is_empty();
                let waiting = if behind {
                    Waiting::Turn
                } else {
                    Waiting::Nothing
                };
                self.tell_bytes(arrived, waiting);
                if let Some(mut conn) = self.connections.remove(&key) {
                    self.record_head(&mut conn);
                    self.queue.push_back(conn);
                }
            }
            Progress::Refused(error) => {
                self.tell_bytes(arrived, Waiting::Nothing);
                self.refuse(key, ReadError::Bad(error));
            }
        }
    }

    /// Build the environ for this request (the tutorial's `get_environ`): a copy of the fixed
    /// part made in `new`, plus the request's own keys (see `src/environ.rs`). The record
    /// keeps it as (key, repr) pairs.
    fn get_environ<'py>(
        &mut self,
        py: Python<'py>,
        request: &Request,
        body: Vec<u8>,
        client: SocketAddr,
        exchange: &mut Exchange,
    ) -> PyResult<Bound<'py, PyDict>> {
        let started = Instant::now();
        let environ = environ::get_environ(py, self.base_environ.bind(py), request, body, client);
        exchange.timings.get_environ = started.elapsed();
        let environ = environ?;
        exchange.environ = environ::record(&environ, &self.base_reprs);
        self.emit_progress(|| Event::EnvironBuilt {
            id: exchange.id,
            environ: exchange.environ.clone(),
        });
        Ok(environ)
    }

    /// The `start_response` callable for this exchange (the tutorial's `start_response`).
    ///
    /// In the tutorial it is a method of the server, which the app calls back through a bound
    /// method; here it is a small Rust object Python can call, tied to this exchange's
    /// response, so that what one app call sets cannot leak into the next exchange. Its rules
    /// are in `src/start_response.rs`.
    fn start_response<'py>(
        &self,
        py: Python<'py>,
        response: &Arc<Mutex<Response>>,
    ) -> PyResult<Bound<'py, StartResponse>> {
        Bound::new(py, StartResponse::new(Arc::clone(response)))
    }

    /// Send the app's result: iterate it, send each chunk (headers just before the first
    /// non-empty one), and call its `close()` whatever happens (the tutorial's
    /// `finish_response`). Iterating and its failures are in `src/result.rs`.
    pub fn finish_response(
        &self,
        py: Python<'_>,
        result: &Bound<'_, PyAny>,
        response: &Mutex<Response>,
        exchange: &mut Exchange,
    ) {
        let started = Instant::now();
        let outcome = result::send_result(result, response);
        // PEP 3333 §Specification Details: "If the iterable returned by the application has a
        // close() method, the server or gateway must call that method upon completion of the
        // current request, whether the request was completed normally, or terminated early due
        // to an application error during iteration or an early disconnect of the browser."
        let closed = match result.getattr_opt("close") {
            Ok(Some(close)) => close.call0().map(drop),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(failure) = outcome {
            result::app_failed(py, response, exchange, failure, self.config.debug);
        }
        // After a failed iteration too: both errors are the app's, and both are worth reading.
        if let Err(err) = closed {
            result::close_failed(py, exchange, &err);
        }
        exchange.timings.finish_response = started.elapsed();
    }

    // ---- Around the tutorial's methods: its loop, the app call, the request out of the loop. ----

    /// The tutorial's loop, for `--one-at-a-time`: accept one connection, read its whole
    /// request, answer, close; only then accept the next. One silent client holds everyone
    /// else for `--timeout`: lesson 11 shows it.
    pub fn serve_one_at_a_time(&mut self) -> io::Result<()> {
        loop {
            match wait_for(
                self.listener.as_raw_fd(),
                Ready::ToRead,
                self.stop.fd(),
                None,
            )? {
                Wait::Stopped => return Ok(()),
                Wait::TimedOut => continue,
                Wait::Ready => {}
            }
            let key = match self.listener.accept() {
                Ok((stream, client)) => self.add_connection(stream, client, Instant::now()),
                // A client that gave up while waiting in the queue, or a full file table:
                // not a reason to stop serving the others.
                Err(e) => {
                    self.note(format!("accept failed: {e}"));
                    continue;
                }
            };
            // Read this one connection until its request is complete, answered or closed,
            // and serve it; with --keep-alive the same connection goes on, and a lingering
            // close happens in place, as in the tutorial's blocking world.
            loop {
                if self.wait_on(key)? == Wait::Stopped {
                    return Ok(());
                }
                if self.queue.is_empty() {
                    break;
                }
                if self.serve_queue() {
                    return Ok(());
                }
            }
        }
    }

    /// `--one-at-a-time`: wait on connection `key` alone, taking in what it sends, until it
    /// leaves the table (queued, answered or closed).
    fn wait_on(&mut self, key: u64) -> io::Result<Wait> {
        loop {
            // Step mode holds a request at its first byte; here it is the only one.
            if self.begin_held() == Wait::Stopped {
                return Ok(Wait::Stopped);
            }
            self.tell_counts();
            let Some(conn) = self.connections.get(&key) else {
                break;
            };
            let deadline = conn.deadline(self.config.timeout);
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match wait_for(conn.fd(), Ready::ToRead, self.stop.fd(), timeout)? {
                Wait::Stopped => return Ok(Wait::Stopped),
                Wait::TimedOut => self.expire(Instant::now()),
                Wait::Ready => self.receive(key, Instant::now()),
            }
        }
        Ok(Wait::Ready)
    }

    /// Call the app with the environ and a fresh `start_response` (the tutorial's
    /// `self.application(env, self.start_response)`), and record what it did.
    fn call_application<'py>(
        &mut self,
        py: Python<'py>,
        environ: Bound<'py, PyDict>,
        response: &Arc<Mutex<Response>>,
        exchange: &mut Exchange,
    ) -> AppCall<'py> {
        // Kept to collect its findings (how the app read the body), even if the app replaces
        // the environ's wsgi.input.
        let input = environ
            .get_item("wsgi.input")
            .ok()
            .flatten()
            .and_then(|i| i.cast_into().ok());
        let started = Instant::now();
        let result = self
            .start_response(py, response)
            .and_then(|start_response| self.app.bind(py).call1((environ, start_response)));
        exchange.timings.application = started.elapsed();
        self.emit_progress(|| Event::AppReturned {
            id: exchange.id,
            start_response: start_response::lock(py, response).calls.clone(),
            result: match &result {
                Ok(result) => start_response::repr(result),
                Err(err) => format!("raised {}", python::describe(py, err)),
            }
            .chars()
            .take(MAX_RESULT_REPR)
            .collect(),
        });
        // Findings about reading the input, before the head goes out (for --strict).
        let mut locked = start_response::lock(py, response);
        for finding in input_findings(&input) {
            locked.flag(finding);
        }
        AppCall { result, input }
    }

    /// The response for `request` on a connection that carried `served` requests before:
    /// chunked when HTTP/1.1 allows it, kept open when `--keep-alive`, the client and
    /// [`MAX_REQUESTS_PER_CONNECTION`] allow it.
    fn response_for(
        &self,
        request: &Request,
        stream: TcpStream,
        served: u32,
    ) -> Arc<Mutex<Response>> {
        let keep_alive = self.config.keep_alive
            && request.wants_keep_alive()
            && served + 1 < MAX_REQUESTS_PER_CONNECTION;
        let writer = Writer::new(stream, self.stop.fd(), self.config.timeout);
        let response = Response::new(writer, request.method == "HEAD")
            .protocol(request.version == Version::Http11, keep_alive)
            .strict(self.config.strict);
        Arc::new(Mutex::new(response))
    }

    /// After the response: finish the record, then keep the connection open for the next
    /// request, close it lingering (bytes left unread), or just close it.
    fn close_or_keep(&mut self, response: &Mutex<Response>, mut exchange: Exchange, after: After) {
        let (stream, reusable, unread) = {
            // Without the GIL here, waiting for an app thread still inside write() cannot
            // deadlock: that thread needs nothing this one holds.
            let mut response = response.lock().unwrap_or_else(|p| p.into_inner());
            // Asked before the record takes the findings that tell.
            let reusable = response.reusable();
            response.record(&mut exchange);
            let unread = after.unread || response.has_unread();
            (response.take_stream(), reusable, unread)
        };
        exchange.connection.kept_open = reusable && stream.is_some();
        let on = exchange.connection;
        let (output, cut) = python::take_output();
        exchange.output.extend(output);
        exchange.output_cut = cut;
        self.finished(exchange);
        match stream {
            Some(stream) if reusable => self.keep_open(stream, after.client, on, after.rest),
            // Bytes after the request are still unread: close without a reset.
            Some(stream) if unread => {
                self.linger(Connection::new(stream, after.client, on.id, Instant::now()))
            }
            _ => {}
        }
    }

    /// Take a complete request and its record out of `conn`, with the parser's time and a
    /// finding for discarded trailers.
    fn take_complete(&mut self, conn: &mut Connection) -> Option<(Complete, Exchange)> {
        let (Some(complete), Some(mut exchange)) = (conn.take_request(), conn.exchange.take())
        else {
            return None;
        };
        exchange.timings.parse_request = conn.parse_time;
        // Bytes read with this request that begin the next one are the next one's.
        exchange.request_raw.drop_last(complete.rest.len() as u64);
        self.emit_live(|| Event::RequestBytes {
            id: exchange.id,
            bytes: Vec::new(),
            waiting_for: Waiting::Nothing,
        });
        if !complete.trailers.is_empty() {
            exchange.check(
                &checks::TRAILERS_DISCARDED,
                format!(
                    "the trailer fields {} were read and discarded: WSGI has no place for them",
                    complete.trailers.join(", ")
                ),
            );
        }
        Some((complete, exchange))
    }

    // ---- The loop's own work: waiting, accepting, reading, deadlines. ----

    /// One turn of the event loop: wait until a socket is ready (at most `wait`, and never
    /// past a connection's deadline; None: until something happens), accept, read, expire.
    fn turn(&mut self, wait: Option<Duration>) -> io::Result<Wait> {
        // Here, before the wait, it covers both the last turn and the requests served since.
        self.tell_counts();
        let now = Instant::now();
        let mut deadline = wait.and_then(|w| now.checked_add(w));
        let mut watches = Vec::with_capacity(self.connections.len() + 2);
        let mut keys = Vec::with_capacity(self.connections.len());
        // At the limit with nobody idle to make room for, new clients wait in the kernel's
        // listen queue: the listener is not watched this turn.
        if self.accept_paused_until.is_some_and(|until| until <= now) {
            self.accept_paused_until = None;
        }
        if let Some(until) = self.accept_paused_until {
            deadline = Some(deadline.map_or(until, |d| d.min(until)));
        }
        let accepting = self.accept_paused_until.is_none()
            && (self.open_connections() < self.config.max_connections
                || self.connections.values().any(Connection::is_idle));
        if accepting {
            watches.push(Watch::new(self.listener.as_raw_fd(), Ready::ToRead));
        }
        for (key, conn) in &self.connections {
            if let Some(at) = conn.deadline(self.config.timeout) {
                deadline = Some(deadline.map_or(at, |d| d.min(at)));
            }
            if conn.is_held() && conn.bytes().len() >= HELD_BYTES {
                // Step mode holds it: what it sends next waits in the kernel, not here.
                continue;
            }
            watches.push(Watch::new(conn.fd(), Ready::ToRead));
            keys.push(*key);
        }
        let waited = poll_all(&mut watches, self.stop.fd(), deadline)?;
        if waited == Wait::Stopped {
            return Ok(Wait::Stopped);
        }
        let now = Instant::now();
        let (listener, connections) = watches.split_at(usize::from(accepting));
        for (watch, key) in connections.iter().zip(keys) {
            if watch.ready() {
                self.receive(key, now);
            }
        }
        if listener.first().is_some_and(Watch::ready) {
            self.accept_all(now);
        }
        self.expire(now);
        Ok(waited)
    }

    /// Connections open now: being read, lingering, or queued.
    fn open_connections(&self) -> usize {
        self.connections.len() + self.queue.len()
    }

    /// Accept every pending connection. At `--max-connections`, the oldest connection that
    /// has sent nothing is closed to make room: idle sockets (a browser keeps spares) must
    /// never keep out a client with a request to send.
    fn accept_all(&mut self, now: Instant) {
        loop {
            if self.open_connections() >= self.config.max_connections {
                // Make room only for a client that is there (accept would say WouldBlock).
                if !is_readable(self.listener.as_raw_fd()) {
                    return;
                }
                let oldest_idle = self
                    .connections
                    .iter()
                    .find(|(_, conn)| conn.is_idle())
                    .map(|(key, _)| *key);
                match oldest_idle {
                    Some(key) => {
                        // A kept-alive one between requests made its records already.
                        if self.connections.remove(&key).is_some_and(|c| c.served == 0) {
                            self.closed_idle.made_room += 1;
                        }
                    }
                    None => return,
                }
            }
            match self.listener.accept() {
                Ok((stream, client)) => {
                    self.accept_failures = 0;
                    let key = self.add_connection(stream, client, now);
                    // The request often came with the connection: read it now, not a turn
                    // later.
                    self.receive(key, now);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if out_of_resources(&e) => {
                    // The listener stays readable (level-triggered): trying again at once
                    // would spin. Wait a moment, and say so once per spell.
                    self.accept_failures += 1;
                    if self.accept_failures == 1 {
                        self.note(format!(
                            "accept failed: {e}; trying again every {} ms until a connection \
                             closes (said once)",
                            ACCEPT_PAUSE.as_millis()
                        ));
                    }
                    self.accept_paused_until = Some(now + ACCEPT_PAUSE);
                    return;
                }
                // A client that gave up while waiting in the queue: not a reason to stop
                // serving the others.
                Err(e) => {
                    self.note(format!("accept failed: {e}"));
                    return;
                }
            }
        }
    }

    /// Take in a new connection; returns its key in the table.
    fn add_connection(&mut self, stream: TcpStream, client: SocketAddr, now: Instant) -> u64 {
        // Small writes (a streamed body) go out at once instead of waiting for an ACK.
        let _ = stream.set_nodelay(true);
        let _ = stream.set_nonblocking(true);
        self.next_connection += 1;
        let key = self.next_connection;
        self.connections
            .insert(key, Connection::new(stream, client, key, now));
        key
    }

    /// Read what connection `key` sent, start its record with the first byte, and feed the
    /// parser.
    fn receive(&mut self, key: u64, now: Instant) {
        let Some(conn) = self.connections.get_mut(&key) else {
            return;
        };
        let got = conn.receive(&mut self.read_buf, now);
        if conn.is_lingering() {
            if got.gone {
                self.connections.remove(&key);
            }
            return;
        }
        if got.bytes > 0 {
            self.take_in(key, got.bytes);
        }
        if !got.gone {
            return;
        }
        // The client closed its side: served if its request is complete (it may half-close
        // after sending), else over.
        let Some(mut conn) = self.connections.remove(&key) else {
            return;
        };
        match conn.exchange.take() {
            // A kept-alive connection closed between requests is the normal end of one.
            None if conn.served > 0 => {}
            None => self.closed_idle.by_client += 1,
            Some(mut exchange) => {
                exchange.timings.parse_request = conn.parse_time;
                exchange.timings.receiving = conn.receiving();
                exchange.fail(
                    "request-incomplete",
                    "the client closed the connection before the request was complete",
                );
                self.finished(exchange);
            }
        }
    }

    /// Bytes arrived on connection `key` (the `new` ones are at the end of its buffer): the
    /// first ones begin a request and its record; all go to the parser.
    fn take_in(&mut self, key: u64, new: usize) {
        let Some(conn) = self.connections.get_mut(&key) else {
            return;
        };
        if conn.is_idle() {
            self.last_id += 1;
            let mut exchange = Exchange::new(self.last_id, conn.client);
            exchange.connection.id = conn.number;
            exchange.connection.request = conn.served + 1;
            let held = self.observer.is_stepping();
            let (id, client, at) = (exchange.id, exchange.client, exchange.started);
            let connection = exchange.connection;
            conn.begin(exchange, held);
            self.emit_live(|| Event::Accepted {
                id,
                client,
                at,
                connection,
            });
            if !held {
                self.phase(id, Phase::ParseRequest);
            }
        }
        self.parse_request(key, new);
    }

    /// Keep a connection open after its response (`--keep-alive`): back in the table, idle,
    /// or already reading the next request if the client sent it (pipelining).
    fn keep_open(
        &mut self,
        stream: TcpStream,
        client: SocketAddr,
        on: OnConnection,
        rest: Vec<u8>,
    ) {
        let pipelined = rest.len();
        let conn = Connection::resume(stream, client, on.id, on.request, rest, Instant::now());
        self.connections.insert(on.id, conn);
        if pipelined > 0 {
            self.take_in(on.id, pipelined);
        }
    }

    /// Step mode: when no request is being walked through, let the oldest held one begin.
    /// The pause before its `parse_request` turns the loop, so other clients are read
    /// meanwhile. With step mode switched off since, every held request begins at once.
    fn begin_held(&mut self) -> Wait {
        while self.stepping_through.is_none() || !self.observer.is_stepping() {
            let Some((key, id)) = self.connections.iter().find_map(|(key, conn)| {
                conn.is_held()
                    .then(|| conn.exchange.as_ref().map(|e| (*key, e.id)))
                    .flatten()
            }) else {
                break;
            };
            if self.observer.is_stepping() {
                self.stepping_through = Some(id);
            }
            let paused = self.phase(id, Phase::ParseRequest);
            if let Some(conn) = self.connections.get_mut(&key) {
                conn.release(Instant::now());
                self.parse_request(key, 0);
            }
            if paused == Wait::Stopped {
                return Wait::Stopped;
            }
        }
        Wait::Ready
    }

    /// Close or answer what waited too long: idle connections (closed, no record), started
    /// requests (408), lingering closes (over).
    fn expire(&mut self, now: Instant) {
        let timeout = self.config.timeout;
        let expired: Vec<(u64, Expired)> = self
            .connections
            .iter()
            .filter_map(|(key, conn)| conn.expired(now, timeout).map(|e| (*key, e)))
            .collect();
        for (key, what) in expired {
            match what {
                Expired::Idle => {
                    if let Some(conn) = self.connections.remove(&key)
                        && conn.served == 0
                    {
                        self.closed_idle.timed_out += 1;
                    }
                }
                Expired::LingerOver => {
                    self.connections.remove(&key);
                }
                Expired::Silent => self.refuse(key, ReadError::Silent),
                Expired::TooSlow => self.refuse(key, ReadError::TooSlow),
            }
        }
    }

    /// Answer a request that cannot be served (a 4xx with a sentence saying why), finish its
    /// record, and close the connection lingering: the client may still be sending.
    fn refuse(&mut self, key: u64, error: ReadError) {
        let Some(mut conn) = self.connections.remove(&key) else {
            return;
        };
        let Some(mut exchange) = conn.exchange.take() else {
            return;
        };
        exchange.timings.parse_request = conn.parse_time;
        exchange.timings.receiving = conn.receiving();
        if let Some(request) = conn.head() {
            record_request_line(request, &mut exchange);
        }
        let (code, rule, message) = match error {
            ReadError::Bad(e) => {
                if e.note == Some(RequestNote::ObsoleteLineFolding) {
                    exchange.check(
                        &checks::OBSOLETE_LINE_FOLDING,
                        format!("the request was refused with 400: {}", e.message),
                    );
                }
                (e.status, e.rule, e.message)
            }
            ReadError::Silent => (
                408,
                "request-timeout",
                format!(
                    "the request was not complete after {} seconds without a byte from the \
                     client (--timeout)",
                    self.config.timeout.as_secs()
                ),
            ),
            ReadError::TooSlow => (
                408,
                "request-too-slow",
                format!(
                    "the request was not complete {} seconds after the connection was accepted: \
                     however steadily its bytes come, a whole request must arrive within {} \
                     times --timeout",
                    (self.config.timeout * REQUEST_TIME_FACTOR).as_secs(),
                    REQUEST_TIME_FACTOR
                ),
            ),
        };
        let (mut bytes, mut body_len) = response::server_response(code, &message);
        if conn.head().is_some_and(|request| request.method == "HEAD") {
            // No body in a response to HEAD (RFC 9110 §9.3.2), even for an error.
            bytes.truncate(bytes.len() - body_len);
            body_len = 0;
        }
        exchange.fail(
            rule,
            format!("{code} {}: {message}", response::reason(code)),
        );
        exchange.status = Some(code);
        exchange.response_raw.push(&bytes);
        exchange.body_bytes = body_len as u64;
        let _ = conn.send_now(&bytes);
        self.linger(conn);
        self.finished(exchange);
    }

    /// Close `conn` lingering (see [`crate::connection`]): it stays in the table, read and
    /// discarded, until the client closes or the linger ends.
    fn linger(&mut self, mut conn: Connection) {
        conn.linger(Instant::now());
        // Its number is free in the table: a connection is out of it while it is served.
        self.connections.insert(conn.number, conn);
    }

    /// The request line is complete: show it at once, before the rest of the head.
    fn report_line(&mut self, key: u64) {
        if !self.observer.wants_live() {
            return;
        }
        let Some(conn) = self.connections.get_mut(&key) else {
            return;
        };
        if conn.line_reported {
            return;
        }
        let Some((method, target)) = conn.request_line() else {
            return;
        };
        conn.line_reported = true;
        let Some(id) = conn.exchange.as_ref().map(|e| e.id) else {
            return;
        };
        self.observer
            .on_event(Event::RequestLine { id, method, target });
    }

    /// Keep the `new` bytes just read (the end of the connection's buffer) in the record.
    /// Returns what a live view is to see of them, with the exchange's id: only what the
    /// record stores (a large upload must not fill the inspector's channel with copies it
    /// would cut anyway; the count still grows with each read), and nothing when no live view
    /// listens.
    fn keep_bytes(&mut self, key: u64, new: usize) -> Option<(u64, Vec<u8>)> {
        let live = self.observer.wants_live();
        let conn = self.connections.get_mut(&key)?;
        let mut exchange = conn.exchange.take()?;
        let bytes = conn.bytes();
        let got = &bytes[bytes.len().saturating_sub(new)..];
        let room = MAX_STORED_BYTES.saturating_sub(exchange.request_raw.stored.len());
        exchange.request_raw.push(got);
        let seen = live.then(|| (exchange.id, got[..got.len().min(room)].to_vec()));
        conn.exchange = Some(exchange);
        seen
    }

    /// Tell a live view what arrived and what the server now waits for.
    fn tell_bytes(&mut self, arrived: Option<(u64, Vec<u8>)>, waiting: Waiting) {
        if let Some((id, bytes)) = arrived {
            self.observer.on_event(Event::RequestBytes {
                id,
                bytes,
                waiting_for: waiting,
            });
        }
    }

    /// Send `100 Continue` when the head asked for it and the body has not begun.
    fn send_continue(&mut self, key: u64) {
        let Some(conn) = self.connections.get_mut(&key) else {
            return;
        };
        if !conn.take_continue_due() {
            return;
        }
        // RFC 9110 §10.1.1: tell the client to go on before it sends a large body.
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
        if let Some(exchange) = conn.exchange.as_mut() {
            exchange.response_raw.push(interim);
        }
        let _ = conn.send_now(interim);
    }

    /// A complete request: its line and the parser's notes go into the record.
    fn record_head(&mut self, conn: &mut Connection) {
        let Some(mut exchange) = conn.exchange.take() else {
            return;
        };
        if let Some(request) = conn.head() {
            record_request_line(request, &mut exchange);
            note_request(request, &mut exchange);
        }
        exchange.timings.receiving = conn.receiving();
        conn.exchange = Some(exchange);
    }

    /// Tell the observer how many connections are open and idle, when that changed.
    fn tell_counts(&mut self) {
        let counts = ConnectionCounts {
            open: self.open_connections() as u64,
            idle: self.connections.values().filter(|c| c.is_idle()).count() as u64,
            closed_idle: self.closed_idle.total(),
        };
        if counts != self.told {
            self.told = counts;
            self.observer.on_connections(counts);
        }
    }

    /// The exchange is over: the record goes to the observer.
    fn finished(&mut self, exchange: Exchange) {
        if self.stepping_through == Some(exchange.id) {
            self.stepping_through = None;
        }
        self.observer.on_event(Event::Finished(Box::new(exchange)));
    }

    /// Tell the observer that phase `phase` of exchange `id` starts; in step mode, wait there
    /// until the class says go. The wait turns the loop (other clients are accepted and read,
    /// none is served) with the GIL released, so the app's threads run too. Returns
    /// [`Wait::Stopped`] when the server was asked to stop meanwhile: the pause ends then.
    fn phase(&mut self, id: u64, phase: Phase) -> Wait {
        self.emit_live(|| Event::PhaseStarted { id, phase });
        if self.pausing || !self.observer.holds(id) {
            self.observer.passed(id);
            return Wait::Ready;
        }
        self.pausing = true;
        let waited = python::without_gil(|| {
            while self.observer.holds(id) {
                let stop = self.stop.fd();
                let waited = if self.config.one_at_a_time {
                    // The tutorial's loop reads nobody else meanwhile.
                    wait_for(stop, Ready::ToRead, stop, Some(STEP_TICK))
                } else {
                    self.turn(Some(STEP_TICK))
                };
                match waited {
                    Ok(Wait::Stopped) | Err(_) => return Wait::Stopped,
                    Ok(_) => {}
                }
            }
            Wait::Ready
        });
        self.pausing = false;
        self.observer.passed(id);
        waited
    }

    /// Send a live event, built only when the observer wants live events.
    fn emit_live(&mut self, event: impl FnOnce() -> Event) {
        if self.observer.wants_live() {
            self.observer.on_event(event());
        }
    }

    /// Send what a phase produced, built only when the observer wants it (step mode).
    fn emit_progress(&mut self, event: impl FnOnce() -> Event) {
        if self.observer.wants_progress() {
            self.observer.on_event(event());
        }
    }

    /// A server note (not tied to an exchange).
    fn note(&mut self, text: String) {
        self.observer
            .on_event(Event::Output(crate::exchange::OutputLine {
                stream: "server",
                text,
            }));
    }

    /// Pass on app output that belongs to no exchange, and say how much of it was not kept.
    fn flush_output(&mut self) {
        let (lines, cut) = python::take_output();
        for line in lines {
            self.observer.on_event(Event::Output(line));
        }
        if !cut.is_empty() {
            self.note(cut.to_string());
        }
    }
}

/// What a served connection still needs once the response is sent.
struct After {
    client: SocketAddr,
    /// The client sent bytes after the request.
    unread: bool,
    /// Those bytes, the start of the next request under `--keep-alive`.
    rest: Vec<u8>,
}

/// What the app call gave: its result (or exception), and the environ's `wsgi.input`, whose
/// findings (how the app read the body) are collected before and after the result is sent.
struct AppCall<'py> {
    result: PyResult<Bound<'py, PyAny>>,
    input: Option<Bound<'py, WsgiInput>>,
}

/// The findings `wsgi.input` made since they were last taken.
fn input_findings(input: &Option<Bound<'_, WsgiInput>>) -> Vec<checks::Check> {
    input
        .as_ref()
        .map(|i| i.borrow_mut().take_findings())
        .unwrap_or_default()
}

/// Bind the listening socket for `config`'s host and port, or say in one sentence why not and
/// what to do about it.
fn listen(config: &ServerConfig) -> Result<TcpListener, StartError> {
    let wanted = format!("{}:{}", config.host, config.port);
    let addrs: Vec<SocketAddr> = wanted
        .to_socket_addrs()
        .map_err(|e| {
            StartError(format!(
                "cannot listen on {wanted}: the host '{}' is not an address this machine \
                 knows ({e}). Use an IP address such as 127.0.0.1 with --host.",
                config.host
            ))
        })?
        .collect();
    let listener = TcpListener::bind(&addrs[..]).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::AddrInUse => format!(
                "the port {} is already in use (another wsgiscope, or another server, is \
                 running there). Stop it, or pick another port with --port (0 picks a free \
                 one).",
                config.port
            ),
            io::ErrorKind::PermissionDenied => format!(
                "permission denied; ports below 1024 need root. Pick a port such as 8888 \
                 with --port ({e})."
            ),
            io::ErrorKind::AddrNotAvailable => format!(
                "'{}' is not an address of this machine ({e}). Use 127.0.0.1, or 0.0.0.0 \
                 for every interface.",
                config.host
            ),
            _ => e.to_string(),
        };
        StartError(format!("cannot listen on {wanted}: {why}"))
    })?;
    Ok(listener)
}

/// Method, target, version and where each part was into the record, once the head is
/// parsed.
fn record_request_line(request: &Request, exchange: &mut Exchange) {
    exchange.spans = Some(request.spans.clone());
    exchange.method = Some(request.method.clone());
    exchange.target = Some(request.target.clone());
    exchange.version = Some(request.version.as_str().to_string());
}

/// Turn the parser's notes into findings on the record.
fn note_request(request: &Request, exchange: &mut Exchange) {
    for note in &request.notes {
        match note {
            RequestNote::MissingHost => exchange.check(
                &checks::MISSING_HOST,
                "an HTTP/1.1 request must carry a Host header; it was served anyway, as the \
                 tutorial's transcript expects"
                    .into(),
            ),
            RequestNote::UnderscoreHeaderDropped(name) => exchange.check(
                &checks::UNDERSCORE_HEADER_DROPPED,
                format!(
                    "the header {name:?} was dropped: its name has '_', and in the environ \
                     HTTP_{} would be the same key as the one for a '-' spelling, which a \
                     client could use to spoof a header set by a proxy",
                    name.to_ascii_uppercase()
                ),
            ),
            // Folding is refused with a 400, so this note only ever rides on the error: see
            // answer_read_error.
            RequestNote::ObsoleteLineFolding => {}
        }
    }
}
