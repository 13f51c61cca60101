//! The inspector: a terminal screen that shows every exchange live.
//!
//! **Two threads, one channel.** The server is single-threaded and runs Python; the inspector
//! runs on a thread of its own and never touches Python. Between them is a bounded channel
//! (`std::sync::mpsc::sync_channel`, [`CAPACITY`] messages): the server's [`InspectorObserver`]
//! turns each [`Event`] into a [`Message`] and offers it with `try_send`, which never blocks, so
//! a slow screen can never slow the server. When the inspector falls behind (its thread starved
//! of CPU) and the channel is full, the message is dropped and counted, and the header says how
//! many exchanges were not shown: the memory between the two threads stays bounded however
//! long the server runs. The inspector's loop drains the channel, updates its [`State`], draws
//! at most [`FRAMES_PER_SECOND`] times a second ([`BUSY_FRAMES_PER_SECOND`] under load), and
//! reads keys.
//!
//! **Step mode is the one exception**, on purpose: there the observer waits at a
//! [`StepGate`] before each phase until the class presses Space. Quitting the inspector always
//! opens the gate for good, so a server never stays stuck at it (a paused request runs to its
//! end and is answered before the server stops); so does the server's stop signal (SIGTERM).
//! The word that the server now waits ([`Message::Paused`]) is the one message never dropped:
//! without it the class could not press Space, and the server would wait for ever.
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
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event;

use crate::exchange::{ConnectionCounts, Event, Exchange, Observer, OutputLine, Phase};
use crate::wait::StopHandle;

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

/// How many messages the channel from the server to the inspector holds; when it is full the
/// server drops what it would send (see [`InspectorObserver`]) rather than wait.
///
/// A measured choice. An exchange is about 9 messages (accepted, request bytes twice, request
/// line, four phases, the record), so 16,384 hold some 1,800 exchanges: a third of the history
/// ([`state::MAX_EXCHANGES`]), about 16 MiB of records for a small app, plus 1 MiB of slots
/// (64 bytes each) allocated up front. The worst case is an upload flood: a message of request
/// bytes is at most one 16 KiB read, so 256 MiB. At the benchmark's ~50,000 requests a second
/// the channel holds about 35 ms of traffic; 8,192 (17 ms) was measured too small: a healthy
/// inspector, pinned to the server's core, still dropped 0.4% of the exchanges during its
/// draws. With 16,384 it drops none.
pub const CAPACITY: usize = 16_384;

/// While messages keep coming, how long the loop waits for a key before it drains the channel
/// again (idle, it waits a whole [`FRAME`]). Short enough that [`CAPACITY`] is never reached by
/// a healthy inspector; long enough that each turn takes in a batch, which is cheaper per
/// message than waking for each.
const DRAIN_INTERVAL: Duration = Duration::from_millis(4);

/// The connection counts, shared by the server (which stores them as they change) and the
/// inspector (which reads them each turn): atomics rather than messages, because under load
/// they change with every connection, and a message each time would crowd the channel.
#[derive(Debug, Default)]
pub struct SharedCounts {
    open: AtomicU64,
    idle: AtomicU64,
    closed_idle: AtomicU64,
}

impl SharedCounts {
    fn store(&self, counts: ConnectionCounts) {
        self.open.store(counts.open, Ordering::Relaxed);
        self.idle.store(counts.idle, Ordering::Relaxed);
        self.closed_idle
            .store(counts.closed_idle, Ordering::Relaxed);
    }

    fn load(&self) -> ConnectionCounts {
        ConnectionCounts {
            open: self.open.load(Ordering::Relaxed),
            idle: self.idle.load(Ordering::Relaxed),
            closed_idle: self.closed_idle.load(Ordering::Relaxed),
        }
    }
}

/// The ids of exchanges whose record the server dropped, for the inspector to close their
/// entries. At most [`MAX_LOST_IDS`] wait here; beyond, the oldest go (their entries have
/// left the inspector's history by then anyway).
#[derive(Debug, Default)]
pub struct LostIds(std::sync::Mutex<std::collections::VecDeque<u64>>);

/// See [`LostIds`]: as many as the inspector's history holds.
const MAX_LOST_IDS: usize = state::MAX_EXCHANGES;

impl LostIds {
    fn push(&self, id: u64) {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if ids.len() == MAX_LOST_IDS {
            ids.pop_front();
        }
        ids.push_back(id);
    }

    fn take(&self) -> Vec<u64> {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        ids.drain(..).collect()
    }
}

/// The server's side: an [`Observer`] that sends every event to the inspector.
///
/// It never waits for the inspector (but in step mode, at the gate): each message is offered
/// with `try_send`, and one that does not fit is dropped. Most messages are only news of the
/// exchange under way, which its finished record repeats in full; a dropped record
/// ([`Event::Finished`]) is an exchange the inspector cannot show, and is counted in
/// [`InspectorLink`]'s `not_shown` for the header to say so.
pub struct InspectorObserver {
    to_inspector: SyncSender<Message>,
    /// How many finished records were dropped because the channel was full; shared with the
    /// inspector, which shows it.
    not_shown: Arc<AtomicU64>,
    /// The connection counts, shared with the inspector.
    connections: Arc<SharedCounts>,
    /// The ids of the records dropped, shared with the inspector, which closes their entries.
    lost: Arc<LostIds>,
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
        let mut finished = None;
        match &event {
            Event::Accepted { .. } => self.pace.tick(Instant::now()),
            Event::PhaseStarted { id, phase } => {
                self.gate.reached(*id, *phase);
                if self.gate.will_wait(*id) {
                    pause = Some((*id, *phase));
                }
            }
            Event::Finished(exchange) => {
                finished = Some(exchange.id);
                // Once per exchange: free what the inspector gave back.
                while let Ok(spent) = self.spent.try_recv() {
                    drop(spent);
                }
            }
            _ => {}
        }
        // Full: the inspector fell behind. Rather than wait, drop the message (and free it
        // here, on the thread that made it). Only a record is worth counting: the news of an
        // exchange under way comes again, complete, in its record. Any other failure means
        // the inspector is gone, and the server goes on regardless.
        if let Err(TrySendError::Full(Message::Server(Event::Finished(lost)))) =
            self.to_inspector.try_send(Message::Server(event))
        {
            self.not_shown.fetch_add(1, Ordering::Relaxed);
            self.lost.push(lost.id);
        }
        if let Some((id, phase)) = pause {
            // The one message that waits for room: the server is about to wait at the gate
            // for the class anyway, and without this word nobody could let it go on. The send
            // fails at once if the inspector is gone (then the gate is open too).
            let _ = self.to_inspector.send(Message::Paused { id, phase });
            self.gate.arm();
        }
        if let Some(id) = finished {
            self.gate.end(id);
        }
    }

    fn is_stepping(&self) -> bool {
        self.gate.is_stepping()
    }

    fn holds(&self, id: u64) -> bool {
        self.gate.holds(id)
    }

    fn passed(&mut self, _id: u64) {
        self.gate.disarm();
    }

    fn on_connections(&mut self, counts: ConnectionCounts) {
        self.connections.store(counts);
    }
}

impl InspectorObserver {
    /// What [`crate::python::forward_output`] needs to send each line the app writes to the
    /// log view at once, tagged with the exchange under way (lines written between exchanges
    /// wait for the record, as before). Like every message it is only offered: when the
    /// channel is full the line is dropped, and the finished record shows it instead.
    pub fn live_output(&self) -> crate::exchange::LiveOutput {
        let to_inspector = self.to_inspector.clone();
        let gate = Arc::clone(&self.gate);
        Box::new(move |line: &OutputLine| {
            if let Some((id, _)) = gate.current() {
                let _ = to_inspector.try_send(Message::Output {
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
        self.gate.end_all();
    }
}

/// The inspector's end of the channel, before its thread starts.
pub struct InspectorLink {
    from_server: Receiver<Message>,
    /// Exchanges whose record the server dropped because the channel was full.
    not_shown: Arc<AtomicU64>,
    /// The connection counts the server shares.
    connections: Arc<SharedCounts>,
    /// The ids of the records the server dropped.
    lost: Arc<LostIds>,
    spent: Sender<Vec<Exchange>>,
    gate: Arc<StepGate>,
}

/// A channel from the server to the inspector: the observer to give the server, and the link
/// to give [`Inspector::start`]. `stepping` starts in step mode (`--step`).
pub fn channel(stepping: bool) -> (InspectorObserver, InspectorLink) {
    let (to_inspector, from_server) = mpsc::sync_channel(CAPACITY);
    // Unbounded, but it only ever holds records the inspector already held, and the server
    // takes them back after each exchange.
    let (spent_tx, spent_rx) = mpsc::channel();
    let gate = Arc::new(StepGate::new(stepping));
    let not_shown = Arc::new(AtomicU64::new(0));
    let connections = Arc::new(SharedCounts::default());
    let lost = Arc::new(LostIds::default());
    (
        InspectorObserver {
            to_inspector,
            not_shown: Arc::clone(&not_shown),
            connections: Arc::clone(&connections),
            lost: Arc::clone(&lost),
            spent: spent_rx,
            gate: Arc::clone(&gate),
            pace: Pace::new(),
        },
        InspectorLink {
            from_server,
            not_shown,
            connections,
            lost,
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
/// ends at once on a second Ctrl-C (see [`crate::wait::StopSignal::on_signals`]).
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

/// How long the busy rate is measured over: [`BUSY_RATE`] is a count of exchanges a second.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// When to draw: only when something changed, and at most once a frame.
///
/// Drawing costs the inspector's thread a few milliseconds, and when the server shares its
/// core, each of them is taken from the server. So news does not draw: it only marks the
/// screen *dirty*, and the loop draws a dirty screen once a frame's time has passed since the
/// last draw. News that comes faster than [`FRAMES_PER_SECOND`] is drawn together, in one
/// frame.
///
/// - **A busy second draws less often.** Above [`BUSY_RATE`] exchanges a second the list
///   changes every frame and nobody can read it at that speed: drawing it 30 times a second
///   would only take CPU from the server under test. So the exchanges of each second are
///   counted, and after a busy second a frame lasts [`BUSY_FRAME`] instead of [`FRAME`].
/// - **A key draws at once.** Whoever presses a key watches for the screen to answer, and a
///   tenth of a second already feels like lag: the frame after a key is an ordinary one,
///   however busy the server.
/// - **A live exchange draws without news**, every [`LIVE_TICK`], so that the time a stalled
///   client keeps the server waiting counts up on screen.
struct Pacing {
    /// Something changed since the last draw.
    dirty: bool,
    /// A key was pressed since the last draw: draw at the next ordinary frame.
    answer_key: bool,
    last_draw: Instant,
    /// When the current [`RATE_WINDOW`] began.
    window: Instant,
    /// Exchanges finished in the current window.
    arrived: u32,
    /// The last whole window saw more than [`BUSY_RATE`] exchanges.
    busy: bool,
}

impl Pacing {
    /// A dirty screen, due at once: the first turn draws.
    fn new(now: Instant) -> Self {
        Pacing {
            dirty: true,
            answer_key: false,
            // A frame ago (or now, on a clock that began less than a frame ago: `-` would
            // panic there, and drawing a frame late is harmless).
            last_draw: now.checked_sub(FRAME).unwrap_or(now),
            window: now,
            arrived: 0,
            busy: false,
        }
    }

    /// The state changed: draw it at the next frame.
    fn changed(&mut self) {
        self.dirty = true;
    }

    /// A key (or a click) was acted on: draw it at the next ordinary frame, even when busy.
    fn key_pressed(&mut self) {
        self.dirty = true;
        self.answer_key = true;
    }

    /// A turn's messages were taken in: news to draw, and exchanges to count.
    fn took_in(&mut self, batch: &Batch) {
        if batch.messages > 0 {
            self.dirty = true;
        }
        self.arrived += batch.records;
    }

    /// An exchange is under way: its clock moves even when no news comes.
    fn exchange_under_way(&mut self, now: Instant) {
        if now.duration_since(self.last_draw) >= LIVE_TICK {
            self.dirty = true;
        }
    }

    /// Once a [`RATE_WINDOW`] is over, judge whether it was busy, and start the next.
    fn measure_rate(&mut self, now: Instant) {
        if now.duration_since(self.window) >= RATE_WINDOW {
            self.busy = self.arrived > BUSY_RATE;
            self.window = now;
            self.arrived = 0;
        }
    }

    /// How long a frame lasts now: longer after a busy second, unless a key waits.
    fn frame(&self) -> Duration {
        if self.busy && !self.answer_key {
            BUSY_FRAME
        } else {
            FRAME
        }
    }

    /// Whether to draw at `now`: something changed, and a frame has passed since the last draw.
    fn due(&self, now: Instant) -> bool {
        self.dirty && now.duration_since(self.last_draw) >= self.frame()
    }

    /// The screen was drawn, and finished drawing at `now`: all news (and the key) is shown.
    fn drawn(&mut self, now: Instant) {
        self.last_draw = now;
        self.dirty = false;
        self.answer_key = false;
    }
}

/// What one turn took from the channel.
struct Batch {
    /// How many messages.
    messages: usize,
    /// How many of them were finished records: the exchanges [`Pacing`] counts.
    records: u32,
}

impl Batch {
    /// How long to wait for a key before the next turn. While messages keep coming, come back
    /// to the channel soon, before it fills; when none came, a whole frame.
    fn wait(&self) -> Duration {
        if self.messages > 0 {
            DRAIN_INTERVAL
        } else {
            FRAME
        }
    }
}

impl InspectorLink {
    /// Move what the server sent into `state`, up to [`MAX_MESSAGES_PER_TURN`] messages, so
    /// that a flood of requests cannot keep the loop from the keyboard. None when the server
    /// is gone: nothing more will come.
    fn drain_into(&self, state: &mut State) -> Option<Batch> {
        let mut batch = Batch {
            messages: 0,
            records: 0,
        };
        for _ in 0..MAX_MESSAGES_PER_TURN {
            match self.from_server.try_recv() {
                Ok(message) => {
                    if let Message::Server(Event::Finished(_)) = message {
                        batch.records += 1;
                    }
                    state.on_message(message);
                    batch.messages += 1;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return None,
            }
        }
        Some(batch)
    }

    /// Copy into `state` what the server shares outside the channel (see [`SharedCounts`],
    /// [`LostIds`] and `not_shown`): true when any of it changed.
    fn sync_counters(&self, state: &mut State) -> bool {
        let mut changed = false;
        let lost = self.lost.take();
        if !lost.is_empty() {
            state.lost(&lost);
            changed = true;
        }
        let connections = self.connections.load();
        if connections != state.connections {
            state.connections = connections;
            changed = true;
        }
        let not_shown = self.not_shown.load(Ordering::Relaxed);
        if not_shown != state.not_shown {
            state.fell_behind(not_shown);
            changed = true;
        }
        changed
    }

    /// Send the records `state` no longer shows back to the server, whose thread made them and
    /// frees them. A send fails only when the server is gone, and then nobody needs them.
    fn give_back_spent(&self, state: &mut State) {
        if !state.spent.is_empty() {
            let _ = self.spent.send(std::mem::take(&mut state.spent));
        }
    }
}

/// The server was asked to stop (SIGTERM, or Ctrl-C from another terminal). If it sleeps at
/// the step gate, only opening the gate lets it see the stop and leave; the log says why.
fn let_the_server_stop(gate: &StepGate, state: &mut State) {
    gate.release();
    state.note(None, "server", "stopping: asked to by a signal".into());
}

/// What the terminal reported while the loop waited.
enum Input {
    /// Nothing within the wait, or nothing that means anything here.
    Nothing,
    /// The terminal changed size: draw again, for the new size.
    Resized,
    /// A key or a click that means a command.
    Command(keys::Command),
}

/// Wait up to `wait` for the terminal to report something, and say what it means. `typing`:
/// the filter line is open, where letters are text rather than commands.
fn wait_for_input(wait: Duration, typing: bool) -> io::Result<Input> {
    if !event::poll(wait)? {
        return Ok(Input::Nothing);
    }
    let command = match event::read()? {
        event::Event::Key(key) => keys::command(key, typing),
        event::Event::Mouse(mouse) => keys::mouse_command(mouse),
        event::Event::Resize(..) => return Ok(Input::Resized),
        _ => None,
    };
    Ok(command.map_or(Input::Nothing, Input::Command))
}

/// Act on a command: `state` takes it in, and says what else it asks for (the step gate, an
/// export). Break: the class quit.
fn obey(state: &mut State, gate: &StepGate, command: keys::Command) -> ControlFlow<()> {
    match state.on_command(command) {
        state::Action::None => {}
        state::Action::Quit => return ControlFlow::Break(()),
        state::Action::Advance => gate.advance(),
        state::Action::RunRest(id) => gate.run_through(id),
        state::Action::SetStepping(on) => gate.set_stepping(on),
        state::Action::Export(id) => export_selected(state, id),
    }
    ControlFlow::Continue(())
}

/// The inspector's loop. Each turn: notice a stop signal, drain the server's messages into
/// the state, sync the counters the server shares, draw when due (see [`Pacing`]), then wait
/// a little for a key and act on it. It ends when the class quits, when the server is gone,
/// or when `quit` is raised (the server stopped).
fn run(
    mut guard: terminal::TerminalGuard,
    mut state: State,
    link: InspectorLink,
    quit: &AtomicBool,
    stop: &StopHandle,
) -> io::Result<()> {
    let mut pacing = Pacing::new(Instant::now());
    let mut stopping = false;
    loop {
        if quit.load(Ordering::SeqCst) {
            return Ok(());
        }
        if !stopping && stop.is_raised() {
            stopping = true;
            let_the_server_stop(&link.gate, &mut state);
            pacing.changed();
        }

        state.now = Instant::now();
        let Some(batch) = link.drain_into(&mut state) else {
            return Ok(());
        };
        pacing.took_in(&batch);
        if link.sync_counters(&mut state) {
            pacing.changed();
        }
        link.give_back_spent(&mut state);

        if state.under_way() {
            pacing.exchange_under_way(Instant::now());
        }
        pacing.measure_rate(state.now);
        if pacing.due(Instant::now()) {
            let drawn = guard.terminal.draw(|frame| ui::render(&state, frame))?;
            state.screen = drawn.area;
            pacing.drawn(Instant::now());
        }

        match wait_for_input(batch.wait(), state.typing.is_some())? {
            Input::Nothing => {}
            Input::Resized => pacing.changed(),
            Input::Command(command) => {
                pacing.key_pressed();
                if obey(&mut state, &link.gate, command).is_break() {
                    return Ok(());
                }
            }
        }
    }
}

/// `x`: write the files, and say where in the log view.
fn export_selected(state: &mut State, id: u64) {
    let Some(entry) = state.selected_entry() else {
        return;
    };
    let note = match export::export(&entry.exchange, state.info.address) {
        Ok(out) => out.note(),
        Err(e) => format!("export failed: {e}"),
    };
    state.note(Some(id), "inspector", note);
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod snapshot_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::RecvTimeoutError;

    /// Long enough for any machine to do a few thousand channel sends; a server that waited on
    /// a full channel would wait for ever instead.
    const NO_WAIT: Duration = Duration::from_secs(10);

    fn accepted(id: u64) -> Event {
        Event::Accepted {
            id,
            client: "127.0.0.1:5000".parse().expect("a valid address"),
            at: chrono::Local::now(),
            connection: crate::exchange::OnConnection::default(),
        }
    }

    fn record(id: u64) -> Event {
        let client = "127.0.0.1:5000".parse().expect("a valid address");
        Event::Finished(Box::new(Exchange::new(id, client)))
    }

    /// Run `serve` on a thread of its own, as the server would, and fail (rather than hang)
    /// if it does not return within [`NO_WAIT`].
    fn returns_at_once<T: Send + 'static>(serve: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(serve());
        });
        match finished.recv_timeout(NO_WAIT) {
            Ok(value) => value,
            Err(RecvTimeoutError::Timeout) => panic!("the server waited on the inspector"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server's thread panicked"),
        }
    }

    /// Nobody drains the channel (an inspector starved of CPU): the server goes on at once,
    /// drops what does not fit, and counts the records it dropped; the app's live output is
    /// dropped too, without waiting.
    #[test]
    fn the_server_never_waits_on_a_full_channel_and_counts_the_records_it_dropped() {
        let (mut observer, link) = channel(false);
        const OVER: u64 = 1_000;
        let observer = returns_at_once(move || {
            for id in 1..=(CAPACITY as u64 + OVER) {
                observer.on_event(record(id));
            }
            observer.on_event(accepted(CAPACITY as u64 + OVER + 1));
            let mut live = observer.live_output();
            live(&OutputLine {
                stream: "stdout",
                text: "hello".into(),
            });
            observer
        });
        assert_eq!(link.not_shown.load(Ordering::Relaxed), OVER);
        let lost = link.lost.take();
        let expected: Vec<u64> = (CAPACITY as u64 + 1..=CAPACITY as u64 + OVER).collect();
        assert_eq!(lost, expected, "the server says which records it dropped");
        let first = link.from_server.try_recv();
        assert!(
            matches!(first, Ok(Message::Server(Event::Finished(ref ex))) if ex.id == 1),
            "the first records are kept, in order: {first:?}"
        );
        assert_eq!(
            link.from_server.try_iter().count(),
            CAPACITY - 1,
            "the channel holds no more than its capacity"
        );
        drop(observer);
    }

    /// Step mode on a full channel: the word that the server waits at the gate is not dropped
    /// (the class could never let it go on), it waits for room; Space then lets it through.
    #[test]
    fn the_pause_is_never_dropped_even_when_the_channel_is_full() {
        let (mut observer, link) = channel(true);
        let id = 1;
        let server = std::thread::spawn(move || {
            observer.on_event(accepted(id));
            for _ in 0..CAPACITY {
                observer.on_event(Event::Output(OutputLine {
                    stream: "server",
                    text: "filler".into(),
                }));
            }
            observer.on_event(Event::PhaseStarted {
                id,
                phase: Phase::ParseRequest,
            });
        });
        let paused = loop {
            match link.from_server.recv_timeout(NO_WAIT) {
                Ok(Message::Paused { id, phase }) => break (id, phase),
                Ok(_) => {}
                Err(e) => panic!("no pause came: {e:?}"),
            }
        };
        assert_eq!(paused, (id, Phase::ParseRequest));
        while !link.gate.is_waiting() {
            std::thread::sleep(Duration::from_millis(1));
        }
        link.gate.advance();
        server.join().expect("the server's thread panicked");
    }

    /// A batch of `records` finished exchanges (and nothing else).
    fn records(records: u32) -> Batch {
        Batch {
            messages: records as usize,
            records,
        }
    }

    /// Longer than an ordinary frame, shorter than a busy one.
    const BETWEEN_FRAMES: Duration = Duration::from_millis(50);

    #[test]
    fn news_draws_once_a_frame_and_no_news_draws_nothing() {
        let start = Instant::now();
        let mut pacing = Pacing::new(start);
        assert!(pacing.due(start), "the first turn draws");
        pacing.drawn(start);
        pacing.took_in(&records(0));
        assert!(!pacing.due(start + FRAME), "nothing changed");
        pacing.took_in(&records(1));
        assert!(
            !pacing.due(start + FRAME / 2),
            "not before a frame has passed"
        );
        assert!(pacing.due(start + FRAME));
    }

    #[test]
    fn a_busy_second_draws_less_often_but_a_key_is_answered_at_once() {
        let start = Instant::now();
        let mut pacing = Pacing::new(start);
        pacing.took_in(&records(BUSY_RATE + 1));
        pacing.measure_rate(start + RATE_WINDOW);
        let drawn = start + RATE_WINDOW;
        pacing.drawn(drawn);
        pacing.took_in(&records(1));
        assert!(
            !pacing.due(drawn + BETWEEN_FRAMES),
            "busy: a frame is longer"
        );
        assert!(pacing.due(drawn + BUSY_FRAME));
        pacing.key_pressed();
        assert!(
            pacing.due(drawn + BETWEEN_FRAMES),
            "a key: an ordinary frame"
        );
        pacing.drawn(drawn + BETWEEN_FRAMES);
        pacing.measure_rate(drawn + RATE_WINDOW);
        pacing.took_in(&records(1));
        let calm = drawn + BETWEEN_FRAMES + FRAME;
        assert!(
            pacing.due(calm),
            "a calm second later, ordinary frames again"
        );
    }

    #[test]
    fn an_exchange_under_way_is_drawn_again_without_news() {
        let start = Instant::now();
        let mut pacing = Pacing::new(start);
        pacing.drawn(start);
        pacing.exchange_under_way(start + LIVE_TICK / 2);
        assert!(
            !pacing.due(start + LIVE_TICK / 2),
            "its clock has hardly moved"
        );
        pacing.exchange_under_way(start + LIVE_TICK);
        assert!(pacing.due(start + LIVE_TICK));
    }

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
