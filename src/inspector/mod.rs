//! The inspector: a terminal screen that shows every exchange live.
//!
//! **Two threads, one channel.** The server is single-threaded and runs Python; the inspector
//! runs on a thread of its own and never touches Python. Between them is a channel
//! (`std::sync::mpsc`): the server's [`InspectorObserver`] turns each [`Event`] into a
//! [`Message`] and sends it, which never blocks, so a slow screen can never slow the server.
//! The inspector's loop drains the channel, updates its [`State`], draws at most
//! [`FRAMES_PER_SECOND`] times a second ([`BUSY_FRAMES_PER_SECOND`] under load), and reads
//! keys.
//!
//! **Step mode is the one exception**, on purpose: there the observer waits at a
//! [`StepGate`] before each phase until the class presses Space. Quitting the inspector always
//! opens the gate for good, so a server never stays stuck at it (a paused request runs to its
//! end and is answered before the server stops); so does the server's stop signal (SIGTERM).
//!
//! **App output is live too**: [`InspectorObserver::live_output`] gives the Python side a way
//! to send each line the app prints the moment it is written, tagged with the exchange under
//! way, so a slow app's `print()` shows while it still runs.
//!
//! The parts, each in its own file:
//! - [`state`]: what is shown, as plain data, and how events and keys change it;
//! - [`ui`]: drawing the state (a pure function, tested with snapshots);
//! - [`keys`]: which key means what, and the help text;
//! - [`lesson`]: the lesson panel of `wsgiscope lesson N`;
//! - [`source`]: which request bytes each environ key came from;
//! - [`step`]: the gate and what each phase does;
//! - [`export`]: `x`, a transcript and a curl command;
//! - [`terminal`]: taking the terminal over and giving it back on every exit.

pub mod export;
pub mod keys;
pub mod lesson;
pub mod source;
pub mod state;
pub mod step;
pub mod terminal;
pub mod ui;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event;

use crate::exchange::{Event, Exchange, Observer, OutputLine, Phase};
use crate::server::StopHandle;

pub use state::{Message, ServerInfo, State};
pub use step::StepGate;

/// The most frames drawn in a second: smooth for a person, cheap for the machine.
pub const FRAMES_PER_SECOND: u32 = 30;
const FRAME: Duration = Duration::from_nanos(1_000_000_000 / FRAMES_PER_SECOND as u64);

/// Under load the list changes every frame and nobody reads it that fast: above
/// [`BUSY_RATE`] exchanges a second the screen is drawn at most [`BUSY_FRAMES_PER_SECOND`]
/// times a second, which leaves the core to the server. A key is still answered at once.
pub const BUSY_FRAMES_PER_SECOND: u32 = 10;
const BUSY_FRAME: Duration = Duration::from_nanos(1_000_000_000 / BUSY_FRAMES_PER_SECOND as u64);

/// Exchanges a second above which the inspector draws at [`BUSY_FRAMES_PER_SECOND`].
pub const BUSY_RATE: u32 = 1_000;

/// While an exchange is under way, redraw this often even without news, so the waiting time
/// of a stalled client counts up.
const LIVE_TICK: Duration = Duration::from_millis(250);

/// The most messages taken from the channel between two looks at the keyboard, so that a flood
/// of requests cannot make the keys unresponsive.
const MAX_MESSAGES_PER_TURN: usize = 20_000;

/// The server's side: an [`Observer`] that sends every event to the inspector.
pub struct InspectorObserver {
    to_inspector: Sender<Message>,
    /// Records the inspector no longer shows, sent back to be freed on this thread.
    spent: Receiver<Vec<Exchange>>,
    gate: Arc<StepGate>,
    /// How fast exchanges come, to send the environ and start_response early only at a
    /// person's pace.
    pace: Pace,
}

/// The most exchanges a second at which the environ and the start_response calls are sent as
/// soon as they exist, not only in the finished record. A class sends a request now and then;
/// a load generator sends thousands a second, and there the copies are too dear (measured:
/// sent for every exchange under `wrk`, they halved the server's requests per second).
pub const HUMAN_PACE: u32 = 20;

/// Counts the exchanges of the current one-second window.
struct Pace {
    window: Instant,
    count: u32,
    /// The last window, or this one so far, stayed at or under [`HUMAN_PACE`].
    calm: bool,
}

impl Pace {
    fn new() -> Self {
        Pace {
            window: Instant::now(),
            count: 0,
            calm: true,
        }
    }

    /// One more exchange, at `now`.
    fn tick(&mut self, now: Instant) {
        if now.duration_since(self.window) >= Duration::from_secs(1) {
            self.calm = self.count <= HUMAN_PACE;
            self.window = now;
            self.count = 0;
        }
        self.count += 1;
        self.calm &= self.count <= HUMAN_PACE;
    }
}

impl Observer for InspectorObserver {
    fn wants_live(&self) -> bool {
        true
    }

    /// In step mode, and at a person's pace (see [`HUMAN_PACE`]): then a slow app's environ and
    /// start_response call show while it runs.
    fn wants_progress(&self) -> bool {
        self.pace.calm || self.gate.is_stepping()
    }

    fn on_event(&mut self, event: Event) {
        let mut pause = None;
        let mut finished = false;
        match &event {
            Event::Accepted { id, .. } => {
                self.pace.tick(Instant::now());
                self.gate.begin(*id);
            }
            Event::PhaseStarted { id, phase } => {
                self.gate.reached(*id, *phase);
                if self.gate.will_wait(*id) {
                    pause = Some((*id, *phase));
                }
            }
            Event::Finished(_) => {
                finished = true;
                // Once per exchange: free what the inspector gave back.
                while let Ok(spent) = self.spent.try_recv() {
                    drop(spent);
                }
            }
            _ => {}
        }
        // A send fails only when the inspector is gone; the server goes on regardless.
        let _ = self.to_inspector.send(Message::Server(event));
        if let Some((id, phase)) = pause {
            let _ = self.to_inspector.send(Message::Paused { id, phase });
            self.gate.pass(id);
        }
        if finished {
            self.gate.end();
        }
    }
}

impl InspectorObserver {
    /// What [`crate::python::forward_output`] needs to send each line the app writes to the
    /// log view at once, tagged with the exchange under way (lines written between exchanges
    /// wait for the record, as before).
    pub fn live_output(&self) -> crate::python::LiveOutput {
        let to_inspector = self.to_inspector.clone();
        let gate = Arc::clone(&self.gate);
        Box::new(move |line: &OutputLine| {
            if let Some((id, _)) = gate.current() {
                let _ = to_inspector.send(Message::Output {
                    id,
                    line: line.clone(),
                });
            }
        })
    }
}

impl Drop for InspectorObserver {
    fn drop(&mut self) {
        // The server is gone (a panic, say): nothing is under way any more.
        self.gate.end();
    }
}

/// The inspector's end of the channel, before its thread starts.
pub struct InspectorLink {
    from_server: Receiver<Message>,
    spent: Sender<Vec<Exchange>>,
    gate: Arc<StepGate>,
}

/// A channel from the server to the inspector: the observer to give the server, and the link
/// to give [`Inspector::start`]. `stepping` starts in step mode (`--step`).
pub fn channel(stepping: bool) -> (InspectorObserver, InspectorLink) {
    let (to_inspector, from_server) = mpsc::channel();
    let (spent_tx, spent_rx) = mpsc::channel();
    let gate = Arc::new(StepGate::new(stepping));
    (
        InspectorObserver {
            to_inspector,
            spent: spent_rx,
            gate: Arc::clone(&gate),
            pace: Pace::new(),
        },
        InspectorLink {
            from_server,
            spent: spent_tx,
            gate,
        },
    )
}

/// The running inspector: its thread, and the flag that asks it to leave.
pub struct Inspector {
    thread: Option<JoinHandle<io::Result<()>>>,
    quit: Arc<AtomicBool>,
}

/// Whatever ends the inspector's thread (a return, an error, a panic), this runs, after the
/// terminal was given back: the step gate opens for good and the server is asked to stop.
///
/// A request paused at the gate is let through first and stopped only once it is answered: a
/// client that waited through a lesson should not lose its response. And if the server does
/// not stop soon (an app in an endless loop), one line says why the shell does not come back.
struct OnExit {
    gate: Arc<StepGate>,
    stop: StopHandle,
}

/// How long quitting waits, silently, for the exchange under way before saying it waits.
const QUIET_WAIT: Duration = Duration::from_millis(300);

impl Drop for OnExit {
    fn drop(&mut self) {
        let paused = self.gate.release();
        if !paused {
            self.stop.stop();
        }
        if !self.gate.wait_idle(Some(QUIET_WAIT))
            && let Some((id, phase)) = self.gate.current()
        {
            eprintln!("{}", waiting_note(id, phase));
        }
        if paused {
            self.gate.wait_idle(None);
            self.stop.stop();
        }
    }
}

/// What quitting says while exchange `id` keeps the server from stopping. The server already
/// ends at once on a second Ctrl-C (see [`crate::server::StopSignal::on_signals`]).
pub fn waiting_note(id: u64, phase: Phase) -> String {
    let what = match phase {
        Phase::ParseRequest => format!("the client to finish request #{id}"),
        Phase::GetEnviron | Phase::Application => {
            format!("the app to return (request #{id})")
        }
        Phase::FinishResponse => format!("the app to finish its response (request #{id})"),
    };
    format!("Waiting for {what}; press Ctrl-C twice to quit at once.")
}

impl Inspector {
    /// Take over the terminal and start the inspector's thread. `stop` stops the server when
    /// the inspector quits.
    pub fn start(link: InspectorLink, info: ServerInfo, stop: StopHandle) -> io::Result<Self> {
        Self::start_with_lesson(link, info, stop, None)
    }

    /// [`Inspector::start`], with a lesson shown beside the exchanges (`wsgiscope lesson N`).
    pub fn start_with_lesson(
        link: InspectorLink,
        info: ServerInfo,
        stop: StopHandle,
        lesson: Option<lesson::LessonPanel>,
    ) -> io::Result<Self> {
        let guard = terminal::enter()?;
        let quit = Arc::new(AtomicBool::new(false));
        let stepping = link.gate.is_stepping();
        let mut state = State::new(info, stepping, Instant::now());
        state.lesson = lesson;
        let thread = {
            let quit = Arc::clone(&quit);
            std::thread::Builder::new()
                .name("inspector".into())
                .spawn(move || {
                    let on_exit = OnExit {
                        gate: Arc::clone(&link.gate),
                        stop,
                    };
                    run(guard, state, link, &quit, &on_exit.stop)
                })?
        };
        Ok(Inspector {
            thread: Some(thread),
            quit,
        })
    }

    /// Ask the inspector to leave (the server stopped), wait for it, and report how it ended.
    pub fn finish(mut self) -> io::Result<()> {
        self.quit.store(true, Ordering::SeqCst);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the inspector's thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        // Leaving without `finish` (the server panicked): still give the terminal back first.
        self.quit.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The loop: drain the channel, update, draw (at most 30 times a second, 10 under load), read
/// keys.
fn run(
    mut guard: terminal::TerminalGuard,
    mut state: State,
    link: InspectorLink,
    quit: &AtomicBool,
    stop: &StopHandle,
) -> io::Result<()> {
    let mut dirty = true;
    // A key pressed: draw at the next frame whatever the load, so typing feels immediate.
    let mut answer_key = false;
    let mut last_draw = Instant::now() - FRAME;
    let mut stopping = false;
    // Exchanges taken in during the current second, and whether the last second was busy.
    let mut rate_window = Instant::now();
    let mut arrived: u32 = 0;
    let mut busy = false;
    loop {
        if quit.load(Ordering::SeqCst) {
            return Ok(());
        }
        // SIGTERM (or Ctrl-C from another terminal) while the server sleeps at the step gate:
        // only opening the gate lets it see the stop and leave.
        if !stopping && stop.is_raised() {
            stopping = true;
            link.gate.release();
            state.note(None, "server", "stopping: asked to by a signal".into());
            dirty = true;
        }
        state.now = Instant::now();
        for _ in 0..MAX_MESSAGES_PER_TURN {
            match link.from_server.try_recv() {
                Ok(message) => {
                    if let Message::Server(Event::Finished(_)) = message {
                        arrived += 1;
                    }
                    state.on_message(message);
                    dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                // The server is gone: nothing more will come.
                Err(TryRecvError::Disconnected) => return Ok(()),
            }
        }
        if !state.spent.is_empty() {
            let _ = link.spent.send(std::mem::take(&mut state.spent));
        }
        let live = state.entries.back().is_some_and(|e| !e.finished);
        if live && last_draw.elapsed() >= LIVE_TICK {
            dirty = true;
        }
        if state.now.duration_since(rate_window) >= Duration::from_secs(1) {
            busy = arrived > BUSY_RATE;
            rate_window = state.now;
            arrived = 0;
        }
        let frame = if busy && !answer_key {
            BUSY_FRAME
        } else {
            FRAME
        };
        if dirty && last_draw.elapsed() >= frame {
            guard.terminal.draw(|frame| ui::render(&state, frame))?;
            last_draw = Instant::now();
            dirty = false;
            answer_key = false;
        }
        if !event::poll(FRAME)? {
            continue;
        }
        let command = match event::read()? {
            event::Event::Key(key) => keys::command(key, state.typing.is_some()),
            event::Event::Mouse(mouse) => keys::mouse_command(mouse),
            event::Event::Resize(..) => {
                dirty = true;
                None
            }
            _ => None,
        };
        let Some(command) = command else { continue };
        dirty = true;
        answer_key = true;
        match state.on_command(command) {
            state::Action::None => {}
            state::Action::Quit => return Ok(()),
            state::Action::Advance => link.gate.advance(),
            state::Action::RunRest(id) => link.gate.run_through(id),
            state::Action::SetStepping(on) => link.gate.set_stepping(on),
            state::Action::Export(id) => export_selected(&mut state, id),
        }
    }
}

/// `x`: write the files, and say where in the log view.
fn export_selected(state: &mut State, id: u64) {
    let Some(entry) = state.selected_entry() else {
        return;
    };
    let note = match export::export(&entry.exchange, state.info.address) {
        Ok(out) => format!(
            "exported to {} (raw bytes: {}); curl: {}",
            out.transcript.display(),
            out.request.display(),
            out.curl
        ),
        Err(e) => format!("export failed: {e}"),
    };
    state.note(Some(id), "inspector", note);
}

#[cfg(test)]
mod snapshot_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_copies_stop_above_a_human_pace_and_come_back_below_it() {
        let start = Instant::now();
        let mut pace = Pace::new();
        for i in 0..HUMAN_PACE {
            pace.tick(start + Duration::from_millis(u64::from(i)));
        }
        assert!(pace.calm, "{HUMAN_PACE} a second is a person's pace");
        pace.tick(start + Duration::from_millis(500));
        assert!(!pace.calm, "one more in the same second is not");
        pace.tick(start + Duration::from_millis(1_500));
        assert!(!pace.calm, "the last whole second was busy");
        pace.tick(start + Duration::from_millis(2_600));
        assert!(pace.calm, "a quiet second later, calm again");
    }
}
