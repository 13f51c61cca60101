//! The `wsgiscope` binary, the cargo route: `cargo run --release -- apps/hello.py`.
//!
//! It embeds the libpython it was built against (pyo3's `auto-initialize`, the `embed`
//! feature) and hands the command line to [`wsgiscope::cli::main`], which the Python package
//! calls too.

use std::process::ExitCode;

use wsgiscope::cli::{self, Host};

/// The memory allocator: mimalloc instead of the C library's malloc, a measured choice. With
/// the inspector open, 5,000 records stay alive and the oldest is freed as each new one comes;
/// under that pattern glibc's malloc spent a third of the server's core consolidating and
/// unlinking free chunks (`perf`; hello app under `bench/run.sh`'s wrk load: 36k requests a
/// second with the inspector, 46k with mimalloc). Headless, the two are as fast (52-54k).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(cli::main(std::env::args_os().collect(), &Host::Binary))
}
