//! Step mode: the server pauses before each phase until the class says "go".
//!
//! Normally the server never waits for the inspector. In step mode it waits on purpose, at a
//! **gate**: before `parse_request`, `get_environ`, the app call and `finish_response`, the
//! server arms the gate ([`StepGate::arm`]) and asks [`StepGate::holds`] again and again until
//! the inspector (on its own thread) calls [`StepGate::advance`]; between two questions its
//! event loop reads the other clients. The gate is state behind a mutex (and a condition
//! variable, for quitting to wait until no exchange is under way). The client just sees a slow
//! server.
//!
//! The gate can always be opened for good ([`StepGate::release`]): quitting the inspector, the
//! inspector thread dying, or a signal asking the server to stop must never leave the server
//! stuck at a gate. The gate also knows which exchange the server is serving, and in which
//! phase, so that quitting can wait for a paused request to be answered and say what it waits for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::exchange::Phase;

/// What the gate knows, behind its mutex.
#[derive(Debug, Default)]
struct Gate {
    /// The server is waiting at the gate now.
    waiting: bool,
    /// The inspector said "go" to the waiting server.
    go: bool,
    /// `r`: this exchange runs to its end without stopping.
    run_through: Option<u64>,
    /// Open for good: the inspector is gone.
    released: bool,
    /// The exchange the server is serving and its phase; None between exchanges. Quitting
    /// reads it: to let a paused request finish, and to say what the server still waits for.
    current: Option<(u64, Phase)>,
}

/// The gate between the server's thread and the inspector's, shared by both.
#[derive(Debug, Default)]
pub struct StepGate {
    /// Step mode is on: phases wait. Outside the mutex, because the server reads it before
    /// every phase of every request, and that must cost next to nothing when it is off.
    stepping: AtomicBool,
    gate: Mutex<Gate>,
    changed: Condvar,
}

impl StepGate {
    /// A gate, closed before each phase when `stepping` is true.
    pub fn new(stepping: bool) -> Self {
        StepGate {
            stepping: AtomicBool::new(stepping),
            gate: Mutex::new(Gate::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Gate> {
        // A panic while holding this small lock leaves consistent data: keep going.
        self.gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the phase of exchange `id` must wait (called by the server's side first, so it
    /// can tell the inspector it is paused before it sleeps).
    pub fn will_wait(&self, id: u64) -> bool {
        if !self.is_stepping() {
            return false;
        }
        let gate = self.lock();
        !gate.released && gate.run_through != Some(id)
    }

    /// The server's side: it is about to wait at the gate (it asks [`StepGate::holds`] until
    /// the answer is no, reading other connections in between).
    pub fn arm(&self) {
        let mut gate = self.lock();
        gate.waiting = true;
        gate.go = false;
    }

    /// Whether the server, waiting at the gate for exchange `id`, must still wait.
    pub fn holds(&self, id: u64) -> bool {
        let gate = self.lock();
        gate.waiting
            && self.is_stepping()
            && !gate.released
            && !gate.go
            && gate.run_through != Some(id)
    }

    /// The server's side: it goes on; the gate is ready for the next pause.
    pub fn disarm(&self) {
        let mut gate = self.lock();
        gate.waiting = false;
        gate.go = false;
    }

    /// Whether the server waits at the gate right now.
    pub fn is_waiting(&self) -> bool {
        self.lock().waiting
    }

    /// Whether step mode is on.
    pub fn is_stepping(&self) -> bool {
        self.stepping.load(Ordering::SeqCst)
    }

    /// Turn step mode on or off (off lets a waiting server go).
    pub fn set_stepping(&self, on: bool) {
        // Changed under the lock, so a server about to sleep cannot miss the wake-up.
        let _gate = self.lock();
        self.stepping.store(on, Ordering::SeqCst);
        self.changed.notify_all();
    }

    /// Space / n: let the waiting server run the next phase. Does nothing when nobody waits,
    /// so pressing Space ahead of time does not skip a future pause.
    pub fn advance(&self) {
        let mut gate = self.lock();
        if gate.waiting {
            gate.go = true;
            self.changed.notify_all();
        }
    }

    /// r: let exchange `id` run to its end without stopping.
    pub fn run_through(&self, id: u64) {
        self.lock().run_through = Some(id);
        self.changed.notify_all();
    }

    /// Open the gate for good: the inspector is leaving, or the server was asked to stop.
    /// Returns whether the server was waiting at the gate (and now goes on).
    pub fn release(&self) -> bool {
        let mut gate = self.lock();
        gate.released = true;
        self.changed.notify_all();
        gate.waiting
    }

    /// The server's side: exchange `id` reached `phase`. From `get_environ` on, it is the
    /// exchange under way (the one the app serves, whose output is tagged with its id); at
    /// `parse_request` only when the gate will hold it there (many requests are read at once,
    /// and only a paused one is what quitting waits for).
    pub fn reached(&self, id: u64, phase: Phase) {
        let stepping = self.is_stepping();
        let mut gate = self.lock();
        let paused_here = stepping && !gate.released && gate.run_through != Some(id);
        if phase != Phase::ParseRequest || paused_here {
            gate.current = Some((id, phase));
        }
    }

    /// The server's side: exchange `id` is over.
    pub fn end(&self, id: u64) {
        let mut gate = self.lock();
        if gate.current.is_some_and(|(current, _)| current == id) {
            gate.current = None;
        }
        self.changed.notify_all();
    }

    /// The server is gone: no exchange is under way any more.
    pub fn end_all(&self) {
        self.lock().current = None;
        self.changed.notify_all();
    }

    /// The exchange under way and its phase, if any.
    pub fn current(&self) -> Option<(u64, Phase)> {
        self.lock().current
    }

    /// Wait until no exchange is under way, at most `timeout` (None: as long as it takes).
    /// Returns whether none is.
    pub fn wait_idle(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut gate = self.lock();
        while gate.current.is_some() {
            gate = match deadline {
                None => self.changed.wait(gate).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.changed
                        .wait_timeout(gate, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        true
    }
}

/// What the inspector says about the phase the server is about to run: the method's name, its
/// signature, and one line on what it does.
pub struct Explanation {
    pub signature: &'static str,
    pub what: &'static str,
}

/// The explanation of each phase, as the step prompt shows it.
pub fn explain(phase: Phase) -> Explanation {
    match phase {
        Phase::ParseRequest => Explanation {
            signature: "parse_request(conn) -> (Request, body)",
            what: "read bytes from the socket until the request line, headers and body are in, \
                   and parse them",
        },
        Phase::GetEnviron => Explanation {
            signature: "get_environ(request, body, client) -> environ",
            what: "build the dict the app receives: CGI keys, HTTP_* headers, wsgi.* keys",
        },
        Phase::Application => Explanation {
            signature: "application(environ, start_response) -> iterable of bytes",
            what: "call the Python app; it calls start_response(status, headers) and returns \
                   the body",
        },
        Phase::FinishResponse => Explanation {
            signature: "finish_response(result)",
            what: "iterate the result: send the status line and headers before the first \
                   non-empty chunk, then the body, then call result.close()",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// What the server does at the gate for exchange `id`: arm it, ask until it no longer
    /// holds (the server reads other clients in between), go on.
    fn pass(gate: &StepGate, id: u64) {
        gate.arm();
        while gate.holds(id) {
            std::thread::sleep(Duration::from_millis(1));
        }
        gate.disarm();
    }

    /// A server thread stopped at a stepping gate (exchange 1); returns once it waits there.
    fn paused_server() -> (Arc<StepGate>, std::thread::JoinHandle<()>) {
        let gate = Arc::new(StepGate::new(true));
        let server = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || pass(&gate, 1))
        };
        while !gate.is_waiting() {
            std::thread::sleep(Duration::from_millis(1));
        }
        (gate, server)
    }

    #[test]
    fn a_stepping_gate_holds_the_server_until_advanced() {
        let (gate, server) = paused_server();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!server.is_finished(), "the server passed a closed gate");
        gate.advance();
        server.join().expect("the server thread panicked");
        assert!(!gate.is_waiting());
    }

    #[test]
    fn advancing_ahead_of_time_does_not_skip_a_pause() {
        let gate = StepGate::new(true);
        gate.advance();
        assert!(gate.will_wait(1));
    }

    #[test]
    fn run_through_and_release_open_the_gate() {
        let gate = StepGate::new(true);
        gate.run_through(7);
        assert!(!gate.will_wait(7));
        pass(&gate, 7);
        assert!(gate.will_wait(8));
        assert!(!gate.release(), "nobody was waiting");
        assert!(!gate.will_wait(8));
        pass(&gate, 8);
    }

    #[test]
    fn release_says_whether_the_server_was_paused() {
        let (gate, server) = paused_server();
        assert!(gate.release());
        server.join().expect("the server thread panicked");
    }

    #[test]
    fn the_gate_knows_the_exchange_under_way_and_waits_for_its_end() {
        let gate = Arc::new(StepGate::new(false));
        assert!(gate.wait_idle(Some(Duration::ZERO)));
        // Not stepping, parse_request does not make an exchange the one under way: many
        // requests are read at once.
        gate.reached(3, Phase::ParseRequest);
        assert_eq!(gate.current(), None);
        gate.reached(3, Phase::Application);
        assert_eq!(gate.current(), Some((3, Phase::Application)));
        gate.end(2);
        assert_eq!(gate.current(), Some((3, Phase::Application)));
        assert!(!gate.wait_idle(Some(Duration::from_millis(20))));
        let server = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                gate.end(3);
            })
        };
        assert!(gate.wait_idle(None));
        assert_eq!(gate.current(), None);
        server.join().expect("the server thread panicked");
    }
}
