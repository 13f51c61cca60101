//! Ctrl-C (SIGINT) and SIGTERM stop the server cleanly within a second, with exit code 0, even
//! while it waits for a silent client: every wait also watches a "stop" pipe the signal handler
//! writes to (the self-pipe trick, see `StopSignal` in src/wait.rs).
//!
//! Each test waits for the state it needs (bytes read, a write blocked, the app asleep, a
//! signal taken) by looking at the server from outside, never for a fixed time.

mod common;

use std::io::Write;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// The promise the server makes: stopped within a second of the signal.
const WITHIN: Duration = Duration::from_secs(1);

/// Held by each test for its whole run. The second is the product's promise, so it stays
/// hard; what must not eat into it is this binary's other tests, which cargo runs in parallel
/// (each starts an interpreter, the busiest moment of a server's life). One at a time, a
/// test measures only its own server. A failed test poisons the lock; the others still run.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Take [`ONE_AT_A_TIME`] for the rest of the test.
fn alone() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wait until `ready` holds, looking every few milliseconds (a process's state in /proc
/// cannot be waited on); fail the test after [`PATIENCE`], saying `what` never happened.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ready() {
        assert!(Instant::now() < deadline, "{what} never happened");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The server's main thread is inside the app's `time.sleep` (its kernel wait channel).
fn in_sleep(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("nanosleep"))
}

/// No SIGINT waits to be taken by the process (bit 2 of its pending masks).
fn sigint_taken(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let sigint: u64 = 1 << (libc::SIGINT - 1);
    status
        .lines()
        .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
        .all(|l| {
            let mask = l.split_whitespace().nth(1).unwrap_or("0");
            u64::from_str_radix(mask, 16).is_ok_and(|m| m & sigint == 0)
        })
}

/// Signal an idle server; assert it exits 0 within a second, saying "Stopped.".
fn assert_stops_on(signal: i32) {
    let mut server = start_server(&[&path("apps/hello.py")]);
    let (status, took) = server.signal_and_wait(signal, WITHIN);
    assert_eq!(status.code(), Some(0), "signal {signal}: {status:?}");
    assert!(took <= WITHIN, "signal {signal}: took {took:?}");
    assert!(server.stderr().contains("Stopped."), "{}", server.stderr());
}

/// Ctrl-C in the terminal sends SIGINT.
#[test]
fn sigint_stops_the_server_with_exit_code_0() {
    let _alone = alone();
    assert_stops_on(libc::SIGINT);
}

/// `kill`, systemd and docker send SIGTERM.
#[test]
fn sigterm_stops_the_server_with_exit_code_0() {
    let _alone = alone();
    assert_stops_on(libc::SIGTERM);
}

/// A client that connected and sent half a request does not hold the server: it stops while
/// reading from that client, without waiting for `--timeout`.
#[test]
fn signals_stop_the_server_while_a_client_is_connected_and_silent() {
    let _alone = alone();
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut server = start_server(&[&path("apps/hello.py")]);
        let mut conn = server.connect();
        conn.write_all(b"GET / HT").unwrap();
        // Answered after the half request was accepted and read: the loop takes connections
        // in order and reads each as it accepts it. Now it waits on this client too.
        assert_reply(&server.get("/"), 200, &[]);
        let (status, took) = server.signal_and_wait(signal, WITHIN);
        assert_eq!(status.code(), Some(0), "signal {signal}: {status:?}");
        assert!(took <= WITHIN, "signal {signal}: took {took:?}");
        drop(conn);
    }
}

/// A client that asked for a large response and does not read it fills the socket buffers,
/// so the server's write blocks; a signal still stops the server within a second.
#[test]
fn signals_stop_the_server_while_a_client_does_not_read_the_response() {
    let _alone = alone();
    let mut server = start_server(&[&path("tests/apps/close_tracker.py")]);
    let mut conn = server.connect();
    conn.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The response has begun (the server is in its writes, and 200 MiB will not fit in the
    // socket buffers): peek, without reading, so the buffers stay full.
    let mut first = [0u8; 1];
    assert_eq!(conn.peek(&mut first).unwrap(), 1, "the response began");
    wait_until("the server blocking on the full socket", || {
        std::fs::read_to_string(format!("/proc/{}/wchan", server.pid()))
            .is_ok_and(|w| w.contains("poll") || w.contains("wait"))
    });
    let (status, took) = server.signal_and_wait(libc::SIGTERM, WITHIN);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(took <= WITHIN, "took {took:?}");
    drop(conn);
}

/// An app that does not return (a loop, a long sleep) never gives the server a chance to see
/// the first Ctrl-C; a second one ends the process at once, with exit code 130 (128 + SIGINT).
#[test]
fn a_second_ctrl_c_ends_a_server_stuck_in_the_app() {
    let _alone = alone();
    let mut server = start_server(&[&path("tests/apps/faults.py")]);
    let mut conn = server.connect();
    conn.write_all(b"GET /sleep?s=30 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let pid = server.pid();
    wait_until("the app's sleep", || in_sleep(pid));
    // SAFETY: kill(2) only sends a signal to the child we started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    // Two SIGINTs sent before the first is taken would be one.
    wait_until("the first SIGINT taken", || sigint_taken(pid));
    let (status, took) = server.signal_and_wait(libc::SIGINT, WITHIN);
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(took <= WITHIN, "took {took:?}");
    drop(conn);
}

/// A burst of pipelined requests (`--keep-alive`) does not hold a stop back: the request being
/// served is finished, the rest are not, and the server stops within the second.
#[test]
fn signals_stop_the_server_in_the_middle_of_pipelined_requests() {
    let _alone = alone();
    let mut server = start_server(&["--keep-alive", &path("apps/slow.py")]);
    let mut conn = server.connect();
    let burst = "GET /?seconds=0.25 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20);
    conn.write_all(burst.as_bytes()).unwrap();
    let pid = server.pid();
    wait_until("the first request's sleep", || in_sleep(pid));
    let (status, took) = server.signal_and_wait(libc::SIGTERM, WITHIN);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(
        took <= WITHIN,
        "took {took:?} with 19 requests still queued"
    );
    drop(conn);
}
