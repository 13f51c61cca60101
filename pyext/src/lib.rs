//! `wsgiscope._wsgiscope`, the extension module of the `wsgiscope` Python package.
//!
//! The cargo route builds a program that carries a Python inside it (the binary embeds
//! libpython). The package turns that around: a Python that is already running (the one in the
//! student's venv, where Flask is installed) imports this module, and the server runs inside
//! that Python's process. So the app imports what that interpreter and its venv have, and there
//! is no libpython to find: the module links to none, and uses the interpreter that loaded it.
//!
//! The module is one function, [`main`](_wsgiscope::main), the command line of the binary:
//! `wsgiscope::cli::main` with the package's [`Host`]. The package's Python side
//! (`python/wsgiscope/__init__.py`) calls it with `sys.argv` and the folder of the installed
//! course, after handing Ctrl-C to the server.
//!
//! Built with the stable ABI of CPython 3.9 (`abi3-py39`): one wheel per platform serves every
//! CPython from 3.9 on.

use pyo3::prelude::*;

/// The binary's allocator, for the same measured reason (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The `wsgiscope._wsgiscope` module.
#[pymodule]
mod _wsgiscope {
    use std::ffi::OsString;
    use std::path::PathBuf;

    use pyo3::prelude::*;
    use wsgiscope::cli::{self, Host};

    /// Run the wsgiscope command line with `argv` (the program's name first, as in
    /// `sys.argv`); the lessons and their apps are in `course`. Returns the exit code.
    ///
    /// The GIL is let go for the whole run: the server takes it only while it builds an
    /// environ and runs the app, as in the binary, so the app's own threads run meanwhile.
    #[pyfunction]
    fn main(py: Python<'_>, argv: Vec<OsString>, course: PathBuf) -> u8 {
        super::give_this_thread_a_signal_stack();
        let host = Host::Package { course };
        // A panic is a bug in wsgiscope, and the panic hook `cli::main` sets has said so in
        // one line; the Python then ends with the binary's exit code for it, not with pyo3's
        // PanicException and a traceback on top.
        py.detach(move || std::panic::catch_unwind(|| cli::main(argv, &host)).unwrap_or(PANIC_EXIT))
    }

    /// The exit code of a Rust program that panics.
    const PANIC_EXIT: u8 = 101;
}

/// The size of the alternate signal stack: room for the inspector's crash handler (a write
/// and a `tcsetattr`), with the margin the Rust runtime gives its own (which is 8 KiB or more).
const SIGNAL_STACK_BYTES: usize = 64 * 1024;

/// Give this thread an alternate signal stack, unless it has one.
///
/// The app runs on this thread, Python's main thread. When the app overflows the C stack, the
/// inspector's crash handler (`inspector::terminal`) must still run to give the terminal back,
/// and it can only run on a stack of its own. A Rust binary's main thread gets one from the
/// Rust runtime at start-up; Python's main thread has none, unless faulthandler made one.
/// The stack is never freed: a crash handler may need it until the process ends.
#[allow(unsafe_code)] // sigaltstack(2), which has no safe wrapper
fn give_this_thread_a_signal_stack() {
    // SAFETY: the first call only reads the thread's current setting into a stack_t we own;
    // the second hands the kernel a buffer that is leaked, so it stays valid for as long as
    // the process lives.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut current) != 0
            || current.ss_flags & libc::SS_DISABLE == 0
        {
            return;
        }
        let stack: &'static mut [u8] = Box::leak(vec![0u8; SIGNAL_STACK_BYTES].into_boxed_slice());
        let ours = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: SIGNAL_STACK_BYTES,
        };
        libc::sigaltstack(&ours, std::ptr::null_mut());
    }
}
