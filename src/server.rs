//! `WSGIServer`: the tutorial's server class, in Rust.
//!
//! Read this file beside the Python `WSGIServer` of the classic "Let's Build A Web Server"
//! tutorial: the methods have the same names and come in the same order.
//!
//! | tutorial (Python)        | here                                   | what it adds            |
//! |--------------------------|----------------------------------------|-------------------------|
//! | `__init__`               | [`WSGIServer::new`]                    | the fixed environ, once |
//! | `serve_forever`          | [`WSGIServer::serve_forever`]          | a clean stop on Ctrl-C  |
//! | `handle_one_request`     | [`WSGIServer::handle_one_request`]     | timeouts, a record      |
//! | `parse_request`          | [`WSGIServer::parse_request`]          | RFC 9112, the body      |
//! | `get_environ`            | [`WSGIServer::get_environ`]            | every PEP 3333 key      |
//! | `start_response`         | [`WSGIServer::start_response`]         | wsgiref's checks        |
//! | `finish_response`        | [`WSGIServer::finish_response`]        | late headers, `close()` |
//!
//! The loop is the tutorial's: accept one connection, read one request, call the app, send
//! the response, close. **One thread, one connection at a time**: while a slow client types
//! its request in telnet, the next client waits in the listen queue. That is on purpose, so the
//! class can see it; a production server (gunicorn, waitress) serves many at once with worker
//! processes or threads. Every response says `Connection: close`; a production server would
//! keep the connection open for the next request.
//!
//! Each phase reports into an [`Exchange`], the record the logs and the inspector read.

use std::io::{self, Read, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::checks::{self, Check, Spot};
use crate::environ::{self, WsgiInput};
use crate::exchange::{
    Event, Exchange, MAX_RESULT_REPR, MAX_STORED_BYTES, Observer, Phase, Waiting,
};
use crate::python;
use crate::request::{self, BodyFraming, ChunkStatus, ChunkedDecoder, Request, RequestNote};
use crate::response::{self, Response};
use crate::start_response::{self, StartResponse};
use crate::wait::{Ready, Wait, wait_for};

/// How many bytes one `read()` from the socket asks for.
const READ_CHUNK: usize = 16 * 1024;

/// After answering before the request was fully read (an error), keep reading and discarding
/// for at most this long, so that closing with unread data does not reset the connection and
/// destroy our answer before the client read it (the "lingering close" of Apache and nginx).
const LINGER: Duration = Duration::from_secs(2);
/// ... and at most this many bytes.
const LINGER_BYTES: usize = 1024 * 1024;

/// The whole request (head and body) must arrive within this many times `--timeout` of the
/// connection being accepted, however steadily its bytes come: `--timeout` alone is per read,
/// so a client sending one byte every 59 seconds would hold the single thread forever (the
/// "slowloris" attack). With the default 60 s that is 5 minutes: a person typing a request
/// line and a few headers into telnet takes well under one, and has four more to look
/// something up. Scaling with `--timeout` keeps the rule "a few silences' worth" for every
/// setting (and keeps its test short: `--timeout 1` gives 5 s).
pub const REQUEST_TIME_FACTOR: u32 = 5;

/// The exit code when a second Ctrl-C (or SIGTERM) ends the process without waiting for the
/// app: 128 + SIGINT, the shell's convention for "killed by Ctrl-C".
pub const FORCED_EXIT: i32 = 130;

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
        }
    }
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

/// The way to ask a running server to stop: Ctrl-C, SIGTERM, the inspector's `q`.
///
/// A byte written into a socket pair wakes the server wherever it waits (for a connection, for
/// a slow client's bytes), because every wait also watches the other end of the pair. That is
/// the "self-pipe trick": a signal handler may do almost nothing, but it may write a byte.
#[derive(Debug)]
pub struct StopSignal {
    read: UnixStream,
    write: UnixStream,
}

/// A cheap handle that stops the server from another thread, or sees that it was asked to.
#[derive(Debug)]
pub struct StopHandle {
    write: UnixStream,
    read: UnixStream,
}

impl StopHandle {
    /// Ask the server to stop; it returns from `serve_forever` after the current exchange.
    pub fn stop(&self) {
        // A full pipe already holds a stop request; nothing more to do.
        let _ = (&self.write).write(&[1]);
    }

    /// Whether a stop was asked for (by a signal or a handle). Nobody reads the byte, so once
    /// raised the signal stays raised.
    pub fn is_raised(&self) -> bool {
        let fd = self.read.as_raw_fd();
        wait_for(fd, Ready::ToRead, fd, Some(Duration::ZERO)).is_ok_and(|w| w != Wait::TimedOut)
    }
}

impl StopSignal {
    /// A fresh, unraised signal.
    pub fn new() -> io::Result<Self> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(StopSignal { read, write })
    }

    /// Raise it on SIGINT (Ctrl-C) and SIGTERM.
    ///
    /// The first signal asks for a clean stop, which happens as soon as the server waits on a
    /// socket. An app stuck in a loop never gives it back that chance, so a second signal ends
    /// the process at once, with exit code [`FORCED_EXIT`].
    pub fn on_signals(&self) -> io::Result<()> {
        let asked = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Registered first, so it runs before the flag below is set: it only fires on the
            // second signal.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                FORCED_EXIT,
                Arc::clone(&asked),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&asked))?;
            signal_hook::low_level::pipe::register(signal, self.write.try_clone()?)?;
        }
        Ok(())
    }

    /// A handle to raise it from elsewhere.
    pub fn handle(&self) -> io::Result<StopHandle> {
        Ok(StopHandle {
            write: self.write.try_clone()?,
            read: self.read.try_clone()?,
        })
    }

    fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

/// Why reading a request ended without one.
#[derive(Debug)]
enum ReadError {
    /// The bytes break a rule: answer with this status and message.
    Bad(request::RequestError),
    /// The client closed the connection (or reset it) first.
    ClientGone { started: bool },
    /// The client was silent for `--timeout`.
    TimedOut { started: bool },
    /// The request was still not complete [`REQUEST_TIME_FACTOR`] × `--timeout` after the
    /// connection was accepted, although the client never fell silent for long.
    TooSlow { allowed: Duration },
    /// The server was asked to stop.
    Stopped,
}

/// The server: a listening socket, the app, and the fixed part of the environ.
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
    /// Who hears about each exchange: a log, or the inspector.
    observer: Box<dyn Observer>,
    stop: StopSignal,
    /// The id of the last exchange.
    last_id: u64,
    /// Where each `read()` lands before it is appended to the request: zeroed once here, not
    /// for every read (zeroing 16 KiB per request was a tenth of the server's CPU time).
    read_buf: Vec<u8>,
}

impl WSGIServer {
    /// Bind and listen, and build the fixed part of the environ (the tutorial's `__init__`).
    ///
    /// The standard library's listener asks the kernel for a backlog of at least 128 pending
    /// connections: clients that arrive while one is served wait there.
    pub fn new(
        config: ServerConfig,
        app: Py<PyAny>,
        observer: Box<dyn Observer>,
    ) -> Result<Self, StartError> {
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

    /// Accept connections one at a time and serve each, until stopped (the tutorial's
    /// `serve_forever`).
    pub fn serve_forever(&mut self) -> io::Result<()> {
        // Lines the app printed while being imported belong to no exchange.
        self.flush_output();
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
            match self.listener.accept() {
                Ok((conn, client)) => self.handle_one_request(conn, client),
                // A client that gave up while waiting in the queue, or a full file table:
                // not a reason to stop serving the others.
                Err(e) => self.note(format!("accept failed: {e}")),
            }
        }
    }

    /// Serve one connection: read the request, run the app, send the response, close
    /// (the tutorial's `handle_one_request`).
    pub fn handle_one_request(&mut self, mut conn: TcpStream, client: SocketAddr) {
        self.last_id += 1;
        let mut exchange = Exchange::new(self.last_id, client);
        self.emit_live(|| Event::Accepted {
            id: exchange.id,
            client,
            at: exchange.started,
        });
        // Small writes (a streamed body) go out at once instead of waiting for an ACK.
        let _ = conn.set_nodelay(true);
        let _ = conn.set_write_timeout(Some(self.config.timeout));

        self.phase(&exchange, Phase::ParseRequest);
        let linger = match self.parse_request(&mut conn, &mut exchange) {
            Ok((request, body)) => {
                Python::attach(|py| self.run_app(py, conn, &request, body, client, &mut exchange))
                    .map(|conn| (conn, false))
            }
            Err(error) => self.answer_read_error(conn, error, &mut exchange),
        };
        if let Some((conn, unread)) = linger {
            close(conn, unread, self.stop.fd());
        }
        let (output, cut) = python::take_output();
        exchange.output.extend(output);
        exchange.output_cut = cut;
        self.observer.on_event(Event::Finished(Box::new(exchange)));
    }

    /// Read bytes until a whole request (head and body) is in, parsing as they come (the
    /// tutorial's `parse_request`, plus reading, which the tutorial did in one `recv`).
    ///
    /// A person typing in telnet sends a line at a time, and a program may send one byte at a
    /// time: "not complete yet" is not an error, only a reason to read more.
    fn parse_request(
        &mut self,
        conn: &mut TcpStream,
        exchange: &mut Exchange,
    ) -> Result<(Request, Vec<u8>), ReadError> {
        let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
        let mut parse_time = Duration::ZERO;
        // None: a deadline too far away for the clock (a ServerConfig built in code), no limit.
        let deadline = self
            .config
            .timeout
            .checked_mul(REQUEST_TIME_FACTOR)
            .and_then(|total| Some((Instant::now().checked_add(total)?, total)));
        // The head.
        let request = loop {
            let started = Instant::now();
            let parsed = request::parse_request(&buf, self.config.max_body);
            parse_time += started.elapsed();
            match parsed {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(e) => {
                    exchange.timings.parse_request = parse_time;
                    return Err(ReadError::Bad(e));
                }
            }
            self.read_more(conn, &mut buf, exchange, Waiting::Head, deadline)?;
        };
        exchange.method = Some(request.method.clone());
        exchange.target = Some(request.target.clone());
        exchange.version = Some(request.version.as_str().to_string());
        self.emit_live(|| Event::RequestLine {
            id: exchange.id,
            method: request.method.clone(),
            target: request.target.clone(),
        });
        note_request(&request, exchange);

        // The body.
        let mut body = Vec::new();
        let mut rest = buf.split_off(request.head_len);
        let has_body = match request.body {
            BodyFraming::Length(n) => n > 0,
            BodyFraming::Chunked => true,
            BodyFraming::None => false,
        };
        if request.expect_continue && has_body && rest.is_empty() {
            // RFC 9110 §10.1.1: tell the client to go on before it sends a large body.
            let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
            exchange.response_raw.push(interim);
            conn.write_all(interim)
                .map_err(|_| ReadError::ClientGone { started: true })?;
        }
        match request.body {
            BodyFraming::None => {}
            BodyFraming::Length(n) => {
                let n = n as usize;
                while rest.len() < n {
                    let waiting = Waiting::Body((n - rest.len()) as u64);
                    self.read_more(conn, &mut rest, exchange, waiting, deadline)?;
                }
                rest.truncate(n);
                body = rest;
            }
            BodyFraming::Chunked => {
                let mut decoder = ChunkedDecoder::new(self.config.max_body);
                let mut input = rest;
                loop {
                    let started = Instant::now();
                    let status = decoder.feed(&input, &mut body);
                    parse_time += started.elapsed();
                    match status.map_err(ReadError::Bad)? {
                        ChunkStatus::Done { .. } => break,
                        ChunkStatus::NeedMore => {
                            input.clear();
                            self.read_more(conn, &mut input, exchange, Waiting::Chunk, deadline)?;
                        }
                    }
                }
                if !decoder.trailers().is_empty() {
                    exchange.check(
                        &checks::TRAILERS_DISCARDED,
                        format!(
                            "the trailer fields {} were read and discarded: WSGI has no place \
                             for them",
                            decoder.trailers().join(", ")
                        ),
                    );
                }
            }
        }
        exchange.timings.parse_request = parse_time;
        self.emit_live(|| Event::RequestBytes {
            id: exchange.id,
            bytes: Vec::new(),
            waiting_for: Waiting::Nothing,
        });
        Ok((request, body))
    }

    /// Wait for the client's next bytes and append them to `buf` (and to the record).
    ///
    /// The wait ends after `--timeout` of silence, or at the whole request's `deadline` (when
    /// it must be complete, and how long that allowed), whichever comes first.
    fn read_more(
        &mut self,
        conn: &mut TcpStream,
        buf: &mut Vec<u8>,
        exchange: &mut Exchange,
        waiting: Waiting,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<(), ReadError> {
        let started = exchange.request_raw.total > 0;
        let idle = self.config.timeout;
        let left = deadline.map(|(at, _)| at.saturating_duration_since(Instant::now()));
        let too_slow = || ReadError::TooSlow {
            allowed: deadline.map_or(Duration::ZERO, |(_, allowed)| allowed),
        };
        if left == Some(Duration::ZERO) {
            return Err(too_slow());
        }
        let wait = left.map_or(idle, |left| left.min(idle));
        match wait_for(conn.as_raw_fd(), Ready::ToRead, self.stop.fd(), Some(wait)) {
            Ok(Wait::Ready) => {}
            Ok(Wait::Stopped) => return Err(ReadError::Stopped),
            Ok(Wait::TimedOut) if wait < idle => return Err(too_slow()),
            Ok(Wait::TimedOut) => return Err(ReadError::TimedOut { started }),
            Err(_) => return Err(ReadError::ClientGone { started }),
        }
        let n = match conn.read(&mut self.read_buf) {
            Ok(0) | Err(_) => return Err(ReadError::ClientGone { started }),
            Ok(n) => n,
        };
        let got = &self.read_buf[..n];
        buf.extend_from_slice(got);
        let room = MAX_STORED_BYTES.saturating_sub(exchange.request_raw.stored.len());
        exchange.request_raw.push(got);
        if self.observer.wants_live() {
            // Only what the record stores: a large upload must not fill the inspector's
            // channel with copies it would cut anyway (the count still grows with each read).
            let bytes = got[..n.min(room)].to_vec();
            self.observer.on_event(Event::RequestBytes {
                id: exchange.id,
                bytes,
                waiting_for: waiting,
            });
        }
        Ok(())
    }

    /// Answer a request that could not be read, when there is still someone to answer.
    /// Returns the connection to close, and whether unread bytes may still arrive.
    fn answer_read_error(
        &mut self,
        mut conn: TcpStream,
        error: ReadError,
        exchange: &mut Exchange,
    ) -> Option<(TcpStream, bool)> {
        let (code, message) = match error {
            ReadError::Bad(e) => {
                if e.note == Some(RequestNote::ObsoleteLineFolding) {
                    exchange.check(
                        &checks::OBSOLETE_LINE_FOLDING,
                        format!("the request was refused with 400: {}", e.message),
                    );
                }
                (e.status, e.message)
            }
            ReadError::TimedOut { started: true } => (
                408,
                format!(
                    "the request was not complete after {} seconds without a byte from the \
                     client (--timeout)",
                    self.config.timeout.as_secs()
                ),
            ),
            ReadError::TooSlow { allowed } => (
                408,
                format!(
                    "the request was not complete {} seconds after the connection was accepted: \
                     however steadily its bytes come, a whole request must arrive within {} \
                     times --timeout",
                    allowed.as_secs(),
                    REQUEST_TIME_FACTOR
                ),
            ),
            ReadError::TimedOut { started: false } => {
                exchange.error = Some(format!(
                    "the client sent nothing for {} seconds and was dropped (--timeout)",
                    self.config.timeout.as_secs()
                ));
                return Some((conn, false));
            }
            ReadError::ClientGone { started } => {
                exchange.error = Some(
                    if started {
                        "the client closed the connection before the request was complete"
                    } else {
                        "the client closed the connection without sending a request"
                    }
                    .into(),
                );
                return None;
            }
            ReadError::Stopped => {
                exchange.error = Some("the server was stopped while reading the request".into());
                return Some((conn, false));
            }
        };
        let (bytes, body_len) = response::server_response(code, &message);
        exchange.error = Some(format!("{code} {}: {message}", response::reason(code)));
        exchange.status = Some(code);
        exchange.response_raw.push(&bytes);
        exchange.body_bytes = body_len as u64;
        let _ = conn.write_all(&bytes);
        Some((conn, true))
    }

    /// The three Python phases: get_environ, the app call, finish_response. Returns the
    /// connection for closing, unless the client is gone.
    fn run_app(
        &mut self,
        py: Python<'_>,
        conn: TcpStream,
        request: &Request,
        body: Vec<u8>,
        client: SocketAddr,
        exchange: &mut Exchange,
    ) -> Option<TcpStream> {
        // Watching the stop signal: Ctrl-C must not wait for a client that does not read.
        let response = Response::new(conn, request.method == "HEAD")
            .watching(self.stop.fd(), self.config.timeout)
            .strict(self.config.strict);
        let response = Arc::new(Mutex::new(response));

        self.phase(exchange, Phase::GetEnviron);
        let started = Instant::now();
        let environ = self.get_environ(py, request, body, client);
        exchange.timings.get_environ = started.elapsed();
        let environ = match environ {
            Ok(environ) => environ,
            Err(err) => {
                self.app_failed(py, &response, exchange, AppFailure::Raised(err));
                return start_response::lock(&response).take_stream();
            }
        };
        exchange.environ = environ::record(&environ, &self.base_reprs);
        self.emit_progress(|| Event::EnvironBuilt {
            id: exchange.id,
            environ: exchange.environ.clone(),
        });
        // Kept to collect its findings (how the app read the body), even if the app replaces
        // the environ's wsgi.input.
        let input: Option<Bound<'_, WsgiInput>> = environ
            .get_item("wsgi.input")
            .ok()
            .flatten()
            .and_then(|i| i.cast_into().ok());

        self.phase(exchange, Phase::Application);
        let started = Instant::now();
        let result = self
            .start_response(py, &response)
            .and_then(|start_response| self.app.bind(py).call1((environ, start_response)));
        exchange.timings.application = started.elapsed();
        self.emit_progress(|| Event::AppReturned {
            id: exchange.id,
            start_response: start_response::lock(&response).calls.clone(),
            result: match &result {
                Ok(result) => start_response::repr(result),
                Err(err) => format!("raised {}", python::describe(py, err)),
            }
            .chars()
            .take(MAX_RESULT_REPR)
            .collect(),
        });

        // Findings about reading the input, before the head goes out (for --strict).
        let take_input_findings = || {
            input
                .as_ref()
                .map(|i| i.borrow_mut().take_findings())
                .unwrap_or_default()
        };
        for finding in take_input_findings() {
            start_response::lock(&response).flag(finding);
        }

        self.phase(exchange, Phase::FinishResponse);
        let started = Instant::now();
        match result {
            Ok(result) => self.finish_response(py, &result, &response, exchange),
            Err(err) => self.app_failed(py, &response, exchange, AppFailure::Raised(err)),
        }
        exchange.timings.finish_response = started.elapsed();

        let mut response = start_response::lock(&response);
        exchange.start_response = std::mem::take(&mut response.calls);
        exchange.set_writes(std::mem::take(&mut response.writes), response.write_calls);
        exchange.checks.append(&mut response.checks);
        // A generator may read the input while it is iterated.
        exchange.checks.extend(take_input_findings());
        if let Some(why) = response.stopped.take() {
            match &mut exchange.error {
                Some(error) => error.push_str(&format!("; {why}")),
                None => exchange.error = Some(why),
            }
        }
        exchange.response_raw.push(&response.raw.stored);
        exchange.response_raw.total += response.raw.cut();
        exchange.status = response.status_sent();
        exchange.body_bytes = response.body_sent;
        response.take_stream()
    }

    /// Build the environ for this request (the tutorial's `get_environ`): a copy of the fixed
    /// part made in `new`, plus the request's own keys. See `src/environ.rs`.
    fn get_environ<'py>(
        &self,
        py: Python<'py>,
        request: &Request,
        body: Vec<u8>,
        client: SocketAddr,
    ) -> PyResult<Bound<'py, PyDict>> {
        environ::get_environ(py, self.base_environ.bind(py), request, body, client)
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
    /// `finish_response`).
    pub fn finish_response(
        &self,
        py: Python<'_>,
        result: &Bound<'_, PyAny>,
        response: &Mutex<Response>,
        exchange: &mut Exchange,
    ) {
        let outcome = send_result(result, response);
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
            self.app_failed(py, response, exchange, failure);
        }
        // After a failed iteration too: both errors are the app's, and both are worth reading.
        if let Err(err) = closed {
            close_failed(py, exchange, &err);
        }
    }

    /// Deal with an app that failed: a 500 if nothing was sent yet, else a cut connection.
    fn app_failed(
        &self,
        py: Python<'_>,
        response: &Mutex<Response>,
        exchange: &mut Exchange,
        failure: AppFailure,
    ) {
        let (summary, traceback) = match &failure {
            AppFailure::Raised(err) => (
                format!("the app raised {}", python::describe(py, err)),
                Some(python::traceback_text(py, err)),
            ),
            AppFailure::Broke(check) => {
                exchange.checks.push(check.clone());
                (check.message.clone(), None)
            }
            AppFailure::ClientGone(e) => {
                exchange.error = Some(format!(
                    "the client went away while the response was sent ({e})"
                ));
                return;
            }
        };
        exchange.error = Some(summary.clone());
        exchange.traceback = traceback.clone();
        let mut response = start_response::lock(response);
        if response.stopped.is_some() {
            // --strict already answered or cut the connection; the record says why.
            return;
        }
        if response.headers_sent {
            exchange.error = Some(format!(
                "{summary}, after the headers were sent: the connection was closed, the only way \
                 left to tell the client that the response is incomplete"
            ));
            return;
        }
        let mut body = format!("The application failed: {summary}.");
        match (&traceback, self.config.debug) {
            (Some(tb), true) => body.push_str(&format!("\n\n{tb}")),
            (Some(_), false) => body.push_str(
                "\n\nThe traceback is in the server's output; start wsgiscope with --debug to \
                 see it here.",
            ),
            (None, _) => {}
        }
        // The app's own head never went out; the 500 replaces it.
        let _ = response.send_server_response(500, body.trim_end());
    }

    /// Tell the observer a phase starts (in step mode, the observer may wait here).
    fn phase(&mut self, exchange: &Exchange, phase: Phase) {
        self.emit_live(|| Event::PhaseStarted {
            id: exchange.id,
            phase,
        });
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

/// Record that the result's `close()` raised: the error names it after whatever failed before
/// (an exception while iterating, a client gone), and its traceback follows the one already
/// recorded, as Python prints chained exceptions.
fn close_failed(py: Python<'_>, exchange: &mut Exchange, err: &PyErr) {
    let what = format!("the result's close() raised {}", python::describe(py, err));
    exchange.error = Some(match exchange.error.take() {
        Some(earlier) => format!("{earlier}; then {what}"),
        None => what,
    });
    let traceback = python::traceback_text(py, err);
    exchange.traceback = Some(match exchange.traceback.take() {
        Some(earlier) => format!("{earlier}\nThen the result's close() raised:\n\n{traceback}"),
        None => traceback,
    });
}

/// What went wrong with the app's result.
enum AppFailure {
    /// An exception from the app (in the call, the iteration, or start_response's checks).
    Raised(PyErr),
    /// A result that breaks PEP 3333 without an exception (a str result, a str chunk...):
    /// the finding that says which rule.
    Broke(Check),
    /// The client closed the connection.
    ClientGone(io::Error),
}

/// Iterate the result and send it, checking it on the way (see [`crate::checks`]).
fn send_result(result: &Bound<'_, PyAny>, response: &Mutex<Response>) -> Result<(), AppFailure> {
    let broke = |rule, message: String| AppFailure::Broke(Check::new(rule, message));
    if result.is_none() {
        return Err(broke(
            &checks::RESULT_NONE,
            "the app returned None instead of an iterable of bytes (did it forget `return`?)"
                .into(),
        ));
    }
    if result.is_instance_of::<PyString>() {
        return Err(broke(
            &checks::RESULT_STR,
            format!(
                "the app returned a str object ({}) instead of an iterable of bytes; iterating \
                 str gives single characters, so return [text.encode('utf-8')]",
                start_response::short_repr(result)
            ),
        ));
    }
    if result.is_instance_of::<PyBytes>() {
        return Err(broke(
            &checks::RESULT_BYTES,
            format!(
                "the app returned a bytes object ({}) instead of an iterable of bytes; iterating \
                 bytes gives single integers, so return [body] instead of body",
                start_response::short_repr(result)
            ),
        ));
    }
    let list_like = result.is_instance_of::<PyList>() || result.is_instance_of::<PyTuple>();
    // A one-item list is the whole body: its length is the Content-Length.
    if let Ok(list) = result.cast::<PyList>()
        && list.len() == 1
        && let Ok(item) = list.get_item(0)
        && let Ok(bytes) = item.cast::<PyBytes>()
    {
        start_response::lock(response).set_known_length(bytes.as_bytes().len() as u64);
    }
    // A list cannot be closed; only look further at other results (files, generators).
    if !list_like && let Some(closed) = closed_already(result) {
        if closed.impossible {
            return Err(broke(&checks::ITERATED_AFTER_CLOSE, closed.message));
        }
        start_response::lock(response)
            .flag(Check::new(&checks::ITERATED_AFTER_CLOSE, closed.message));
    }
    let mut sent_any = false;
    let iter = result.try_iter().map_err(|err| {
        if !is_not_iterable(result, &err) {
            // The result's own __iter__ raised: the app's error, with its traceback.
            return AppFailure::Raised(err);
        }
        broke(
            &checks::RESULT_NOT_ITERABLE,
            format!(
                "the app returned {}, which is not iterable; return a list of bytes such as \
                 [b'hello']",
                start_response::short_repr(result)
            ),
        )
    })?;
    let mut offset = 0u64;
    for (index, chunk) in iter.enumerate() {
        let chunk = chunk.map_err(AppFailure::Raised)?;
        let spot = Spot::Chunk { index, offset };
        let Ok(bytes) = chunk.cast::<PyBytes>() else {
            return Err(AppFailure::Broke(
                Check::new(
                    &checks::CHUNK_NOT_BYTES,
                    format!(
                        "the app yielded {} {} (chunk {index}) where a bytes chunk was \
                         expected; encode text first, e.g. text.encode('utf-8')",
                        start_response::type_name(&chunk),
                        start_response::short_repr(&chunk)
                    ),
                )
                .at(spot),
            ));
        };
        let mut response = start_response::lock(response);
        if response.head.is_none() {
            return Err(AppFailure::Broke(if list_like {
                Check::new(
                    &checks::START_RESPONSE_NOT_CALLED,
                    "the app returned its body before calling start_response, so there is no \
                     status to send",
                )
            } else {
                Check::new(
                    &checks::BODY_BEFORE_START_RESPONSE,
                    "the result yielded body bytes before calling start_response, so there is \
                     no status to send",
                )
                .at(spot)
            }));
        }
        if !bytes.as_bytes().is_empty() {
            sent_any = true;
        }
        offset += bytes.as_bytes().len() as u64;
        response
            .send_body(bytes.as_bytes(), spot)
            .map_err(AppFailure::ClientGone)?;
        if response.stopped.is_some() {
            // --strict replaced or cut the response: no point in running the app further.
            return Ok(());
        }
    }
    let mut response = start_response::lock(response);
    if response.head.is_none() {
        return Err(broke(
            &checks::START_RESPONSE_NOT_CALLED,
            "the app returned without calling start_response, so there is no status to send".into(),
        ));
    }
    if !sent_any && !response.headers_sent {
        response.set_known_length(0);
    }
    response.finish().map_err(AppFailure::ClientGone)
}

/// Whether `iter(result)` failed with `err` because the result cannot be iterated at all: a
/// TypeError, and no `__iter__` on its type (or `__iter__ = None`, Python's way of saying "not
/// iterable"). Any other failure came from running the app's own `__iter__`.
fn is_not_iterable(result: &Bound<'_, PyAny>, err: &PyErr) -> bool {
    let py = result.py();
    err.is_instance_of::<pyo3::exceptions::PyTypeError>(py)
        && result
            .get_type()
            .getattr_opt("__iter__")
            .ok()
            .flatten()
            .is_none_or(|iter| iter.is_none())
}

/// A result the app closed before handing it over (see [`checks::ITERATED_AFTER_CLOSE`]).
struct ClosedResult {
    message: String,
    /// Iterating it would fail (a closed file), rather than just give nothing (a finished
    /// generator).
    impossible: bool,
}

/// Whether the result was closed before the server began to iterate it: a file object (or a
/// `wsgi.file_wrapper` around one) whose `closed` is true, or a generator that already ran to
/// its end or was closed.
fn closed_already(result: &Bound<'_, PyAny>) -> Option<ClosedResult> {
    let is_closed = |obj: &Bound<'_, PyAny>| {
        obj.getattr_opt("closed")
            .ok()
            .flatten()
            .and_then(|c| c.is_truthy().ok())
            .unwrap_or(false)
    };
    let filelike = result.getattr_opt("filelike").ok().flatten();
    if is_closed(result) || filelike.as_ref().is_some_and(is_closed) {
        return Some(ClosedResult {
            message: format!(
                "the app returned {}, whose file was already closed, so the server cannot \
                 read the body from it",
                start_response::short_repr(result)
            ),
            impossible: true,
        });
    }
    let generator = result
        .py()
        .import("types")
        .and_then(|t| t.getattr("GeneratorType"))
        .ok()?;
    if result.is_instance(&generator).ok()? && result.getattr("gi_frame").ok()?.is_none() {
        return Some(ClosedResult {
            message: format!(
                "the app returned {}, which had already finished or been closed, so the body \
                 is empty",
                start_response::short_repr(result)
            ),
            impossible: false,
        });
    }
    None
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

/// Close the connection. When the client may still be sending (we answered before reading all
/// it sent), first stop writing and read what comes for a moment, so that the close does not
/// turn into a reset that destroys the answer in flight.
fn close(conn: TcpStream, unread: bool, stop: RawFd) {
    if !unread {
        return;
    }
    let _ = conn.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut discarded = 0;
    let mut buf = [0u8; READ_CHUNK];
    let mut conn = conn;
    while discarded < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero()
            || wait_for(conn.as_raw_fd(), Ready::ToRead, stop, Some(left)).ok() != Some(Wait::Ready)
        {
            return;
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => discarded += n,
        }
    }
}
