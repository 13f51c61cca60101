//! Hardening: the server under load, under faults, and its memory bounds.
//!
//! A teaching server still meets real clients: a browser that gives up, a script that hangs up
//! mid-upload, a class of thirty hammering it at once. Each test here does one such thing to a
//! server on a loopback port, then asks for `/` and expects `hello world!`: the server survived
//! and serves the next request. Everything is bounded in count and time; the 100,000-request
//! soak runs with the release build in `bench/soak.sh`.
//!
//! The app is tests/apps/faults.py, which misbehaves on request.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use wsgiscope::exchange::{Event, Exchange, MAX_STORED_BYTES};
use wsgiscope::inspector::state::MAX_EXCHANGES;
use wsgiscope::inspector::{ServerInfo, State};
use wsgiscope::server::REQUEST_TIME_FACTOR;

const FAULTS: &str = "tests/apps/faults.py";
const HELLO: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const MIB: usize = 1024 * 1024;

/// Held by every test here that measures memory or time. Cargo runs a binary's tests in
/// parallel: the soak's 32 clients and the load test would otherwise starve a timing check
/// and swell another test's RSS. A failed test poisons the lock; the others still run.
static MEASURING: Mutex<()> = Mutex::new(());

/// Take [`MEASURING`] for the rest of the test.
fn measuring_alone() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server answers `/` with `hello world!`: it survived whatever came before.
fn assert_serves(server: &Server) {
    assert_reply(&server.send(HELLO), 200, &["hello world!"]);
}

/// Undo the record's byte escaping (`\r`, `\n`, `\t`, `\\`, `\xNN`), to count stored bytes.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).expect("two hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 2;
            }
            other => panic!("unknown escape \\{}", other as char),
        }
        i += 2;
    }
    out
}

/// Send `HELLO` on a fresh connection and read to the end. A reset is an error here, not an
/// end: under load, every request must be answered completely.
fn hello_once(addr: SocketAddr) -> Result<(), String> {
    let mut conn = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    conn.write_all(HELLO).map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    conn.read_to_end(&mut response)
        .map_err(|e| format!("read: {e}"))?;
    if response.starts_with(b"HTTP/1.1 200 OK\r\n") && response.ends_with(b"\r\n\r\nhello world!") {
        Ok(())
    } else {
        Err(format!(
            "unexpected response: {:?}",
            String::from_utf8_lossy(&response)
        ))
    }
}

/// `total` requests from `clients` threads at once; returns the failures (at most 10 kept).
fn load(addr: SocketAddr, clients: u64, total: u64) -> (u64, Vec<String>) {
    let failed = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let failed = Arc::clone(&failed);
            // Spread the remainder over the first threads.
            let count = total / clients + u64::from(i < total % clients);
            thread::spawn(move || {
                let mut examples = Vec::new();
                for _ in 0..count {
                    if let Err(e) = hello_once(addr) {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if examples.len() < 10 {
                            examples.push(e);
                        }
                    }
                }
                examples
            })
        })
        .collect();
    let examples = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a client thread"))
        .take(10)
        .collect();
    (failed.load(Ordering::Relaxed), examples)
}

/// 10,000 requests from 32 connections at once: every one answered with 200 and the whole
/// body, none reset; and the server's memory after is what it was after the warm-up (within
/// 10%): serving does not leak. (The 100,000-request version is `bench/soak.sh`.)
#[test]
fn load_of_10_000_requests_from_32_connections_is_all_answered_and_rss_stays_flat() {
    let _alone = measuring_alone();
    const CLIENTS: u64 = 32;
    const WARM_UP: u64 = 2_000;
    const REQUESTS: u64 = 10_000;
    let server = start_server_with(&[&path("apps/hello.py")], &[]);
    let (failed, examples) = load(server.addr, CLIENTS, WARM_UP);
    assert_eq!(failed, 0, "warm-up failures: {examples:#?}");
    let before = rss_kib(server.pid());

    let started = Instant::now();
    let (failed, examples) = load(server.addr, CLIENTS, REQUESTS);
    let took = started.elapsed();
    assert_eq!(
        failed, 0,
        "{failed} of {REQUESTS} failed, e.g. {examples:#?}"
    );

    let after = rss_kib(server.pid());
    eprintln!(
        "{REQUESTS} requests in {took:.1?} ({:.0} req/s); RSS {before} KiB before, {after} KiB \
         after",
        REQUESTS as f64 / took.as_secs_f64()
    );
    assert!(
        after * 10 <= before * 11,
        "RSS grew by more than 10%: {before} KiB -> {after} KiB"
    );
    assert_serves(&server);
}

/// Send `bytes`, hang up, and return the exchange's record.
fn hang_up_after(server: &Server, bytes: &[u8]) -> Record {
    let conn = server.connect();
    (&conn).write_all(bytes).unwrap();
    hang_up(&conn);
    server.next_typed()
}

/// A client that hangs up in the middle of the request line costs only its own exchange.
#[test]
fn client_that_hangs_up_mid_request_line_costs_nothing_but_its_exchange() {
    let server = start_server(&[FAULTS]);
    let record = hang_up_after(&server, b"GET /hel");
    assert_error(
        &record,
        &["request-incomplete"],
        &["closed the connection", "before the request was complete"],
    );
    assert_serves(&server);
}

/// ... or in the middle of the headers.
#[test]
fn client_that_hangs_up_mid_headers_costs_nothing_but_its_exchange() {
    let server = start_server(&[FAULTS]);
    let record = hang_up_after(&server, b"GET / HTTP/1.1\r\nHost: x\r\nUser-Ag");
    assert_error(
        &record,
        &["request-incomplete"],
        &["before the request was complete"],
    );
    assert_serves(&server);
}

/// ... or in the middle of the body: the app is never called with half a body.
#[test]
fn client_that_hangs_up_mid_body_costs_nothing_but_its_exchange() {
    let server = start_server(&[FAULTS]);
    let record = hang_up_after(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly 17 bytes...",
    );
    assert_error(
        &record,
        &["request-incomplete"],
        &["before the request was complete"],
    );
    assert!(
        record.start_response.is_empty(),
        "the app ran on half a body: {record:?}"
    );
    assert_serves(&server);
}

/// ... or in the middle of a large response: sending stops, the exchange says why.
#[test]
fn client_that_hangs_up_mid_response_costs_nothing_but_its_exchange() {
    let server = start_server(&[FAULTS]);
    let mut conn = server.connect();
    conn.write_all(b"GET /big?n=16777216 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 4096];
    conn.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200 OK"));
    // Unread data in our receive buffer: closing now sends a reset.
    drop(conn);
    let record = server.next_typed();
    assert_error(&record, &["client-gone"], &["client went away"]);
    assert_serves(&server);
}

/// A client that connects and closes without a byte (a browser's preconnect it did not need)
/// costs nothing, not even a line in the log: the next record is the next request's.
#[test]
fn client_that_connects_and_sends_nothing_costs_nothing() {
    let server = start_server(&[FAULTS]);
    drop(server.connect());
    assert_serves(&server);
    let record = server.next_typed();
    assert_eq!(record.request.target.as_deref(), Some("/"), "{record:?}");
    assert_no_error(&record);
}

/// A client that connects and stays silent holds nobody: the next client is served at once,
/// and the silent one is dropped after `--timeout` (here 1 s), without a 408 since it never
/// started a request, and without a record (it is only counted, at exit).
#[test]
fn silent_client_is_dropped_after_the_timeout_and_the_next_one_is_served_meanwhile() {
    let _alone = measuring_alone();
    let server = start_server(&["--timeout", "1", FAULTS]);
    let started = Instant::now();
    let mut silent = server.connect();
    hello_once(server.addr).expect("the next client is served");
    let served_after = started.elapsed();
    assert!(
        served_after < Duration::from_millis(900),
        "the next client was served after {served_after:?}: it waited behind the silent one"
    );
    let mut got = Vec::new();
    let _ = silent.read_to_end(&mut got);
    let dropped_after = started.elapsed();
    assert!(got.is_empty(), "a silent client got an answer: {got:?}");
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(5)).contains(&dropped_after),
        "dropped after {dropped_after:?}, --timeout is 1 s"
    );
    assert_eq!(server.next_typed().request.target.as_deref(), Some("/"));
    // A record for the silent client would come before this request's.
    assert_serves(&server);
    let record = server.next_typed();
    assert_eq!(record.request.target.as_deref(), Some("/"), "{record:?}");
    assert_no_error(&record);
}

/// A client sending one byte every 100 ms (a person typing, or a slow link) is served: being
/// slow is not an error, only being silent for `--timeout` is.
#[test]
fn client_sending_one_byte_per_100_ms_is_served() {
    let _alone = measuring_alone();
    let server = start_server(&["--timeout", "1", FAULTS]);
    let request = b"GET / HTTP/1.0\r\n\r\n";
    let bytes: Vec<&[u8]> = request.chunks(1).collect();
    let reply = server.send_slowly(&bytes, Duration::from_millis(100));
    assert_reply(&reply, 200, &["hello world!"]);
    assert_serves(&server);
}

/// A client sending a byte every 500 ms never falls silent for `--timeout` (1 s), yet it may
/// not hold the single thread forever (slowloris): the whole request must arrive within
/// `REQUEST_TIME_FACTOR` × `--timeout` (here 5 s), else a 408 says which limit it broke.
#[test]
fn client_trickling_a_byte_every_500_ms_gets_a_408_at_the_whole_request_deadline() {
    let _alone = measuring_alone();
    let server = start_server(&["--timeout", "1", FAULTS]);
    let allowed = Duration::from_secs(REQUEST_TIME_FACTOR.into());
    let mut conn = server.connect();
    let mut trickle = conn.try_clone().unwrap();
    let started = Instant::now();
    // A head that never ends: one header value, a byte at a time, until the server answers
    // (the write fails) or the test gives up.
    let sender = thread::spawn(move || {
        trickle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")?;
        while started.elapsed() < allowed + PATIENCE {
            thread::sleep(Duration::from_millis(500));
            trickle.write_all(b"z")?;
        }
        std::io::Result::Ok(())
    });
    let raw = read_to_end(&mut conn);
    let took = started.elapsed();
    assert_reply(&raw, 408, &["5 seconds", "within 5 times --timeout"]);
    assert!(
        (allowed..allowed + Duration::from_secs(2)).contains(&took),
        "answered after {took:?}; the whole request was allowed {allowed:?}"
    );
    hang_up(&conn);
    assert!(sender.join().unwrap().is_err(), "the trickle was never cut");
    assert_error(
        &server.next_typed(),
        &["request-too-slow"],
        &["408", "not complete 5 seconds after"],
    );
    assert_serves(&server);
}

/// A body longer than its Content-Length: the app gets exactly the announced bytes, and the
/// rest is never read as a second request (one request per connection).
#[test]
fn body_longer_than_announced_is_cut_and_the_rest_is_not_a_request() {
    let server = start_server(&[FAULTS]);
    let mut conn = server.connect();
    conn.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    // The excess arrives a moment later, in its own segment, shaped like a request.
    thread::sleep(Duration::from_millis(50));
    let _ = conn.write_all(b"GET /leak?mib=64 HTTP/1.1\r\nHost: x\r\n\r\n");
    let raw = read_to_end(&mut conn);
    if !raw.is_empty() {
        let reply = assert_reply(&raw, 200, &[]);
        assert_eq!(reply.body, b"hello");
        assert_eq!(raw.windows(9).filter(|w| w == b"HTTP/1.1 ").count(), 1);
    }
    let record = server.next_typed();
    assert_eq!(
        record.request.target.as_deref(),
        Some("/echo"),
        "{record:?}"
    );
    assert_serves(&server);
    let last = server.next_typed();
    assert_ne!(last.request.target.as_deref(), Some("/leak?mib=64"));
}

/// An app that sleeps longer than `--timeout` is waited for: the timeout is for clients, and a
/// running Python call cannot be interrupted safely anyway.
#[test]
fn app_that_sleeps_past_the_timeout_is_waited_for() {
    let _alone = measuring_alone();
    let server = start_server(&["--timeout", "1", FAULTS]);
    let started = Instant::now();
    let reply = server.send(b"GET /sleep?s=1.5 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_reply(&reply, 200, &["slept"]);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_serves(&server);
}

/// An app that leaks memory grows the server (nothing can stop that from outside), but the
/// server goes on serving.
#[test]
fn app_that_leaks_memory_does_not_stop_the_server() {
    let _alone = measuring_alone();
    let server = start_server(&[FAULTS]);
    let before = rss_kib(server.pid());
    for _ in 0..4 {
        assert_reply(
            &server.send(b"GET /leak?mib=16 HTTP/1.1\r\nHost: x\r\n\r\n"),
            200,
            &["leaked"],
        );
    }
    let after = rss_kib(server.pid());
    assert!(after >= before + 60 * 1024, "{before} -> {after} KiB");
    assert_serves(&server);
}

/// A result whose close() raises: the response was already sent, the error is recorded.
#[test]
fn close_that_raises_is_recorded_and_the_server_goes_on() {
    let server = start_server(&[FAULTS]);
    let reply = server.send(b"GET /close-raises HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_reply(&reply, 200, &["closing badly"]);
    assert_error(
        &server.next_typed(),
        &["close-raised"],
        &["close() raised", "failed on purpose"],
    );
    assert_serves(&server);
}

/// An app that yields forever, and a client that reads a little and hangs up: the next send
/// fails, the server stops iterating, and serves the next request.
#[test]
fn app_yielding_forever_stops_when_the_client_hangs_up() {
    let server = start_server(&[FAULTS]);
    let mut conn = server.connect();
    conn.write_all(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut some = vec![0u8; 64 * 1024];
    conn.read_exact(&mut some).unwrap();
    drop(conn);
    let record = server.next_typed();
    assert_error(&record, &["client-gone"], &["client went away"]);
    assert_serves(&server);
}

/// A 1 MiB upload: the record stores the first 64 KiB of the raw request and counts all of it;
/// the app still gets the whole body.
#[test]
fn upload_of_1_mib_is_stored_as_64_kib_and_counted_exactly() {
    let server = start_server(&[FAULTS]);
    let head = format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {MIB}\r\n\r\n");
    let mut request = head.clone().into_bytes();
    request.extend(std::iter::repeat_n(b'u', MIB));
    let reply = parse_reply(&server.send(&request));
    assert_eq!(reply.body.len(), MIB, "the app got the whole body");
    let record = server.next_typed();
    assert_eq!(record.request.bytes, (head.len() + MIB) as u64);
    let stored = unescape(&record.request.raw);
    assert_eq!(stored.len(), MAX_STORED_BYTES);
    assert_eq!(stored[..], request[..MAX_STORED_BYTES]);
    // The echo's response is 1 MiB too.
    assert_eq!(record.response.body_bytes, MIB as u64);
    let stored = unescape(&record.response.raw);
    assert_eq!(stored.len(), MAX_STORED_BYTES);
}

/// A 1 MiB response: the record stores its first 64 KiB and counts every byte sent.
#[test]
fn response_of_1_mib_is_stored_as_64_kib_and_counted_exactly() {
    let server = start_server(&[FAULTS]);
    let raw = server.send(format!("GET /big?n={MIB} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    assert_eq!(parse_reply(&raw).body.len(), MIB);
    let record = server.next_typed();
    assert_eq!(record.response.bytes, raw.len() as u64);
    assert_eq!(record.response.body_bytes, MIB as u64);
    let stored = unescape(&record.response.raw);
    assert_eq!(stored[..], raw[..MAX_STORED_BYTES]);
}

/// The inspector keeps the newest 5,000 exchanges and forgets older ones, so a server left
/// running under load does not grow without bound; each kept exchange holds at most 64 KiB of
/// request and of response.
#[test]
fn inspector_keeps_the_newest_5000_exchanges() {
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let info = ServerInfo {
        address: "127.0.0.1:8888".parse().unwrap(),
        app: "apps/hello.py".into(),
        python: "3.11".into(),
    };
    let mut state = State::new(info, false, Instant::now());
    let total = MAX_EXCHANGES as u64 + 1_000;
    let big = vec![b'x'; MIB];
    for id in 1..=total {
        state.on_event(Event::Accepted {
            id,
            client,
            at: chrono::Local::now(),
            connection: Default::default(),
        });
        let mut exchange = Exchange::new(id, client);
        // A few large exchanges, as in the load test's 1 MiB uploads.
        let data: &[u8] = if id % 1_000 == 0 {
            &big
        } else {
            b"GET / HTTP/1.1\r\n\r\n"
        };
        exchange.request_raw.push(data);
        exchange.response_raw.push(data);
        state.on_event(Event::Finished(Box::new(exchange)));
    }
    assert_eq!(state.entries.len(), MAX_EXCHANGES);
    assert_eq!(
        state.entries.front().unwrap().exchange.id,
        total - MAX_EXCHANGES as u64 + 1
    );
    assert_eq!(state.entries.back().unwrap().exchange.id, total);
    assert_eq!(state.requests, total);
    for entry in &state.entries {
        let ex = &entry.exchange;
        assert!(ex.request_raw.stored.len() <= MAX_STORED_BYTES);
        assert!(ex.response_raw.stored.len() <= MAX_STORED_BYTES);
        if ex.id % 1_000 == 0 {
            assert_eq!(ex.request_raw.total, MIB as u64);
        }
    }
}

/// The soak, with the inspector recording in a tmux pane (or headless with `SOAK_TUI=0`):
/// `SOAK_REQUESTS` requests (10,000 in a plain `cargo test`; `bench/soak.sh` asks for 100,000
/// against the release build) from 32 connections, every one answered, and RSS flat.
///
/// The warm-up first fills the inspector's history ([`MAX_EXCHANGES`]) several times over, so
/// that "after" compares a full history with a full history, and the allocator has reached its
/// steady state: with the inspector, RSS rises for the first 20,000 or so exchanges (records are
/// made on one thread and freed on another, so two malloc arenas fill) and then stays flat.
#[test]
fn soak() {
    let _alone = measuring_alone();
    const CLIENTS: u64 = 32;
    let requests: u64 = std::env::var("SOAK_REQUESTS").map_or(10_000, |n| n.parse().unwrap());
    let tui = std::env::var("SOAK_TUI").map_or(true, |v| v != "0");
    let warm_up = 6 * MAX_EXCHANGES as u64;
    let app = path("apps/hello.py");
    let (addr, pid, _server, tmux) = if tui {
        let tmux = Tmux::start(&app);
        (tmux.addr, tmux.pid, None, Some(tmux))
    } else {
        let server = start_server_with(&[&app], &[]);
        (server.addr, server.pid(), Some(server), None)
    };
    // As in the benchmark: the server (all its threads) on core 0, the clients on core 1, so
    // that the clients cannot starve the inspector's thread.
    pin_threads(pid, 0);
    pin_threads(0, 1);
    let (failed, examples) = load(addr, CLIENTS, warm_up);
    assert_eq!(failed, 0, "warm-up failures: {examples:#?}");
    // The inspector takes in what the server sent it at its own pace: wait until its header
    // counts every exchange (shown or not), so that its memory is measured at rest.
    let caught_up = |total: u64| {
        if let Some(tmux) = &tmux {
            tmux.wait_until_counted(total);
        }
    };
    caught_up(warm_up);
    let before = rss_kib(pid);
    let started = Instant::now();
    let (failed, examples) = load(addr, CLIENTS, requests);
    let took = started.elapsed();
    caught_up(warm_up + requests);
    let after = rss_kib(pid);
    eprintln!(
        "soak{}: {requests} requests from {CLIENTS} connections in {took:.1?} ({:.0} req/s), \
         {failed} failed; RSS {before} KiB after the warm-up of {warm_up}, {after} KiB after \
         ({:+.1}%)",
        if tui { " with the inspector" } else { "" },
        requests as f64 / took.as_secs_f64(),
        (after as f64 - before as f64) * 100.0 / before as f64,
    );
    assert_eq!(
        failed, 0,
        "{failed} of {requests} failed, e.g. {examples:#?}"
    );
    assert!(
        after * 10 <= before * 11,
        "RSS grew by more than 10%: {before} KiB -> {after} KiB"
    );
}

/// Pin every thread of process `pid` (0: this thread, and the threads it starts later) to
/// `core`. A machine with one core keeps things as they are.
fn pin_threads(pid: i32, core: usize) {
    if thread::available_parallelism().map_or(1, |n| n.get()) <= core {
        return;
    }
    let tids: Vec<i32> = if pid == 0 {
        vec![0]
    } else {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("/proc/PID/task")
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect()
    };
    for tid in tids {
        // SAFETY: `set` is a plain bit mask owned by this frame; sched_setaffinity only reads
        // it, and a thread that is gone makes the call fail, which changes nothing.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut set);
            libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }
}

/// wsgiscope with its inspector in a detached tmux pane (120×40) of a tmux server of its own.
struct Tmux {
    socket: String,
    addr: SocketAddr,
    pid: i32,
}

impl Tmux {
    fn start(app: &str) -> Tmux {
        // Port 0: the system picks a free port and the inspector's header names it. (Picking
        // one here and passing it on would race with any other program binding it meanwhile.)
        let socket = format!("wsgiscope-soak-{}", std::process::id());
        let command = format!("exec {} --port 0 {app}", env!("CARGO_BIN_EXE_wsgiscope"));
        let tmux = |args: &[&str]| {
            let out = std::process::Command::new("tmux")
                .args(["-L", &socket, "-f", "/dev/null"])
                .args(args)
                .output()
                .expect("tmux runs (apt-get install tmux)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            "t",
            &command,
        ]);
        let pid = tmux(&["list-panes", "-t", "t", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("the pane's pid");
        // The header reads `wsgiscope http://127.0.0.1:PORT · try: telnet 127.0.0.1 PORT`.
        let deadline = Instant::now() + STARTUP;
        let addr: SocketAddr = loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
            let shown = screen
                .split("http://")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.parse().ok());
            if let Some(addr) = shown {
                break addr;
            }
            assert!(
                Instant::now() < deadline,
                "the inspector never showed its address; the pane shows:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        };
        Tmux { socket, addr, pid }
    }
}

impl Tmux {
    /// Wait until the inspector's header counts `total` exchanges: its requests plus those it
    /// did not show (`live · 40000 requests · 0 errors · 12 not shown · …`).
    fn wait_until_counted(&self, total: u64) {
        let number_before = |screen: &str, word: &str| -> u64 {
            screen
                .split(word)
                .next()
                .filter(|_| screen.contains(word))
                .and_then(|head| head.rsplit(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let out = std::process::Command::new("tmux")
                .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
                .output()
                .expect("tmux runs");
            let screen = String::from_utf8_lossy(&out.stdout);
            let counted =
                number_before(&screen, " requests") + number_before(&screen, " not shown");
            if counted >= total {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the inspector counted {counted} of {total} exchanges:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
