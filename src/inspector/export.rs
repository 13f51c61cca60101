//! `x`: take one exchange out of the inspector, to replay it or show it elsewhere.
//!
//! Three files per exchange, named after its id:
//! - `wsgiscope-exchange-N.txt`: the transcript, the same text as `--trace` prints, with a
//!   curl command at the end;
//! - `wsgiscope-exchange-N.request`: the request bytes exactly as received, to replay with
//!   `nc 127.0.0.1 8888 < wsgiscope-exchange-N.request` (byte for byte, unlike curl);
//! - `wsgiscope-exchange-N.body`: the request body, when there was one, for curl's
//!   `--data-binary @file`.
//!
//! They go into the current folder when it is writable, else into the system's temp folder;
//! the log view says where.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::exchange::Exchange;
use crate::log::trace_text;

/// Headers curl sets by itself (or that describe the connection, not the request).
const LEFT_TO_CURL: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "expect",
];

/// Where the files went, and the curl command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub transcript: PathBuf,
    pub request: PathBuf,
    pub curl: String,
}

/// Quote for a POSIX shell: inside single quotes everything is literal except `'` itself.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A curl command that sends the same request (minus what curl decides itself).
pub fn curl_command(ex: &Exchange, server: SocketAddr, body_file: Option<&Path>) -> String {
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
    // The header lines, from the raw bytes: everything after the request line up to the blank
    // line.
    let head_end = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .or_else(|| raw.windows(4).position(|w| w == b"\r\n\r\n"))
        .unwrap_or(raw.len());
    for line in raw[..head_end].split(|&b| b == b'\n').skip(1) {
        let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if LEFT_TO_CURL.contains(&name.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        // A header the server dropped (an '_' in its name) is still sent, as the client did.
        cmd.push_str(&format!(
            " -H {}",
            shell_quote(&format!("{}: {}", name.trim(), value.trim()))
        ));
    }
    if let Some(file) = body_file {
        cmd.push_str(&format!(
            " --data-binary @{}",
            shell_quote(&file.display().to_string())
        ));
    }
    cmd
}

/// The request body: the bytes after the blank line (as received: still chunked, if it was).
fn body_of(raw: &[u8]) -> &[u8] {
    for (i, w) in raw.windows(2).enumerate() {
        if w == b"\n\n" {
            return &raw[i + 2..];
        }
        if w == b"\n\r" && raw.get(i + 2) == Some(&b'\n') {
            return &raw[i + 3..];
        }
    }
    &[]
}

/// Write the files for `ex` into `dir`.
pub fn export_to(ex: &Exchange, server: SocketAddr, dir: &Path) -> io::Result<Exported> {
    let name = |ext: &str| dir.join(format!("wsgiscope-exchange-{}.{ext}", ex.id));
    let request = name("request");
    std::fs::write(&request, &ex.request_raw.stored)?;
    let body = body_of(&ex.request_raw.stored);
    let body_file = if body.is_empty() {
        None
    } else {
        let file = name("body");
        std::fs::write(&file, body)?;
        Some(file)
    };
    let curl = curl_command(ex, server, body_file.as_deref());
    let transcript = name("txt");
    std::fs::write(
        &transcript,
        format!(
            "{}--- the same request with curl\n    {curl}\n--- byte for byte\n    nc {} {} < {}\n",
            trace_text(ex),
            server.ip(),
            server.port(),
            request.display()
        ),
    )?;
    Ok(Exported {
        transcript,
        request,
        curl,
    })
}

/// Write the files into the current folder, or the temp folder when that fails.
pub fn export(ex: &Exchange, server: SocketAddr) -> io::Result<Exported> {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    export_to(ex, server, &here).or_else(|_| export_to(ex, server, &std::env::temp_dir()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> Exchange {
        let mut ex = Exchange::new(7, "127.0.0.1:5000".parse().expect("a valid address"));
        ex.request_raw.push(
            b"POST /echo?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nX-Name: it's\r\n\r\n\x00\xffab",
        );
        ex.method = Some("POST".into());
        ex.target = Some("/echo?x=1".into());
        ex
    }

    #[test]
    fn the_curl_command_sends_the_same_method_target_headers_and_body() {
        let server = "127.0.0.1:8888".parse().expect("a valid address");
        let cmd = curl_command(&post(), server, Some(Path::new("b.body")));
        assert_eq!(
            cmd,
            "curl -i -X POST 'http://127.0.0.1:8888/echo?x=1' -H 'X-Name: it'\\''s' \
             --data-binary @'b.body'"
        );
    }

    #[test]
    fn export_writes_the_raw_request_body_and_a_transcript() {
        let dir = std::env::temp_dir().join(format!("wsgiscope-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        let server = "127.0.0.1:8888".parse().expect("a valid address");
        let out = export_to(&post(), server, &dir).expect("export works");
        assert_eq!(
            std::fs::read(&out.request).expect("written"),
            post().request_raw.stored
        );
        assert_eq!(
            std::fs::read(dir.join("wsgiscope-exchange-7.body")).expect("written"),
            b"\x00\xffab"
        );
        let transcript = std::fs::read_to_string(&out.transcript).expect("written");
        assert!(transcript.contains(&out.curl));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
