//! The event loop: one thread, many connections.
//!
//! The tutorial's loop accepts one connection, reads its request, answers and closes, so one
//! client that connects and sends nothing (a browser's preconnect, a student thinking in
//! telnet) holds every other client for the whole `--timeout`. wsgiscope's loop stays on one
//! thread and still calls the app for one request at a time, in the order requests became
//! complete; only the *waiting for bytes* is concurrent: a poll(2) loop accepts every pending
//! connection, reads what each one sends into its own buffer, and queues the requests that
//! are complete. `--one-at-a-time` keeps the tutorial's loop, to show the stall.
//!
//! The app is tests/apps/loop_probe.py: it says which request it answers, counts its calls in
//! flight, and ticks a background thread so a test can see whether the server let it run.

mod common;

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

const PROBE: &str = "tests/apps/loop_probe.py";
const MIB: usize = 1024 * 1024;

/// How soon a request must be answered while other connections idle or type: far less than
/// any `--timeout` used here (so a server stalled by one of them fails), far more than one
/// request to the probe takes on a busy machine.
const PROMPTLY: Duration = Duration::from_secs(1);
/// How long a test watches a connection to see that it is not answered (yet).
const A_WHILE: Duration = Duration::from_millis(300);
/// How long opening a batch of idle connections may take. Connecting needs no help from the
/// server until its listen queue is full; after that, only its accepting lets more in. A
/// server that stops accepting fails here however long the bound; one that accepts slowly
/// because the machine is busy (a client whose SYN found the queue full tries again 1, 3, 7
/// and 15 s later) must not, so the bound is generous: 5 s was seen to fail on a loaded
/// 2-core machine, with 763 of 1,000 connections made.
const CONNECTING: Duration = Duration::from_secs(30);
/// How many ticks (10 ms each) an app's background thread must make in about a second: a
/// good fraction of the 100 it makes on an idle machine, and far more than the one it makes
/// while the server holds the GIL.
const ENOUGH_TICKS: u64 = 30;

/// Held by every test here that measures time: cargo runs a binary's tests in parallel, and
/// two servers starting Python on 2 cores (or 600 connections opening) would eat into another
/// test's second. A failed test poisons the lock; the others still run.
static MEASURING: Mutex<()> = Mutex::new(());

/// Take [`MEASURING`] for the rest of the test.
fn measuring_alone() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `wsgiscope --log json ARGS… tests/apps/loop_probe.py`.
fn probe(args: &[&str]) -> Server {
    start_server(&[args, &[&path(PROBE)]].concat())
}

/// A GET for `target`, with `Host: x`.
fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
}

/// Open a connection and send a GET for `target` on it; the answer is read later.
fn ask(server: &Server, target: &str) -> TcpStream {
    let mut conn = server.connect();
    conn.write_all(&get(target)).expect("the request goes out");
    conn
}

/// Read the whole answer on `conn`, which must come within `limit`; `what` names the request
/// for the failure message.
fn answered_within(conn: &mut TcpStream, limit: Duration, what: &str) -> Vec<u8> {
    let started = Instant::now();
    read_to_end_within(conn, limit).unwrap_or_else(|so_far| {
        panic!(
            "{what} was not answered within {limit:?} (still open after {:?}; got so far: {:?})",
            started.elapsed(),
            String::from_utf8_lossy(&so_far)
        )
    })
}

/// The body of a 200 from the probe, as text.
fn body(raw: &[u8]) -> String {
    assert_reply(raw, 200, &[]).text()
}

/// Open `count` connections that send nothing. Each connect is bounded: when the server does
/// not accept, its listen queue fills (128 places) and the next connect waits, and then this
/// fails, saying how many got in.
fn idle_connections(server: &Server, count: usize) -> Vec<TcpStream> {
    let deadline = Instant::now() + CONNECTING;
    (0..count)
        .map(|opened| {
            let left = deadline.saturating_duration_since(Instant::now());
            TcpStream::connect_timeout(&server.addr, left.max(Duration::from_millis(1)))
                .unwrap_or_else(|e| {
                    panic!(
                        "only {opened} of {count} idle connections could connect within \
                         {CONNECTING:?} ({e}): the server does not accept them, and its listen \
                         queue is full"
                    )
                })
        })
        .collect()
}

/// Let this test process open `files` files, raising its soft limit towards the hard one (a
/// test that holds hundreds of connections needs a file descriptor for each).
fn make_room_for_files(files: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct owned by this frame.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < files {
            limit.rlim_cur = files.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
    assert!(
        limit.rlim_cur >= files,
        "this test needs {files} open files, and the hard limit (ulimit -Hn) is {}",
        limit.rlim_max
    );
}

/// Stop the server with SIGTERM and return the line of its exit summary about idle
/// connections (`Idle connections closed: …`), if there is one; it must come before
/// "Stopped.".
fn stop_and_read_idle_summary(server: &mut Server) -> Option<String> {
    let (status, _) = server.signal_and_wait(libc::SIGTERM, PATIENCE);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let stderr = server.stderr();
    let stopped = stderr
        .find("Stopped.")
        .unwrap_or_else(|| panic!("no \"Stopped.\" at exit: {stderr}"));
    let at = stderr.find("Idle connections closed:")?;
    assert!(
        at < stopped,
        "the summary comes after \"Stopped.\": {stderr}"
    );
    Some(stderr[at..].lines().next().unwrap_or_default().to_string())
}

/// A connection that sends nothing costs the others nothing: with 20 of them open (a browser
/// keeps a few spare, a class leaves telnets open), a request on a 21st connection is
/// answered at once. The tutorial's loop would still be waiting for the first of the 20.
#[test]
fn request_is_answered_at_once_while_20_idle_connections_are_open() {
    let _alone = measuring_alone();
    let server = probe(&["--timeout", "30"]);
    let _idle = idle_connections(&server, 20);
    let mut conn = ask(&server, "/after-20-idle");
    let raw = answered_within(&mut conn, PROMPTLY, "a request after 20 idle connections");
    assert_eq!(body(&raw), "/after-20-idle host x");
}

/// Two people typing in telnet at the same moment, a byte at a time and interleaved: each
/// connection has its own buffer and its own parser state, so both requests arrive whole and
/// unmixed, and each is answered as soon as its blank line is in.
#[test]
fn two_clients_typing_byte_by_byte_at_once_are_both_answered() {
    let _alone = measuring_alone();
    const KEYSTROKE: Duration = Duration::from_millis(20);
    let server = probe(&["--timeout", "30"]);
    let requests: [&'static [u8]; 2] = [
        b"GET /typist-a HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /typist-b HTTP/1.1\r\nHost: b\r\n\r\n",
    ];
    let start = Arc::new(Barrier::new(requests.len()));
    let addr = server.addr;
    let typists: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut conn = TcpStream::connect(addr).expect("the server accepts");
                start.wait();
                // The second typist is half a keystroke behind: the bytes alternate.
                thread::sleep(KEYSTROKE / 2 * i as u32);
                for byte in request.chunks(1) {
                    conn.write_all(byte).expect("the server reads a typist");
                    thread::sleep(KEYSTROKE);
                }
                answered_within(&mut conn, PROMPTLY, "a typist's finished request")
            })
        })
        .collect();
    let answers: Vec<String> = typists
        .into_iter()
        .map(|t| body(&t.join().expect("a typist thread")))
        .collect();
    assert_eq!(answers, ["/typist-a host a", "/typist-b host b"]);

    // Each record holds exactly the bytes its own client typed.
    for _ in 0..2 {
        let record = server.next_typed();
        let (raw, target) = (&record.request.raw, record.request.target.as_deref());
        let typed = if target == Some("/typist-a") {
            requests[0]
        } else {
            requests[1]
        };
        let escaped = String::from_utf8_lossy(typed).replace("\r\n", "\\r\\n");
        assert_eq!(raw, &escaped, "{record:?}");
    }
}

/// A half-typed request (a student who stopped to think) does not delay a complete one from
/// another client, and stays open: once its last line comes, it is answered too.
#[test]
fn half_typed_request_does_not_delay_a_complete_one_and_is_answered_once_finished() {
    let _alone = measuring_alone();
    let server = probe(&["--timeout", "10"]);
    let mut half = server.connect();
    half.write_all(b"GET /half HTTP/1.1\r\nHo").unwrap();
    let mut whole = ask(&server, "/whole");
    let raw = answered_within(
        &mut whole,
        PROMPTLY,
        "a complete request while another was half typed",
    );
    assert_eq!(body(&raw), "/whole host x");

    assert_eq!(
        read_to_end_within(&mut half, A_WHILE),
        Err(vec![]),
        "the half-typed request was answered or dropped before it was complete"
    );
    half.write_all(b"st: half\r\n\r\n").unwrap();
    let raw = answered_within(&mut half, PROMPTLY, "the half-typed request, finished");
    assert_eq!(body(&raw), "/half host half");
}

/// A connection that never sends a byte is closed after `--timeout`, silently: no 408 (it
/// asked for nothing) and no record or log line, since a browser's spare sockets would fill
/// the log with empty exchanges. A connection its client closes without a byte is not logged
/// either. Both are only counted, in a summary on standard error at exit.
#[test]
fn idle_connections_are_closed_after_the_timeout_without_a_record_and_counted_at_exit() {
    let _alone = measuring_alone();
    let mut server = probe(&["--timeout", "1"]);
    // Closed by its client at once.
    drop(server.connect());
    let mut idle: Vec<(Instant, TcpStream)> =
        (0..3).map(|_| (Instant::now(), server.connect())).collect();
    for (i, (opened, conn)) in idle.iter_mut().enumerate() {
        let got = read_to_end_within(conn, Duration::from_secs(5)).unwrap_or_else(|so_far| {
            panic!(
                "idle connection {i} is still open {:?} after it was opened, with --timeout 1 \
                 (got {so_far:?})",
                opened.elapsed()
            )
        });
        let after = opened.elapsed();
        assert!(
            got.is_empty(),
            "an idle connection got an answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        assert!(
            (Duration::from_millis(900)..Duration::from_secs(5)).contains(&after),
            "idle connection {i} was closed after {after:?}; --timeout is 1 s"
        );
    }

    let mut conn = ask(&server, "/after-idle");
    assert_eq!(body(&read_to_end(&mut conn)), "/after-idle host x");
    // The first line on standard output is this request's record: nothing at all was printed
    // for the four connections that sent nothing.
    let first = server.next_line();
    let record = parse_record(&first);
    assert_eq!(
        record.and_then(|r| r.request.target).as_deref(),
        Some("/after-idle"),
        "the first line printed is not the record of the first real request: {first}"
    );

    let summary = stop_and_read_idle_summary(&mut server)
        .unwrap_or_else(|| panic!("no \"Idle connections closed:\" line: {}", server.stderr()));
    for count in ["3 after --timeout", "1 by the client"] {
        assert!(summary.contains(count), "{count:?} is not in: {summary}");
    }
}

/// The exit summary about idle connections is only there when one was closed: a server that
/// only served requests ends as before.
#[test]
fn exit_summary_has_no_idle_line_when_every_connection_sent_a_request() {
    let mut server = probe(&[]);
    assert_eq!(body(&server.get("/only")), "/only host x");
    assert_eq!(stop_and_read_idle_summary(&mut server), None);
}

/// 600 idle connections (far more than the kernel's listen queue of 128 would hold for a
/// server that does not accept them) are all accepted, and a request is still answered at
/// once.
#[test]
fn request_is_answered_at_once_while_600_idle_connections_are_open() {
    let _alone = measuring_alone();
    const IDLE: usize = 600;
    // Ours, and room for the other tests of this binary running meanwhile.
    make_room_for_files(IDLE as u64 + 200);
    let server = probe(&["--timeout", "30"]);
    let before = server.sockets();
    let _idle = idle_connections(&server, IDLE);
    server.wait_for_sockets(before + IDLE);
    let mut conn = ask(&server, "/after-600-idle");
    let raw = answered_within(&mut conn, PROMPTLY, "a request after 600 idle connections");
    assert_eq!(body(&raw), "/after-600-idle host x");
}

/// Open `count` idle connections one after the other, each accepted by the server before the
/// next one connects, so that their age is certain.
fn idle_connections_in_order(server: &Server, count: usize) -> Vec<TcpStream> {
    let before = server.sockets();
    (1..=count)
        .map(|n| {
            let conn = server.connect();
            server.wait_for_sockets(before + n);
            conn
        })
        .collect()
}

/// `--max-connections` bounds the sockets the server keeps open. At the limit, a new
/// connection is likelier to bring a request than the oldest one that has sent nothing (a
/// browser has most likely forgotten it): that one is closed to make room, its client sees the
/// connection end without a byte, and the summary at exit counts it.
#[test]
fn at_max_connections_the_oldest_idle_connection_is_closed_to_make_room() {
    let _alone = measuring_alone();
    let mut server = probe(&["--max-connections", "5", "--timeout", "30"]);
    let mut idle = idle_connections_in_order(&server, 5);
    let mut sixth = ask(&server, "/sixth");
    let raw = answered_within(
        &mut sixth,
        PROMPTLY,
        "a 6th connection at --max-connections 5",
    );
    assert_eq!(body(&raw), "/sixth host x");

    assert_eq!(
        read_to_end_within(&mut idle[0], PROMPTLY),
        Ok(vec![]),
        "the oldest idle connection was not closed (without a byte) to make room"
    );
    for (i, conn) in idle.iter_mut().enumerate().skip(1) {
        assert_eq!(
            read_to_end_within(conn, Duration::from_millis(50)),
            Err(vec![]),
            "idle connection {i} was closed, but it was not the oldest"
        );
    }
    let summary = stop_and_read_idle_summary(&mut server)
        .unwrap_or_else(|| panic!("no \"Idle connections closed:\" line: {}", server.stderr()));
    assert!(summary.contains("1 to make room"), "{summary}");
}

/// Open `count` connections that each sent the head of a POST (4 body bytes announced,
/// `Expect: 100-continue`) and read the server's `100 Continue`: the interim answer proves the
/// server has read their bytes, so none of them counts as idle. They wait for their bodies.
fn busy_connections(server: &Server, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|i| {
            let mut conn = server.connect();
            let head = format!(
                "POST /busy-{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\
                 Expect: 100-continue\r\n\r\n"
            );
            conn.write_all(head.as_bytes()).unwrap();
            assert_eq!(
                read_until(&mut conn, b"\r\n\r\n"),
                b"HTTP/1.1 100 Continue\r\n\r\n"
            );
            conn
        })
        .collect()
}

/// At `--max-connections`, when every open connection has sent bytes, none is closed: a
/// started request is never thrown away to make room. The new connection waits (in the
/// kernel's listen queue) and is served once one of the others finishes.
#[test]
fn at_max_connections_with_every_connection_busy_a_new_one_waits_until_one_finishes() {
    let _alone = measuring_alone();
    let server = probe(&["--max-connections", "5", "--timeout", "30"]);
    let mut busy = busy_connections(&server, 5);
    let mut sixth = ask(&server, "/sixth");
    assert_eq!(
        read_to_end_within(&mut sixth, A_WHILE),
        Err(vec![]),
        "a 6th connection got an answer (or was closed) while 5 busy ones held --max-connections 5"
    );
    busy[0].write_all(b"body").unwrap();
    assert_eq!(body(&read_to_end(&mut busy[0])), "/busy-0 host x");
    let raw = answered_within(&mut sixth, PROMPTLY, "the 6th, once one of 5 finished");
    assert_eq!(body(&raw), "/sixth host x");
}

/// ... or once one of the others hangs up.
#[test]
fn at_max_connections_with_every_connection_busy_a_new_one_waits_until_one_hangs_up() {
    let _alone = measuring_alone();
    let server = probe(&["--max-connections", "5", "--timeout", "30"]);
    let mut busy = busy_connections(&server, 5);
    let mut sixth = ask(&server, "/sixth");
    assert_eq!(
        read_to_end_within(&mut sixth, A_WHILE),
        Err(vec![]),
        "a 6th connection got an answer (or was closed) while 5 busy ones held --max-connections 5"
    );
    hang_up(&busy.remove(0));
    let raw = answered_within(&mut sixth, PROMPTLY, "the 6th, once one of 5 hung up");
    assert_eq!(body(&raw), "/sixth host x");
}

/// Every connection costs a file descriptor, and a process may open only so many (`ulimit
/// -n`). The server lowers `--max-connections` to fit at start-up and says so; then idle
/// connections can never use up the descriptors, which would make accept() fail and leave a
/// request waiting in the listen queue.
#[test]
fn max_connections_is_lowered_to_the_open_file_limit_and_idle_ones_never_exhaust_it() {
    let _alone = measuring_alone();
    const FILES: u64 = 256;
    const IDLE: usize = 400;
    make_room_for_files(IDLE as u64 + 200);
    let server = start_server_with_file_limit(&[&path(PROBE)], FILES);
    server.wait_for_stderr("--max-connections lowered");
    let _idle = idle_connections(&server, IDLE);
    let mut conn = ask(&server, "/past-the-file-limit");
    let raw = answered_within(
        &mut conn,
        PROMPTLY,
        "a request after more idle connections than the file limit",
    );
    assert_eq!(body(&raw), "/past-the-file-limit host x");
}

/// `--one-at-a-time` is the tutorial's loop, kept for lesson 11: the server reads one
/// connection until its request is in, so a request on a second connection waits behind an
/// idle client, and is answered as soon as that client goes away.
#[test]
fn one_at_a_time_makes_a_request_wait_behind_an_idle_client() {
    let _alone = measuring_alone();
    let server = probe(&["--one-at-a-time", "--timeout", "30"]);
    let before = server.sockets();
    let idle = server.connect();
    server.wait_for_sockets(before + 1);
    let mut waiting = ask(&server, "/behind-the-idle-one");
    assert_eq!(
        read_to_end_within(&mut waiting, Duration::from_millis(500)),
        Err(vec![]),
        "with --one-at-a-time a request was answered while an idle client held the server"
    );
    drop(idle);
    let raw = answered_within(
        &mut waiting,
        PROMPTLY,
        "the waiting request, once the idle client left",
    );
    assert_eq!(body(&raw), "/behind-the-idle-one host x");
}

/// GET `target` at `addr` and return the body of the 200 (for client threads, which cannot
/// share the `Server`).
fn get_body(addr: SocketAddr, target: &str) -> String {
    let mut conn = TcpStream::connect(addr).expect("the server accepts");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    conn.write_all(&get(target)).unwrap();
    body(&read_to_end(&mut conn))
}

/// Many connections are read at once, but the app is called for one request at a time, as
/// `wsgi.multithread = False` and `wsgi.multiprocess = False` promise (PEP 3333): an app that
/// counts its calls in flight, from the call to its result's close(), never sees two, even
/// with 8 clients asking at once.
#[test]
fn app_is_never_called_while_another_call_is_under_way() {
    const CLIENTS: usize = 8;
    const EACH: usize = 3;
    let server = probe(&[]);
    let start = Arc::new(Barrier::new(CLIENTS));
    let addr = server.addr;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                (0..EACH)
                    .map(|_| get_body(addr, "/in-flight"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for client in clients {
        for answer in client.join().expect("a client thread") {
            assert_eq!(answer, "counted");
        }
    }
    assert_eq!(
        get_body(addr, "/most-in-flight"),
        "most in flight: 1; multithread False; multiprocess False"
    );
}

/// The number of ticks of the probe's background thread so far.
fn ticks(server: &Server) -> u64 {
    let text = body(&server.get("/ticks"));
    text.parse()
        .unwrap_or_else(|_| panic!("/ticks answered {text:?}"))
}

/// The server waits for connections without holding the GIL, so an app's own thread (a
/// scheduler, a cache refresher) keeps running between requests.
#[test]
fn app_thread_keeps_running_while_the_server_waits_for_requests() {
    let _alone = measuring_alone();
    let server = probe(&[]);
    let first = ticks(&server);
    // The scenario: a second in which nobody asks anything.
    thread::sleep(Duration::from_secs(1));
    let second = ticks(&server);
    assert!(
        second - first >= ENOUGH_TICKS,
        "the app's thread ticked {} times in a second of the server waiting (10 ms a tick)",
        second - first
    );
}

/// The server writes to a slow reader without holding the GIL: while it waits for a client
/// that reads nothing for a second, with 32 MiB to send (more than the socket buffers hold),
/// an app's own thread keeps running. The body's last line says how many ticks it made.
#[test]
fn app_thread_keeps_running_while_the_server_writes_to_a_slow_reader() {
    let _alone = measuring_alone();
    const BODY_MIB: usize = 32;
    let server = probe(&[]);
    let mut conn = ask(&server, &format!("/slow-reader?mib={BODY_MIB}"));
    // The scenario: a client that reads nothing for a second.
    thread::sleep(Duration::from_secs(1));
    let reply = assert_reply(&read_to_end(&mut conn), 200, &[]);
    assert!(
        reply.body.len() > BODY_MIB * MIB,
        "the body is {} bytes, {BODY_MIB} MiB and a line expected",
        reply.body.len()
    );
    let (big, last) = reply.body.split_at(BODY_MIB * MIB);
    assert!(
        big.iter().all(|&b| b == b'x'),
        "the large chunk is not intact"
    );
    let last = String::from_utf8_lossy(last);
    let made: u64 = last
        .trim()
        .strip_prefix("ticks while sending: ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tick count at the end of the body: {last:?}"));
    assert!(
        made >= ENOUGH_TICKS,
        "the app's thread ticked {made} times while the server waited a second for a slow \
         reader (10 ms a tick)"
    );
}

/// An app thread calls write() while the server waits for a slow client to make room for the
/// app's large body: the server waits without the GIL, the thread waits for the response
/// without the GIL too, so neither blocks the other. The client gets the whole body, and the
/// next request is served.
#[test]
fn an_app_thread_writing_while_the_server_waits_on_a_slow_client_does_not_deadlock() {
    let _alone = measuring_alone();
    let server = start_server(&[&path("tests/apps/thread_write.py")]);
    let mut conn = ask(&server, "/");
    // The scenario: the client reads nothing for a second, the thread writes meanwhile.
    thread::sleep(Duration::from_secs(1));
    let reply = assert_reply(&read_to_end(&mut conn), 200, &[]);
    assert!(
        reply.body.len() >= 20 * MIB,
        "the body stopped after {} bytes",
        reply.body.len()
    );
    assert_eq!(body(&server.get("/next")), "next");
}

/// A soft open-file limit below what `--max-connections` needs is raised by the server itself,
/// up to the hard limit (as nginx and Go do): no "lowered" note, and 1,000 idle connections
/// are held while a request is still answered.
#[test]
fn a_low_soft_file_limit_is_raised_to_hold_the_default_connections() {
    let _alone = measuring_alone();
    const IDLE: usize = 1_000;
    make_room_for_files(IDLE as u64 + 200);
    let server = start_server_with_file_limits(&[&path(PROBE)], 256, 4_096);
    let _idle = idle_connections(&server, IDLE);
    server.wait_for_sockets(IDLE);
    let mut conn = ask(&server, "/with-a-raised-limit");
    let raw = answered_within(&mut conn, PROMPTLY, "a request beside 1,000 idle ones");
    assert_eq!(body(&raw), "/with-a-raised-limit host x");
    assert!(
        !server.stderr().contains("lowered"),
        "the soft limit was not raised: {}",
        server.stderr()
    );
}

/// The server's CPU time so far (user and system), from /proc/PID/stat, in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

/// Out of file descriptors (an app holds them), clients waiting to be accepted do not make the
/// loop spin on the readable listener: it stops accepting for a moment, says so once, and uses
/// next to no CPU meanwhile.
#[test]
fn out_of_file_descriptors_the_loop_waits_calmly() {
    let _alone = measuring_alone();
    let server = start_server_with_file_limit(&[&path("tests/apps/hoard_files.py")], 100);
    assert_eq!(body(&server.get("/?70")), "70 files held\n");
    server.next_typed();
    let _waiting: Vec<TcpStream> = (0..30).map(|_| server.connect()).collect();
    let pid = server.pid();
    let before = cpu_ticks(pid);
    // The scenario: a second of clients waiting while no descriptor is free.
    thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    assert!(
        used * 5 < per_second,
        "the server used {used} of {per_second} ticks in a second: it spins"
    );
    let mut notes = 0;
    while let Ok(line) = server.try_next_line(Duration::from_millis(200)) {
        if line.contains("accept failed") {
            notes += 1;
        }
    }
    assert!(
        (1..=3).contains(&notes),
        "{notes} 'accept failed' notes in a second"
    );
}
