//! # wsgiscope: a WSGI server for learning
//!
//! wsgiscope runs any Python WSGI application (PEP 3333) and shows what a WSGI server does with
//! each request: the raw bytes, the environ built from them, the `start_response` call, and the
//! bytes sent back. It is a teaching server, single-threaded on purpose (one request at a time
//! reaches the app), and follows the classic "Let's Build A Web Server" tutorial's `WSGIServer`
//! class method by method.
//!
//! ## Reading map
//!
//! Read the modules in this order; each one's doc explains its idea before its code.
//!
//! 1. [`server`]: start here. `WSGIServer` with the tutorial's methods, in the tutorial's order:
//!    `new`, `serve_forever`, `handle_one_request`, `parse_request`, `get_environ`,
//!    `start_response`, `finish_response`. Its module doc shows what the event loop adds to the
//!    tutorial's loop: one thread still, the app still called for one request at a time, but
//!    no client can stall the others while it is slow to send its request.
//! 2. [`connection`]: one client's connection as the loop sees it: its buffer, how far the
//!    parser got, its deadlines, the lingering close; and the writer that sends a response.
//! 3. [`wait`]: how one thread waits for many sockets and for Ctrl-C at once (`poll`), and why
//!    level-triggered; the stop signal.
//! 4. [`request`]: how bytes become a request: the request line, headers, and the body framing
//!    rules of RFC 9112 (Content-Length, chunked), and why the server is strict about them.
//! 5. [`environ`]: how a request becomes the environ dict, key by key, and PEP 3333's
//!    "bytes as latin-1 str" rule; `wsgi.input`, the body as a file.
//! 6. [`start_response`]: the callback the app calls with its status and headers, and the
//!    rules it checks (as the standard library's wsgiref does).
//! 7. [`result`]: iterating what the app returned, and every way that can go wrong.
//! 8. [`response`]: how status, headers and body chunks become bytes on the wire, and why the
//!    headers wait for the first body chunk.
//! 9. [`python`]: setting up the interpreter (embedded, or the one running the package),
//!    finding the app, catching its `print()`, letting go of the GIL while the server waits.
//! 10. [`exchange`]: the record every phase writes into, and the events a live view receives;
//!     [`record`], its JSON form, one typed struct that `--log json` prints and the tests read.
//! 11. [`checks`]: the catalogue of PEP 3333 and HTTP rules an app can break, each with an
//!     explanation, a fix and its reference, and the pure checks of a status, a header, a head.
//! 12. [`log`]: the headless views of that record: access log, `--trace`, `--log json`
//!     (with [`clock`], the texts that change once a second).
//! 13. [`inspector`]: the live view of that record: a terminal screen on its own thread, fed
//!     by a channel, that shows each exchange as it happens and can pause the server before
//!     each phase (step mode).
//! 14. [`lessons`]: the course in `lessons/`, read as data: each lesson's app, its sections
//!     (the inspector's lesson panel) and its request/response transcripts, which the tests
//!     replay so that no lesson drifts from the code.
//!
//! 15. [`telnet`]: the small client the course types requests into, where telnet is missing.
//!
//! 16. [`cli`]: the command line, which wires these together: the one function that both the
//!     `wsgiscope` binary (`src/main.rs`) and the Python package's extension module (`pyext/`)
//!     call.

// Unsafe code only where a system call or the interpreter's C API needs it, each allowed by
// name where it is, each block with a SAFETY comment: the poll loop and the stop signal
// (`wait`), the terminal's crash handler (`inspector::terminal`), the open-file limit
// (`server::connection_limit`) and the GIL check (`python::without_gil`).
#![deny(unsafe_code)]
// The docs are a guide to the whole source, private items included (`cargo doc
// --document-private-items` renders every one), so they link to private items freely.
#![allow(rustdoc::private_intra_doc_links)]

pub mod checks;
pub mod cli;
pub mod clock;
pub mod connection;
pub mod environ;
pub mod exchange;
pub mod inspector;
pub mod lessons;
pub mod log;
pub mod python;
pub mod record;
pub mod request;
pub mod response;
pub mod result;
pub mod server;
pub mod start_response;
pub mod telnet;
pub mod wait;
