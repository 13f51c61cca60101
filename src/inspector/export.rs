//! `x`: take one exchange out of the inspector, to replay it or show it elsewhere.
//!
//! The files go into one folder, [`EXPORT_DIR`] in the current folder (or in the system's temp
//! folder when the current one is not writable); the log view says where. Per exchange, named
//! after its id:
//! - `exchange-N.request`: the request bytes exactly as received. `wsgiscope telnet HOST PORT
//!   < exchange-N.request` sends them again, byte for byte: the same line ends, the same
//!   mistakes.
//! - `exchange-N.body`: the request body as it was sent, when there was one, for curl's
//!   `--data-binary @file`.
//! - `exchange-N.txt`: the transcript, the same text as `--trace` prints, and the commands that
//!   replay the request.
//!
//! A curl command is offered only for a request the server parsed and served: curl builds its
//! own request from a URL and flags, so for a request the server refused (a bad line end, a
//! malformed header) it would send a different, valid one, and the point of replaying it is
//! lost. The byte-for-byte replay works for every request.
//!
//! The header lines and the body come from where the parser found them (the record's spans),
//! not from a second look at the bytes, which could take lines of a body for headers.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::exchange::Exchange;
use crate::log::trace_text;

/// The folder the files go into (also in `.gitignore`, so exports in a checkout stay out of
/// `git status`).
pub const EXPORT_DIR: &str = "wsgiscope-exports";

/// Headers curl sets by itself (or that describe the connection, not the request).
const LEFT_TO_CURL: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "expect",
];

/// Where the files went, and the commands that replay the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub transcript: PathBuf,
    pub request: PathBuf,
    /// Sends the saved bytes exactly: `wsgiscope telnet HOST PORT < file`.
    pub replay: String,
    /// A curl command that makes the same request, for a request that was served.
    pub curl: Option<String>,
}

impl Exported {
    /// What the log view says after an export: where the files are, and how to replay.
    pub fn note(&self) -> String {
        let curl = match &self.curl {
            Some(curl) => format!("; the same request with curl: {curl}"),
            None => "; no curl command: the server did not serve this request".to_string(),
        };
        format!(
            "exported to {}; the same bytes again: {}{curl}",
            self.transcript.display(),
            self.replay
        )
    }
}

/// Quote for a POSIX shell: inside single quotes everything is literal except `'` itself.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The request was parsed and handed to the app (a refused or unfinished one never was).
fn was_served(ex: &Exchange) -> bool {
    ex.spans.is_some() && !ex.environ.is_empty()
}

/// A curl command that sends the same request (minus what curl decides itself), for a request
/// that was parsed (None otherwise).
pub fn curl_command(ex: &Exchange, server: SocketAddr, body_file: Option<&Path>) -> Option<String> {
    let spans = ex.spans.as_ref()?;
    let raw = &ex.request_raw.stored;
    let mut cmd = String::from("curl -i");
    let method = ex.method.as_deref().unwrap_or("GET");
    if method == "HEAD" {
        cmd.push_str(" --head");
    } else if method != "GET" || body_file.is_some() {
        cmd.push_str(&format!(" -X {method}"));
    }
    let target = ex.target.as_deref().unwrap_or("/");
    let url = if target.starts_with('/') {
        format!("http://{server}{target}")
    } else {
        target.to_string()
    };
    cmd.push_str(&format!(" {}", shell_quote(&url)));
    for field in &spans.fields {
        let (Some(name), Some(value)) = (raw.get(field.name.clone()), raw.get(field.value.clone()))
        else {
            continue;
        };
        let name = String::from_utf8_lossy(name);
        if LEFT_TO_CURL.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        // A header the server dropped (an '_' in its name) is still sent, as the client did.
        let value = String::from_utf8_lossy(value);
        cmd.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if let Some(file) = body_file {
        cmd.push_str(&format!(
            " --data-binary @{}",
            shell_quote(&file.display().to_string())
        ));
    }
    Some(cmd)
}

/// The request body as it was sent (still chunked, if it was), as far as the record kept it.
fn body_of(ex: &Exchange) -> &[u8] {
    let raw = &ex.request_raw.stored;
    match ex.spans.as_ref().and_then(|s| s.body.clone()) {
        Some(body) => &raw[body.start.min(raw.len())..body.end.min(raw.len())],
        None => &[],
    }
}

/// Write the files for `ex` into `dir` (made if missing).
pub fn export_to(ex: &Exchange, server: SocketAddr, dir: &Path) -> io::Result<Exported> {
    std::fs::create_dir_all(dir)?;
    let name = |ext: &str| dir.join(format!("exchange-{}.{ext}", ex.id));
    let request = name("request");
    std::fs::write(&request, &ex.request_raw.stored)?;
    let body = body_of(ex);
    let body_file = if body.is_empty() {
        None
    } else {
        let file = name("body");
        std::fs::write(&file, body)?;
        Some(file)
    };
    let replay = format!(
        "wsgiscope telnet {} {} < {}",
        server.ip(),
        server.port(),
        shell_quote(&request.display().to_string())
    );
    let curl = if was_served(ex) {
        curl_command(ex, server, body_file.as_deref())
    } else {
        None
    };
    let mut text = trace_text(ex);
    text.push_str(&format!("--- the same bytes again\n    {replay}\n"));
    match &curl {
        Some(curl) => text.push_str(&format!("--- the same request with curl\n    {curl}\n")),
        None => text.push_str(
            "--- no curl command: the server did not serve this request, and curl would send \
             a different, valid one\n",
        ),
    }
    let transcript = name("txt");
    std::fs::write(&transcript, text)?;
    Ok(Exported {
        transcript,
        request,
        replay,
        curl,
    })
}

/// Write the files into [`EXPORT_DIR`] in the current folder, or in the temp folder when that
/// fails.
pub fn export(ex: &Exchange, server: SocketAddr) -> io::Result<Exported> {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    export_to(ex, server, &here.join(EXPORT_DIR))
        .or_else(|_| export_to(ex, server, &std::env::temp_dir().join(EXPORT_DIR)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_request;

    /// An exchange for `raw`, as the server records it: the head parsed (its spans, the body's
    /// span after it) and, when `served`, an environ.
    fn exchange(raw: &[u8], served: bool) -> Exchange {
        let mut ex = Exchange::new(7, "127.0.0.1:5000".parse().expect("a valid address"));
        ex.request_raw.push(raw);
        if let Ok(Some(request)) = parse_request(raw, 1 << 20) {
            let mut spans = request.spans;
            spans.body = Some(request.head_len..raw.len());
            ex.spans = Some(spans);
            ex.method = Some(request.method);
            ex.target = Some(request.target);
        }
        if served {
            ex.environ.push(("REQUEST_METHOD".into(), "'POST'".into()));
        }
        ex
    }

    fn post() -> Exchange {
        exchange(
            b"POST /echo?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nX-Name: it's\r\n\r\n\x00\xffab",
            true,
        )
    }

    fn server() -> SocketAddr {
        "127.0.0.1:8888".parse().expect("a valid address")
    }

    #[test]
    fn the_curl_command_sends_the_same_method_target_headers_and_body() {
        let cmd = curl_command(&post(), server(), Some(Path::new("b.body")));
        assert_eq!(
            cmd.as_deref(),
            Some(
                "curl -i -X POST 'http://127.0.0.1:8888/echo?x=1' -H 'X-Name: it'\\''s' \
                 --data-binary @'b.body'"
            )
        );
    }

    /// A blank line inside a body is body: its lines never become `-H` flags.
    #[test]
    fn lines_of_the_body_are_not_headers() {
        let ex = exchange(
            b"POST / HTTP/1.1\nHost: h\nContent-Length: 12\n\nA: 1\n\nB: 2\n\n\n",
            true,
        );
        let cmd = curl_command(&ex, server(), None).expect("a parsed request");
        assert!(!cmd.contains("-H"), "{cmd}");
        assert_eq!(body_of(&ex), b"A: 1\n\nB: 2\n\n\n");
    }

    #[test]
    fn export_writes_the_raw_request_body_and_a_transcript_into_one_folder() {
        let dir = std::env::temp_dir().join(format!("wsgiscope-export-{}", std::process::id()));
        let out = export_to(&post(), server(), &dir).expect("export works");
        assert_eq!(out.request, dir.join("exchange-7.request"));
        assert_eq!(
            std::fs::read(&out.request).expect("written"),
            post().request_raw.stored
        );
        assert_eq!(
            std::fs::read(dir.join("exchange-7.body")).expect("written"),
            b"\x00\xffab"
        );
        let transcript = std::fs::read_to_string(&out.transcript).expect("written");
        let curl = out.curl.expect("a served request has a curl command");
        assert!(transcript.contains(&curl), "{transcript}");
        assert!(transcript.contains(&out.replay), "{transcript}");
        assert!(out.replay.starts_with("wsgiscope telnet 127.0.0.1 8888 < "));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// A refused request is replayed byte for byte only: curl would send a valid request.
    #[test]
    fn a_refused_request_gets_the_byte_for_byte_replay_and_no_curl() {
        let dir = std::env::temp_dir().join(format!("wsgiscope-refused-{}", std::process::id()));
        let ex = exchange(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", false);
        let out = export_to(&ex, server(), &dir).expect("export works");
        assert_eq!(out.curl, None);
        let transcript = std::fs::read_to_string(&out.transcript).expect("written");
        assert!(transcript.contains("no curl command"), "{transcript}");
        assert!(transcript.contains(&out.replay), "{transcript}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
