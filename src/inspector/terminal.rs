//! Taking the terminal over, and giving it back on every way out.
//!
//! A full-screen program changes the terminal: raw mode (keys arrive one by one, unechoed, and
//! Ctrl-C is a key, not a signal), the alternate screen, mouse reporting. If the program ends
//! without undoing that, the shell behind it is unusable until `reset`. So the way back is
//! guarded three times:
//!
//! 1. [`TerminalGuard`]'s `Drop` restores it: a normal return, `q`, an error with `?`, and a
//!    Rust panic that unwinds all pass through it (ratatui's panic hook restores it too,
//!    before the panic message is printed, so that message is readable).
//! 2. A crash that does not unwind (the embedded Python crashing the process with SIGSEGV or
//!    SIGABRT, say from a C extension, or overflowing its stack) runs no Drop: [`enter`]
//!    installs signal handlers that write the restoring escape sequences and put back the saved
//!    terminal settings, then let the signal kill the process as it would have. They run on
//!    the alternate signal stack, so a stack overflow, which leaves no room on the stack
//!    itself, is handled too.
//!    An app that calls `os._exit()` ends the process without unwinding too; while the
//!    inspector owns the terminal, `os._exit` is wrapped to call [`emergency_restore`] first.
//! 3. The inspector's thread, whatever ends it, releases the step gate and stops the server
//!    (see `mod.rs`), so the process does not linger without a screen.

#![allow(unsafe_code)] // termios and signal handlers are C calls: each block says why.

use std::io::{self, Stdout, stdout};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// The terminal settings before raw mode, for the crash handler.
static SAVED: OnceLock<libc::termios> = OnceLock::new();

/// The inspector holds the terminal now (between [`enter`] and [`restore`]).
static TAKEN: AtomicBool = AtomicBool::new(false);

/// What the crash handler writes: mouse reporting off (every mode crossterm turns on), the
/// cursor shown, the alternate screen left.
const RESET_SEQUENCE: &[u8] =
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?25h\x1b[?1049l";

/// The signals of a crash (no unwinding, no Drop).
const CRASH_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGABRT,
    libc::SIGFPE,
    libc::SIGILL,
];

/// Give the terminal back without any help from the rest of the program: write the restoring
/// escape sequences and put back the settings saved before raw mode. Only async-signal-safe
/// calls (write, tcsetattr), so a crash handler may call it; so may a process about to end
/// without unwinding (an app calling `os._exit`, see [`crate::python::before_exit`]). Does
/// nothing when the terminal is not taken.
pub fn emergency_restore() {
    // An atomic load is async-signal-safe too.
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    // SAFETY: writing a static buffer to fd 1, and setting terminal attributes from a value
    // saved before raw mode, are both valid at any time.
    unsafe {
        libc::write(1, RESET_SEQUENCE.as_ptr().cast(), RESET_SEQUENCE.len());
        if let Some(saved) = SAVED.get() {
            libc::tcsetattr(0, libc::TCSANOW, saved);
        }
    }
}

extern "C" fn on_crash(signal: libc::c_int) {
    emergency_restore();
    // SAFETY: SA_RESETHAND put the default action back: die of the same signal.
    unsafe {
        libc::raise(signal);
    }
}

fn install_crash_handlers() {
    // SAFETY: tcgetattr fills a termios we own; sigaction installs a handler that only makes
    // async-signal-safe calls.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::isatty(0) == 1 && libc::tcgetattr(0, &mut termios) == 0 {
            let _ = SAVED.set(termios);
        }
        for signal in CRASH_SIGNALS {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_crash as *const () as libc::sighandler_t;
            // SA_ONSTACK: run on the thread's alternate signal stack (the Rust runtime gives
            // the main thread, which runs the app, one): after a stack overflow the ordinary
            // stack has no room left for the handler.
            action.sa_flags = libc::SA_RESETHAND | libc::SA_NODEFER | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// The terminal, owned by the inspector; restored when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

/// Take the terminal: raw mode, the alternate screen, mouse reporting (for the wheel).
pub fn enter() -> io::Result<TerminalGuard> {
    install_crash_handlers();
    // Also installs ratatui's panic hook, which restores the terminal before the message.
    let terminal = ratatui::try_init()?;
    TAKEN.store(true, Ordering::SeqCst);
    let guard = TerminalGuard { terminal };
    execute!(stdout(), EnableMouseCapture)?;
    Ok(guard)
}

/// Give the terminal back. Safe to call more than once.
pub fn restore() {
    TAKEN.store(false, Ordering::SeqCst);
    let out: Stdout = stdout();
    let _ = execute!(&out, DisableMouseCapture);
    ratatui::restore();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
