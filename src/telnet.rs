//! `wsgiscope telnet`: the client the course types requests into, for machines without one.
//!
//! The lessons are built on `telnet 127.0.0.1 8888`: type a request line and headers, press
//! Enter twice, watch the response come. telnet is missing from recent macOS, from Windows by
//! default and from a fresh Debian, and `nc` is not everywhere either, so wsgiscope brings the
//! few things of telnet the course uses:
//!
//! - **Line mode.** What you type is sent a line at a time, when you press Enter, ending in
//!   CRLF as telnet sends it (`--lf`: LF only, as `nc` sends it). So the tutorial's transcript
//!   works as typed, and a student can try both line ends (RFC 9112 §2.2 lets a server accept a
//!   lone LF in the head).
//! - **Input from a pipe or a file** is sent exactly as it is, byte for byte, then the client
//!   reads the response to its end: `wsgiscope telnet < request.txt` replays a saved request.
//! - **The response is printed as it arrives**, and when the server closes the connection one
//!   line says so (telnet says "Connection closed by foreign host."). `--show-bytes` writes the
//!   carriage returns, line feeds and other control bytes visibly (`\r\n`), as the inspector
//!   does, so the framing of the response can be read.
//!
//! Simplification: real telnet also speaks the TELNET protocol's option negotiation (bytes
//! 255 and after); HTTP servers never send it, and this client does not either.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

use crate::exchange::escape_bytes;

/// How long connecting may take before giving up (a firewall that drops packets).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The defaults, as the course uses them.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_PORT: u16 = 8888;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// Typed lines end in LF only, not CRLF.
    pub lf: bool,
    /// Control bytes of the response are written visibly.
    pub show_bytes: bool,
}

/// Connect, then send what is typed (or piped) and print what comes back, until the server
/// closes. Errors are one sentence for the user: nothing listening, an unknown host.
pub fn run(options: &Options) -> Result<(), String> {
    let stream = connect(&options.host, options.port)?;
    eprintln!(
        "Connected to {}:{}. {}",
        options.host,
        options.port,
        if io::stdin().is_terminal() {
            "Type a request; each Enter sends a line. Ctrl-D ends what you send."
        } else {
            "Sending standard input, then reading the response."
        }
    );
    let reader = {
        let stream = stream
            .try_clone()
            .map_err(|e| format!("cannot use the connection: {e}"))?;
        let show = options.show_bytes;
        thread::spawn(move || print_responses(stream, show))
    };
    let sent = if io::stdin().is_terminal() {
        send_typed_lines(&stream, options.lf)
    } else {
        send_everything(&stream)
    };
    if let Err(e) = sent {
        // The server may have closed first (an error answer); what it said is printed.
        eprintln!("(sending stopped: {e})");
    }
    // Nothing more to send: say so, so a server waiting for the rest answers or closes.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = reader.join();
    Ok(())
}

/// Connect to `host:port`, or say in one sentence why not.
fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            format!("cannot connect to {host}:{port}: '{host}' is not a known host ({e})")
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    let why = match last {
        Some(e) if e.kind() == io::ErrorKind::ConnectionRefused => format!(
            "nothing is listening there. Is the server running? Start it with `wsgiscope \
             apps/hello.py`, which listens on {DEFAULT_HOST}:{DEFAULT_PORT}"
        ),
        Some(e) => e.to_string(),
        None => "the host has no address".into(),
    };
    Err(format!("cannot connect to {host}:{port}: {why}"))
}

/// Line mode: each line typed goes out when Enter is pressed, with CRLF (or LF) at its end.
fn send_typed_lines(mut stream: &TcpStream, lf: bool) -> io::Result<()> {
    let ending: &[u8] = if lf { b"\n" } else { b"\r\n" };
    let stdin = io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(());
        }
        let text = line.trim_end_matches(['\r', '\n']);
        stream.write_all(&[text.as_bytes(), ending].concat())?;
    }
}

/// Piped input: every byte as it is.
fn send_everything(mut stream: &TcpStream) -> io::Result<()> {
    io::copy(&mut io::stdin().lock(), &mut stream).map(drop)
}

/// Print what the server sends until it closes, then say so.
fn print_responses(mut stream: TcpStream, show_bytes: bool) {
    let mut out = io::stdout();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = out.flush();
                eprintln!("\nThe connection failed: {e}.");
                std::process::exit(0);
            }
        };
        let shown = if show_bytes {
            visible(&buf[..n]).into_bytes()
        } else {
            buf[..n].to_vec()
        };
        if out.write_all(&shown).and_then(|_| out.flush()).is_err() {
            break;
        }
    }
    let _ = out.flush();
    eprintln!("\nConnection closed by the server.");
    // The user may still be at the keyboard; the conversation is over all the same.
    std::process::exit(0);
}

/// Bytes with their control characters written out (`\r`, `\n`, `\xNN`), each line of the
/// wire still on a line of its own.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        out.push_str(&escape_bytes(line));
        if line.ends_with(b"\n") {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_writes_line_ends_and_keeps_one_wire_line_per_line() {
        assert_eq!(
            visible(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nhi\x01"),
            "HTTP/1.1 200 OK\\r\\n\nA: b\\r\\n\n\\r\\n\nhi\\x01"
        );
    }

    #[test]
    fn nothing_listening_is_one_clear_sentence() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = connect("127.0.0.1", port).unwrap_err();
        assert!(error.contains("nothing is listening there"), "{error}");
    }
}
