//! One client's connection, as the event loop sees it: its socket, the bytes it sent so far,
//! how far the parser got, and its deadlines.
//!
//! # Why a connection needs a state of its own
//!
//! The tutorial's server reads one request from start to end before it looks at anyone else,
//! so "how far did this client get" lives on the stack of `handle_one_request`. The event loop
//! (see [`crate::server`]) reads a little from whichever connection has bytes, then moves on:
//! each connection must remember where it stopped. That memory is this type:
//!
//! ```text
//!   accepted ──first byte──▶ Head ──blank line──▶ Body ──last byte──▶ complete: joins the queue
//!      ▲ │                    │                    │                        │
//!      │ │ silent --timeout   │ refused (400...)   │ silent (408), too slow │ served
//!      │ ▼                    ▼                    ▼                        ▼
//!      │ closed, no record  answered, then Lingering: read and discard,   closed, or (with
//!      │                    then close                                    --keep-alive)
//!      └──────────────────────────────────────────────────────────────── kept: idle again
//! ```
//!
//! An idle connection (accepted, nothing received) costs its socket and this struct: its buffer
//! is allocated with the first byte, so a browser's unused preconnect sockets cost almost
//! nothing. The bytes themselves go to the same pure parser as before
//! ([`request::parse_request`], [`ChunkedDecoder`]): this module only keeps them.
//!
//! # Lingering close
//!
//! When the server answers before it read everything the client sent (a 400 while a body is
//! still coming), closing at once would make the kernel send a reset, and a reset can destroy
//! the answer before the client reads it. So the server shuts down its sending side (the
//! client sees the end of the answer) and keeps reading and discarding for a bounded time and
//! size ([`LINGER`], [`LINGER_BYTES`]) before it closes, as Apache and nginx do. In the loop
//! this is one more state of the connection, not a wait that holds the thread.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use crate::exchange::{Exchange, Waiting};
use crate::python;
use crate::request::{
    self, BodyFraming, ChunkStatus, ChunkedDecoder, HeadScan, Request, RequestError,
};
use crate::wait::{Ready, Wait, is_readable, wait_for};

/// How many bytes one `read()` from the socket asks for.
pub const READ_CHUNK: usize = 16 * 1024;

/// At most this many reads from one connection per turn of the loop, so that one client
/// uploading a large body cannot keep the loop from the others (64 KiB a turn).
const READS_PER_TURN: usize = 4;

/// After answering before the request was fully read, keep reading and discarding for at most
/// this long (see the module doc: a lingering close) ...
pub const LINGER: Duration = Duration::from_secs(2);
/// ... and at most this many bytes.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// The whole request (head and body) must arrive within this many times `--timeout` of the
/// connection being accepted, however steadily its bytes come: `--timeout` alone is per
/// silence, so a client sending one byte every 59 seconds would hold its connection forever
/// (the "slowloris" attack). With the default 60 s that is 5 minutes: a person typing a request
/// line and a few headers into telnet takes well under one, and has four more to look
/// something up. Scaling with `--timeout` keeps the rule "a few silences' worth" for every
/// setting (and keeps its test short: `--timeout 1` gives 5 s).
pub const REQUEST_TIME_FACTOR: u32 = 5;

/// Where a connection is in its life.
#[derive(Debug)]
enum State {
    /// Accepted; not a byte yet. No buffer, no record.
    Idle,
    /// Bytes arrived, but step mode has not let this request begin: another one is being
    /// stepped through, and the class follows one at a time. Its bytes are kept, not parsed.
    Held,
    /// Reading the head, up to the blank line; the scan remembers the lines checked so far.
    Head(HeadScan),
    /// The head is parsed; reading the body.
    Body {
        request: Box<Request>,
        /// The decoded body so far (chunked) or the body bytes so far (Content-Length).
        body: Vec<u8>,
        /// The chunked decoder, for a chunked body.
        decoder: Option<ChunkedDecoder>,
    },
    /// The whole request is here, waiting for its turn (or being served).
    Complete(Box<Complete>),
    /// Answered early; reading and discarding until the client closes or the linger ends.
    Lingering { until: Instant, discarded: usize },
}

/// A whole request, read and parsed: what `handle_one_request` serves.
#[derive(Debug)]
pub struct Complete {
    pub request: Request,
    /// The body, decoded when it was chunked.
    pub body: Vec<u8>,
    /// The names of the trailer fields of a chunked body (read, and discarded: WSGI has no
    /// place for them).
    pub trailers: Vec<String>,
    /// The client sent bytes after this request (a pipelined request): they stay unread, so
    /// the close must linger. Known when the request is taken; the server also looks at the
    /// socket when it closes, for bytes that came after.
    pub unread: bool,
    /// Where the request ended in the connection's buffer.
    end: usize,
    /// The bytes after the request (the start of a pipelined one), when the request is taken.
    pub rest: Vec<u8>,
}

/// What reading found, in one turn of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// How many new bytes (they are at the end of [`Connection::bytes`]).
    pub bytes: usize,
    /// The client closed its side (or the connection failed): nothing more will come.
    pub gone: bool,
}

/// What the parser made of the bytes so far.
#[derive(Debug)]
pub enum Progress {
    /// More bytes are needed; this is what the server waits for.
    Waiting(Waiting),
    /// The whole request is here.
    Complete,
    /// The bytes break a rule.
    Refused(RequestError),
}

/// A deadline that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Nothing was ever sent, for `--timeout`: closed without an answer or a record.
    Idle,
    /// A request began, then `--timeout` passed without a byte: a 408.
    Silent,
    /// The request was not complete [`REQUEST_TIME_FACTOR`] × `--timeout` after the
    /// connection was accepted: a 408 that says so.
    TooSlow,
    /// The lingering close is over.
    LingerOver,
}

/// One client's connection: the socket, what it sent, and how far the server got with it.
#[derive(Debug)]
pub struct Connection {
    /// The socket, non-blocking while the loop reads it.
    pub stream: TcpStream,
    /// The client's address.
    pub client: SocketAddr,
    /// Connections count from 1 in the order they were accepted.
    pub number: u64,
    /// Requests already served on this connection (`--keep-alive`); 0 for a new one.
    pub served: u32,
    /// When the connection was accepted, or its last response sent (the whole-request limit
    /// counts from here).
    accepted: Instant,
    /// When the last byte arrived (or the connection was accepted): the silence counts from
    /// here.
    last_heard: Instant,
    /// Every byte received so far for this request; empty (and unallocated) while idle.
    buf: Vec<u8>,
    /// How many bytes of `buf` the chunked decoder has been fed.
    fed: usize,
    state: State,
    /// The record of this exchange, from the first byte on.
    pub exchange: Option<Exchange>,
    /// The time spent in the parser so far (the record's `parse_request`).
    pub parse_time: Duration,
    /// When this request's first byte arrived (or step mode let it begin): the record's
    /// `receiving` counts from here.
    began: Instant,
    /// Whether the request line was already reported to the live view.
    pub line_reported: bool,
    /// `Expect: 100-continue` asks for an interim answer before the body; it is due once.
    continue_due: bool,
}

impl Connection {
    /// Connection number `number`, just accepted.
    pub fn new(stream: TcpStream, client: SocketAddr, number: u64, now: Instant) -> Self {
        Connection {
            stream,
            client,
            number,
            served: 0,
            accepted: now,
            last_heard: now,
            buf: Vec::new(),
            fed: 0,
            state: State::Idle,
            exchange: None,
            parse_time: Duration::ZERO,
            began: now,
            line_reported: false,
            continue_due: false,
        }
    }

    /// The same connection, kept open after its response for the next request
    /// (`--keep-alive`): `served` requests so far, and `rest`, the bytes the client already sent
    /// after the last request (a pipelined request), which begin the next one.
    pub fn resume(
        stream: TcpStream,
        client: SocketAddr,
        number: u64,
        served: u32,
        rest: Vec<u8>,
        now: Instant,
    ) -> Self {
        let mut conn = Connection::new(stream, client, number, now);
        conn.served = served;
        conn.buf = rest;
        conn
    }

    /// Whether the client has sent nothing yet (since its last response, for a kept one).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Whether step mode holds this request back: its bytes are kept, not parsed, until the
    /// class lets it begin.
    pub fn is_held(&self) -> bool {
        matches!(self.state, State::Held)
    }

    /// Whether the connection is closing (lingering).
    pub fn is_lingering(&self) -> bool {
        matches!(self.state, State::Lingering { .. })
    }

    /// The socket's file descriptor, for `poll`.
    pub fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// The parsed head, once the blank line arrived (while the body is read, or complete).
    pub fn head(&self) -> Option<&Request> {
        match &self.state {
            State::Body { request, .. } => Some(request),
            State::Complete(complete) => Some(&complete.request),
            _ => None,
        }
    }

    /// Every byte received so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The method and target of this request's line, once that line has arrived and passed
    /// its checks (the head may still be arriving); None before, and while held.
    pub fn request_line(&self) -> Option<(String, String)> {
        let request = match &self.state {
            State::Head(scan) => return scan.request_line(&self.buf),
            State::Body { request, .. } => request,
            State::Complete(complete) => &complete.request,
            State::Idle | State::Held | State::Lingering { .. } => return None,
        };
        Some((request.method.clone(), request.target.clone()))
    }

    /// Read what the client sent, without waiting: at most `READS_PER_TURN` reads into
    /// `scratch`, appended to the buffer (or, while lingering, counted and dropped).
    pub fn receive(&mut self, scratch: &mut [u8], now: Instant) -> Received {
        let mut got = Received {
            bytes: 0,
            gone: false,
        };
        for _ in 0..READS_PER_TURN {
            match self.stream.read(scratch) {
                Ok(0) => {
                    got.gone = true;
                    break;
                }
                Ok(n) => {
                    got.bytes += n;
                    if let State::Lingering { discarded, .. } = &mut self.state {
                        *discarded += n;
                        if *discarded >= LINGER_BYTES {
                            got.gone = true;
                            break;
                        }
                        continue;
                    }
                    self.buf.extend_from_slice(&scratch[..n]);
                    if n < scratch.len() {
                        // The kernel had no more: another read would only say WouldBlock.
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    got.gone = true;
                    break;
                }
            }
        }
        if got.bytes > 0 {
            self.last_heard = now;
        }
        got
    }

    /// The first bytes arrived: the request exists now, as `exchange`. `held`: step mode keeps
    /// it from being parsed until [`Connection::release`].
    pub fn begin(&mut self, exchange: Exchange, held: bool) {
        self.began = Instant::now();
        self.exchange = Some(exchange);
        self.state = if held {
            State::Held
        } else {
            State::Head(HeadScan::default())
        };
    }

    /// Step mode lets a held request be parsed now. Its deadlines start again: while it was
    /// held, the server made it wait, not the client.
    pub fn release(&mut self, now: Instant) {
        if self.is_held() {
            self.state = State::Head(HeadScan::default());
            self.accepted = now;
            self.last_heard = now;
            self.began = now;
        }
    }

    /// How long this request has been arriving: since its first byte (or since step mode let
    /// it begin). Asked when it is complete, refused or abandoned, it is the record's
    /// `receiving`.
    pub fn receiving(&self) -> Duration {
        self.began.elapsed()
    }

    /// Feed the bytes received so far to the parser, and say what is still missing.
    pub fn advance(&mut self, max_body: u64) -> Progress {
        let started = Instant::now();
        let progress = self.parse(max_body);
        self.parse_time += started.elapsed();
        progress
    }

    fn parse(&mut self, max_body: u64) -> Progress {
        loop {
            let state = std::mem::replace(&mut self.state, State::Idle);
            let (next, progress) = self.step(state, max_body);
            self.state = next;
            if let Some(progress) = progress {
                return progress;
            }
        }
    }

    /// One step of the parser from `state`: the next state, and the progress to report when
    /// this step cannot go further (None: go on with the next state).
    fn step(&mut self, state: State, max_body: u64) -> (State, Option<Progress>) {
        match state {
            State::Idle => (state, Some(Progress::Waiting(Waiting::Head))),
            State::Held => (state, Some(Progress::Waiting(Waiting::Held))),
            State::Complete(_) => (state, Some(Progress::Complete)),
            State::Lingering { .. } => (state, Some(Progress::Waiting(Waiting::Nothing))),
            State::Head(scan) => self.read_head(scan, max_body),
            State::Body {
                request,
                body,
                decoder: None,
            } => self.read_sized_body(request, body),
            State::Body {
                request,
                body,
                decoder: Some(decoder),
            } => self.read_chunked_body(request, body, decoder),
        }
    }

    /// The head: still arriving, refused, or parsed, and then the body is next (framed by
    /// Content-Length or chunked, or empty).
    fn read_head(&mut self, mut scan: HeadScan, max_body: u64) -> (State, Option<Progress>) {
        let request = match request::parse_request_resuming(&self.buf, max_body, &mut scan) {
            Ok(Some(request)) => request,
            Ok(None) => return (State::Head(scan), Some(Progress::Waiting(Waiting::Head))),
            Err(e) => return (State::Head(scan), Some(Progress::Refused(e))),
        };
        let has_body = match request.body {
            BodyFraming::Length(n) => n > 0,
            BodyFraming::Chunked => true,
            BodyFraming::None => false,
        };
        // RFC 9110 §10.1.1: tell the client to go on before it sends a large body,
        // unless the body has begun already.
        self.continue_due =
            request.expect_continue && has_body && self.buf.len() == request.head_len;
        self.fed = request.head_len;
        let decoder = (request.body == BodyFraming::Chunked).then(|| ChunkedDecoder::new(max_body));
        let body = State::Body {
            request: Box::new(request),
            body: Vec::new(),
            decoder,
        };
        (body, None)
    }

    /// A body of Content-Length bytes (or none): complete once they are all here.
    fn read_sized_body(
        &mut self,
        request: Box<Request>,
        mut body: Vec<u8>,
    ) -> (State, Option<Progress>) {
        let n = match request.body {
            BodyFraming::Length(n) => n as usize,
            _ => 0,
        };
        let have = self.buf.len() - request.head_len;
        if have < n {
            let waiting = Waiting::Body((n - have) as u64);
            let state = State::Body {
                request,
                body,
                decoder: None,
            };
            return (state, Some(Progress::Waiting(waiting)));
        }
        let start = request.head_len;
        body.extend_from_slice(&self.buf[start..start + n]);
        let mut request = *request;
        request.spans.body = Some(start..start + n);
        let complete = State::Complete(Box::new(Complete {
            request,
            body,
            trailers: Vec::new(),
            unread: false,
            end: start + n,
            rest: Vec::new(),
        }));
        (complete, None)
    }

    /// A chunked body: the new bytes go through the decoder, which says whether the last
    /// chunk (and the trailers) have come.
    fn read_chunked_body(
        &mut self,
        request: Box<Request>,
        mut body: Vec<u8>,
        mut decoder: ChunkedDecoder,
    ) -> (State, Option<Progress>) {
        match decoder.feed(&self.buf[self.fed..], &mut body) {
            Err(e) => {
                let state = State::Body {
                    request,
                    body,
                    decoder: Some(decoder),
                };
                (state, Some(Progress::Refused(e)))
            }
            Ok(ChunkStatus::NeedMore) => {
                // The raw chunks are decoded: keep only the head, so that a chunked
                // upload is not held twice.
                self.buf.truncate(request.head_len);
                self.fed = self.buf.len();
                let state = State::Body {
                    request,
                    body,
                    decoder: Some(decoder),
                };
                (state, Some(Progress::Waiting(Waiting::Chunk)))
            }
            Ok(ChunkStatus::Done { consumed }) => {
                let mut request = *request;
                let start = request.head_len;
                request.spans.body = Some(start..start + decoder.consumed());
                let complete = State::Complete(Box::new(Complete {
                    request,
                    body,
                    trailers: decoder.trailers().to_vec(),
                    unread: false,
                    end: self.fed + consumed,
                    rest: Vec::new(),
                }));
                (complete, None)
            }
        }
    }

    /// Whether a `100 Continue` is due now (once).
    pub fn take_continue_due(&mut self) -> bool {
        std::mem::take(&mut self.continue_due)
    }

    /// The complete request, once [`Progress::Complete`] was reported (None before); the
    /// connection keeps the socket.
    pub fn take_request(&mut self) -> Option<Complete> {
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Complete(mut complete) => {
                complete.unread = self.buf.len() > complete.end;
                if complete.unread {
                    complete.rest = self.buf[complete.end..].to_vec();
                }
                Some(*complete)
            }
            other => {
                self.state = other;
                None
            }
        }
    }

    /// Write a short answer the server made itself (an error), without waiting: a client
    /// that does not read loses it, but never holds the thread.
    pub fn send_now(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Begin the lingering close: stop sending, then read and discard until the client
    /// closes, [`LINGER`] passes or [`LINGER_BYTES`] arrive.
    pub fn linger(&mut self, now: Instant) {
        let _ = self.stream.shutdown(Shutdown::Write);
        self.buf = Vec::new();
        self.state = State::Lingering {
            until: now + LINGER,
            discarded: 0,
        };
    }

    /// The next deadline of this connection: when it is closed or answered 408 if nothing
    /// comes. `timeout` is `--timeout`; None: no deadline the clock can hold.
    pub fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.state {
            State::Lingering { until, .. } => Some(until),
            // The server keeps these waiting (its turn, or step mode), not the client.
            State::Complete(_) | State::Held => None,
            State::Idle => self.last_heard.checked_add(timeout),
            State::Head(_) | State::Body { .. } => {
                let silence = self.last_heard.checked_add(timeout);
                let whole = timeout
                    .checked_mul(REQUEST_TIME_FACTOR)
                    .and_then(|t| self.accepted.checked_add(t));
                match (silence, whole) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// Which deadline passed at `now`, if one did.
    pub fn expired(&self, now: Instant, timeout: Duration) -> Option<Expired> {
        let deadline = self.deadline(timeout)?;
        if now < deadline {
            return None;
        }
        Some(match self.state {
            State::Lingering { .. } => Expired::LingerOver,
            State::Idle => Expired::Idle,
            _ if self
                .last_heard
                .checked_add(timeout)
                .is_some_and(|silence| now >= silence) =>
            {
                Expired::Silent
            }
            _ => Expired::TooSlow,
        })
    }
}

/// The sending side of a connection while one response goes out.
///
/// Writes wait: the loop reads no other socket meanwhile (the simplification the server's
/// module doc names). A client that reads nothing fills the socket's buffers, and a plain
/// blocking write would then sleep deaf to Ctrl-C; so the socket stays non-blocking, and each
/// time it is full the writer waits with `poll` on the socket and the stop signal, at most
/// `--timeout` per write, with the GIL released so the app's own threads go on.
#[derive(Debug)]
pub struct Writer {
    /// The socket; None once the response was cut.
    stream: Option<TcpStream>,
    /// The stop signal's fd: a wait for room ends when it is raised.
    stop: RawFd,
    /// How long one write may wait for room.
    timeout: Duration,
}

impl Writer {
    /// A writer on `stream`, which is made non-blocking.
    pub fn new(stream: TcpStream, stop: RawFd, timeout: Duration) -> Self {
        let _ = stream.set_nonblocking(true);
        Writer {
            stream: Some(stream),
            stop,
            timeout,
        }
    }

    /// Write all of `bytes`, waiting for room as needed.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.stream {
            Some(stream) => write_watching(stream, bytes, self.stop, self.timeout),
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the exchange is over: the connection was closed",
            )),
        }
    }

    /// Cut the connection in both directions: the only way left to tell the client that a
    /// response whose head went out is not what it should be.
    pub fn cut(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Whether the client sent bytes that nobody read (they wait in the kernel): closing now
    /// would reset the connection.
    pub fn has_unread(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|stream| is_readable(stream.as_raw_fd()))
    }

    /// The socket back, for closing (None once cut).
    pub fn take_stream(&mut self) -> Option<TcpStream> {
        self.stream.take()
    }
}

/// Write all of `bytes` to a non-blocking `stream`, waiting while it is full for at most
/// `timeout` at a time, unless `stop` becomes readable first.
fn write_watching(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    stop: RawFd,
    timeout: Duration,
) -> io::Result<()> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // The client is not reading: wait without the GIL, so the app's threads run.
                let fd = stream.as_raw_fd();
                python::without_gil(|| wait_writable(fd, stop, timeout))?
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Wait until `fd` can take more bytes; an error when `stop` is raised or `timeout` passes.
fn wait_writable(fd: RawFd, stop: RawFd, timeout: Duration) -> io::Result<()> {
    match wait_for(fd, Ready::ToWrite, stop, Some(timeout))? {
        // Writable, or an error/hang-up that the next write will report.
        Wait::Ready => Ok(()),
        Wait::Stopped => Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "the server was asked to stop while the client was not reading",
        )),
        Wait::TimedOut => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the client read nothing for {} seconds (--timeout)",
                timeout.as_secs()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connection as the server holds it, and the client's end.
    fn pair() -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, addr) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (Connection::new(server, addr, 1, Instant::now()), client)
    }

    /// Read until `want` bytes arrived (the client's writes may take a moment on loopback).
    fn receive_all(conn: &mut Connection, want: usize) -> Received {
        let mut scratch = vec![0; READ_CHUNK];
        let mut got = Received {
            bytes: 0,
            gone: false,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.bytes < want && !got.gone && Instant::now() < deadline {
            let _ = wait_for(
                conn.fd(),
                Ready::ToRead,
                conn.fd(),
                Some(Duration::from_secs(1)),
            );
            let more = conn.receive(&mut scratch, Instant::now());
            got.bytes += more.bytes;
            got.gone |= more.gone;
        }
        got
    }

    fn exchange(conn: &Connection) -> Exchange {
        Exchange::new(1, conn.client)
    }

    #[test]
    fn an_idle_connection_has_no_buffer_and_times_out_without_a_request() {
        let (conn, _client) = pair();
        assert!(conn.is_idle());
        assert_eq!(conn.buf.capacity(), 0, "no buffer before the first byte");
        let timeout = Duration::from_secs(60);
        assert_eq!(conn.expired(Instant::now(), timeout), None);
        let later = Instant::now() + timeout;
        assert_eq!(conn.expired(later, timeout), Some(Expired::Idle));
    }

    #[test]
    fn a_request_split_anywhere_completes_once_with_its_body() {
        let request = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET";
        for split in 1..request.len() {
            let (mut conn, mut client) = pair();
            let max = 1 << 20;
            client.write_all(&request[..split]).unwrap();
            receive_all(&mut conn, split);
            conn.begin(exchange(&conn), false);
            let first = conn.advance(max);
            assert!(
                matches!(first, Progress::Waiting(_) | Progress::Complete),
                "{first:?}"
            );
            client.write_all(&request[split..]).unwrap();
            receive_all(&mut conn, request.len() - split);
            assert!(matches!(conn.advance(max), Progress::Complete));
            let complete = conn.take_request().expect("complete");
            assert_eq!(complete.body, b"hello");
            assert!(complete.unread, "GET after the body is a pipelined request");
        }
    }

    #[test]
    fn a_held_request_keeps_its_bytes_unparsed_until_released() {
        let (mut conn, mut client) = pair();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        receive_all(&mut conn, 18);
        conn.begin(exchange(&conn), true);
        assert!(conn.is_held());
        assert!(matches!(
            conn.advance(1024),
            Progress::Waiting(Waiting::Held)
        ));
        assert_eq!(
            conn.deadline(Duration::from_secs(1)),
            None,
            "the server makes it wait"
        );
        conn.release(Instant::now());
        assert!(matches!(conn.advance(1024), Progress::Complete));
    }

    #[test]
    fn a_bad_request_is_refused_and_the_close_lingers_until_the_client_closes() {
        let (mut conn, mut client) = pair();
        client
            .write_all(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
            .unwrap();
        receive_all(&mut conn, 10);
        conn.begin(exchange(&conn), false);
        assert!(matches!(conn.advance(1024), Progress::Refused(_)));
        conn.linger(Instant::now());
        assert!(conn.is_lingering());
        let timeout = Duration::from_secs(60);
        assert_eq!(
            conn.expired(Instant::now() + LINGER, timeout),
            Some(Expired::LingerOver)
        );
        client.write_all(b"more body").unwrap();
        drop(client);
        assert!(receive_all(&mut conn, usize::MAX).gone);
    }

    #[test]
    fn a_started_request_gets_silent_then_too_slow_deadlines() {
        let (mut conn, mut client) = pair();
        client.write_all(b"GET / HT").unwrap();
        receive_all(&mut conn, 8);
        conn.begin(exchange(&conn), false);
        let timeout = Duration::from_secs(10);
        let now = Instant::now();
        assert_eq!(conn.expired(now, timeout), None);
        assert_eq!(conn.expired(now + timeout, timeout), Some(Expired::Silent));
        // Heard from just now, but accepted long ago: the whole-request limit.
        conn.accepted = now - timeout * REQUEST_TIME_FACTOR;
        assert_eq!(conn.expired(now, timeout), Some(Expired::TooSlow));
    }
}
