//! The course: the lessons in `lessons/NN-topic.md`, read as data.
//!
//! A lesson is a Markdown file a student reads, and also a script the test suite replays
//! (`tests/lessons.rs`), so that no lesson can drift from the code. Three conventions make a
//! lesson machine-readable, and a fourth sends a request through nginx; everything else in it
//! is ordinary Markdown.
//!
//! **The app.** A comment line names the app and its arguments, exactly as they would follow
//! `wsgiscope` on the command line, the app's path relative to the project folder:
//!
//! ```text
//! <!-- app: apps/hello.py --script-name /app -->
//! ```
//!
//! The first such line is the lesson's app (`wsgiscope lesson N` starts it). A lesson may hold
//! more: each applies to the transcript blocks after it, until the next. A later line may
//! also name one of the course's own Python servers, its first word a file of `lessons/code/`
//! (`<!-- app: lessons/code/stage2_wsgi.py apps/hello.py -->`): lessons 14 and 15 show what
//! the servers a student writes answer, and the test replays those transcripts against that
//! server, started with `--port 0`, instead of wsgiscope.
//!
//! **A request**, in a fenced block whose info string is `http-request`: the exact bytes to
//! send, one line per line. Each line is sent followed by `\r\n`, as telnet sends it when you
//! press Enter; so a block that ends with an empty line sends the blank line that ends the
//! headers. Options after `http-request`: `lf` sends `\n` alone (as `nc` does); `no-eol` sends
//! the block's last line without a line ending. A line that is exactly `<pause>` is not sent:
//! the sender stops there, waits until the server has answered something (at most
//! [`PAUSE`]), then sends the rest (this is how `Expect: 100-continue` is shown).
//!
//! **The response**, in the next fenced block, `http-response`: the full response expected.
//! The head lines (up to the first empty line) are compared as if they ended in `\r\n`; an
//! interim `1xx` head is followed by the next head. The body is the rest of the block, each
//! line ending in `\n` except the block's last. A body line the server ended with `\r\n`
//! matches the same line in the block (a Markdown file cannot show a lone `\r`): so a chunked
//! body is written as it reads on the wire, a size line, the data, an empty line for the CRLF
//! after it, and a second response on the same connection (pipelining, with `--keep-alive`)
//! simply follows the first one's body. Two things are ignored: the value of a `Date:` line
//! (in the head, or in the head of a response that follows), and whatever a `…` stands for
//! inside a line (a port, a length, a time).
//!
//! **Through nginx** (lesson 18, a web server in front of the WSGI server). A comment line
//! names an nginx configuration file, relative to the project folder, for the blocks after it:
//!
//! ```text
//! <!-- nginx: lessons/code/nginx.conf -->
//! ```
//!
//! and a request block with the option `nginx` (```` ```http-request nginx ````) is sent to
//! that nginx instead of to wsgiscope. The test starts wsgiscope with the app as usual, then
//! nginx in the foreground with a copy of the file in which the word `NGINX_PORT` is replaced
//! by a free port and `WSGISCOPE_PORT` by the port wsgiscope bound, and stops both after the
//! block. The file's relative paths (pid, logs, temporary files) are relative to nginx's
//! prefix (`-p`), a fresh folder each time; a student runs it the same way by hand.
//!
//! A lesson's file name gives its number (`03-environ.md` is lesson 3); its first `# `
//! heading gives its title (`# Lesson 3: environ` → `environ`).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The folder the lessons live in, relative to the project folder.
pub const LESSONS_DIR: &str = "lessons";

/// How long a `<pause>` in a request block waits for the server to answer something.
pub const PAUSE: Duration = Duration::from_secs(2);

/// The character that stands for "anything" inside a line of an expected response.
pub const ANYTHING: char = '…';

/// The word an nginx configuration of a lesson writes where nginx's own port goes.
pub const NGINX_PORT: &str = "NGINX_PORT";

/// The word an nginx configuration of a lesson writes where wsgiscope's port goes.
pub const WSGISCOPE_PORT: &str = "WSGISCOPE_PORT";

/// A lesson's nginx configuration with its two placeholders filled in.
pub fn fill_nginx_config(config: &str, nginx_port: u16, wsgiscope_port: u16) -> String {
    config
        .replace(NGINX_PORT, &nginx_port.to_string())
        .replace(WSGISCOPE_PORT, &wsgiscope_port.to_string())
}

/// What went wrong reading a lesson.
#[derive(Debug)]
pub struct LessonError(pub String);

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LessonError {}

/// One lesson file.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// From the file name: `01-http-by-hand.md` is 1.
    pub number: u32,
    /// From the first `# ` heading, without its `Lesson N:` prefix.
    pub title: String,
    pub path: PathBuf,
    /// The Markdown, as written.
    pub text: String,
}

/// A part of a lesson under one `## ` heading: a page of the inspector's lesson panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<String>,
    /// For each of `lines`, whether it is inside a code block: kept as written, where the
    /// panel re-wraps the prose around it.
    pub code: Vec<bool>,
}

/// A request block, its response block, and the app they are meant for.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The line of the request block's opening fence (1-based), for error messages.
    pub line: usize,
    /// The app comment in force: the app and its arguments.
    pub app: Vec<String>,
    /// The bytes to send, split at each `<pause>`.
    pub request: Vec<Vec<u8>>,
    /// For a block sent through nginx: the nginx configuration file in force (relative to the
    /// project folder), with its `NGINX_PORT` and `WSGISCOPE_PORT` placeholders.
    pub nginx: Option<String>,
    /// The response block's text.
    pub response: String,
}

/// Where the lessons are: `./lessons` when it exists (a student in the project folder), else
/// the course `installed` with the Python package (the folder holding its `lessons` and
/// `apps`), when wsgiscope runs as that package, else the `lessons` folder of the source tree
/// the binary was built from.
pub fn find_dir(installed: Option<&Path>) -> Option<PathBuf> {
    let here = Path::new(LESSONS_DIR);
    if here.is_dir() {
        return Some(here.to_path_buf());
    }
    let elsewhere = match installed {
        Some(course) => course.join(LESSONS_DIR),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(LESSONS_DIR),
    };
    elsewhere.is_dir().then_some(elsewhere)
}

/// Every lesson in `dir`, in order of number.
pub fn list(dir: &Path) -> Result<Vec<Lesson>, LessonError> {
    let entries = fs::read_dir(dir)
        .map_err(|e| LessonError(format!("cannot read the lessons in {}: {e}", dir.display())))?;
    let mut lessons = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") && number_of(&path).is_some() {
            lessons.push(Lesson::load(&path)?);
        }
    }
    lessons.sort_by_key(|l| l.number);
    Ok(lessons)
}

/// The number at the start of a lesson's file name, if there is one.
fn number_of(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Lesson {
    /// Read one lesson file.
    pub fn load(path: &Path) -> Result<Lesson, LessonError> {
        let number = number_of(path).ok_or_else(|| {
            LessonError(format!(
                "{} is not a lesson: its name does not start with a number",
                path.display()
            ))
        })?;
        let text = fs::read_to_string(path)
            .map_err(|e| LessonError(format!("cannot read {}: {e}", path.display())))?;
        let heading = text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .ok_or_else(|| LessonError(format!("{} has no `# ` title line", path.display())))?;
        let title = match heading.strip_prefix("Lesson ") {
            Some(rest) => rest.split_once(':').map_or(rest, |(_, t)| t).trim(),
            None => heading.trim(),
        };
        Ok(Lesson {
            number,
            title: title.to_string(),
            path: path.to_path_buf(),
            text,
        })
    }

    /// The project folder: app paths in the lesson are relative to it.
    pub fn root(&self) -> PathBuf {
        self.path
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The lesson's app and its arguments: the first `<!-- app: … -->` line.
    pub fn app(&self) -> Option<Vec<String>> {
        self.text.lines().find_map(app_comment)
    }

    /// The lesson cut at its `## ` headings, without the app comments and the title; the
    /// fences of code blocks are left out, their contents kept (and marked in `code`).
    pub fn sections(&self) -> Vec<Section> {
        let mut sections: Vec<Section> = Vec::new();
        let mut in_code = false;
        for line in self.text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code
                && (app_comment(line).is_some()
                    || nginx_comment(line).is_some()
                    || line.starts_with("# "))
            {
                continue;
            }
            if let Some(heading) = line.strip_prefix("## ").filter(|_| !in_code) {
                sections.push(Section {
                    heading: heading.trim().to_string(),
                    lines: Vec::new(),
                    code: Vec::new(),
                });
            } else if let Some(section) = sections.last_mut() {
                section.lines.push(line.to_string());
                section.code.push(in_code);
            }
        }
        for section in &mut sections {
            while section.lines.last().is_some_and(|l| l.trim().is_empty()) {
                section.lines.pop();
                section.code.pop();
            }
            while section.lines.first().is_some_and(|l| l.trim().is_empty()) {
                section.lines.remove(0);
                section.code.remove(0);
            }
        }
        sections
    }

    /// The lesson as plain text for a terminal: title, then each section.
    pub fn plain_text(&self) -> String {
        let mut out = format!("Lesson {}: {}\n", self.number, self.title);
        for section in self.sections() {
            out.push_str(&format!("\n== {} ==\n", section.heading));
            for line in section.lines {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Every request block with its response block.
    pub fn transcripts(&self) -> Result<Vec<Transcript>, LessonError> {
        let where_ = |line: usize| format!("{} line {line}", self.path.display());
        let mut app = Vec::new();
        let mut out = Vec::new();
        let mut nginx_config: Option<String> = None;
        let mut pending: Option<(usize, Vec<Vec<u8>>, Option<String>)> = None;
        let mut lines = self.text.lines().enumerate();
        while let Some((i, line)) = lines.next() {
            if let Some(args) = app_comment(line) {
                app = args;
                continue;
            }
            if let Some(config) = nginx_comment(line) {
                nginx_config = Some(config);
                continue;
            }
            let Some(info) = line.strip_prefix("```") else {
                continue;
            };
            let mut body = Vec::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                body.push(inner);
            }
            let mut words = info.split_whitespace();
            match words.next() {
                Some("http-request") => {
                    if let Some((at, _, _)) = pending {
                        return Err(LessonError(format!(
                            "{}: this request block has no http-response block after it",
                            where_(at)
                        )));
                    }
                    if app.is_empty() {
                        return Err(LessonError(format!(
                            "{}: no `<!-- app: … -->` line comes before this request block",
                            where_(i + 1)
                        )));
                    }
                    let options: Vec<&str> = words.collect();
                    let nginx = if options.contains(&"nginx") {
                        let Some(config) = nginx_config.clone() else {
                            return Err(LessonError(format!(
                                "{}: this request block goes through nginx, but no \
                                 `<!-- nginx: … -->` line comes before it",
                                where_(i + 1)
                            )));
                        };
                        Some(config)
                    } else {
                        None
                    };
                    pending = Some((i + 1, request_bytes(&body, &options), nginx));
                }
                Some("http-response") => {
                    let Some((at, request, nginx)) = pending.take() else {
                        return Err(LessonError(format!(
                            "{}: this response block has no http-request block before it",
                            where_(i + 1)
                        )));
                    };
                    out.push(Transcript {
                        line: at,
                        app: app.clone(),
                        request,
                        nginx,
                        response: body.join("\n"),
                    });
                }
                _ => {}
            }
        }
        if let Some((at, _, _)) = pending {
            return Err(LessonError(format!(
                "{}: this request block has no http-response block after it",
                where_(at)
            )));
        }
        Ok(out)
    }
}

/// The arguments of an `<!-- app: … -->` line.
fn app_comment(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix("<!-- app:")?.strip_suffix("-->")?;
    Some(inner.split_whitespace().map(str::to_string).collect())
}

/// The configuration file of an `<!-- nginx: … -->` line.
fn nginx_comment(line: &str) -> Option<String> {
    let inner = line
        .trim()
        .strip_prefix("<!-- nginx:")?
        .strip_suffix("-->")?;
    Some(inner.trim().to_string())
}

/// The bytes a request block stands for, split at each `<pause>` line.
fn request_bytes(lines: &[&str], options: &[&str]) -> Vec<Vec<u8>> {
    let eol: &[u8] = if options.contains(&"lf") {
        b"\n"
    } else {
        b"\r\n"
    };
    let no_eol = options.contains(&"no-eol");
    let mut parts = vec![Vec::new()];
    for (i, line) in lines.iter().enumerate() {
        if *line == "<pause>" {
            parts.push(Vec::new());
            continue;
        }
        // A part always exists: `parts` starts with one and only grows.
        let part = parts.last_mut().expect("at least one part");
        part.extend_from_slice(line.as_bytes());
        if !(no_eol && i + 1 == lines.len()) {
            part.extend_from_slice(eol);
        }
    }
    parts
}

/// Whether `actual` (the bytes the server sent) is the response `expected` (a response
/// block's text) describes; if not, a message naming the first difference.
pub fn compare_response(expected: &str, actual: &[u8]) -> Result<(), String> {
    let actual = String::from_utf8_lossy(actual);
    let mut expected_rest: &str = expected;
    let mut actual_rest: &str = &actual;
    loop {
        let (head, body) = expected_rest
            .split_once("\n\n")
            .map_or((expected_rest.trim_end_matches('\n'), ""), |(h, b)| (h, b));
        let (got_head, got_body) = actual_rest.split_once("\r\n\r\n").ok_or_else(|| {
            format!("the response has no complete head (no empty line); it is:\n{actual}")
        })?;
        let want: Vec<&str> = head.lines().collect();
        let got: Vec<&str> = got_head.split("\r\n").collect();
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            let date = w.starts_with("Date:") && g.starts_with("Date:");
            if !date && !line_matches(w, g) {
                return Err(format!(
                    "head line {}: expected {w:?}, got {g:?}; the response is:\n{actual}",
                    i + 1
                ));
            }
        }
        if want.len() != got.len() {
            return Err(format!(
                "the head has {} lines, the lesson expects {}; the response is:\n{actual}",
                got.len(),
                want.len()
            ));
        }
        expected_rest = body;
        actual_rest = got_body;
        // An interim response (100 Continue) is followed by the real one.
        if !got.first().is_some_and(|l| l.starts_with("HTTP/1.1 1")) {
            break;
        }
    }
    let want: Vec<&str> = expected_rest.split('\n').collect();
    let got: Vec<&str> = actual_rest.split('\n').collect();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        // A line ended with CRLF (a chunk-size line, the CRLF after a chunk's data, the head
        // of a pipelined response) reads in the lesson as a line: the block cannot hold a \r.
        let g = g.strip_suffix('\r').unwrap_or(g);
        let date = w.starts_with("Date:") && g.starts_with("Date:");
        if !date && !line_matches(w, g) {
            return Err(format!(
                "body line {}: expected {w:?}, got {g:?}; the response is:\n{actual}",
                i + 1
            ));
        }
    }
    if want.len() != got.len() {
        return Err(format!(
            "the body has {} lines, the lesson expects {}; the response is:\n{actual}",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

/// Whether a line matches a pattern in which each `…` stands for any run of characters.
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let mut pieces = pattern.split(ANYTHING);
    // `split` always yields at least one piece.
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ellipsis_stands_for_any_run_of_characters() {
        assert!(line_matches("Content-Length: …", "Content-Length: 1234"));
        assert!(line_matches("SERVER_PORT = '…'", "SERVER_PORT = '40123'"));
        assert!(line_matches("a…b…c", "a123b456c"));
        assert!(!line_matches("a…b", "a123c"));
        assert!(line_matches("exact", "exact"));
        assert!(!line_matches("exact", "exactly"));
    }

    #[test]
    fn request_lines_end_in_crlf_unless_told_otherwise() {
        assert_eq!(
            request_bytes(&["GET / HTTP/1.1", ""], &[]),
            vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()]
        );
        assert_eq!(
            request_bytes(&["GET / HTTP/1.1", ""], &["lf"]),
            vec![b"GET / HTTP/1.1\n\n".to_vec()]
        );
        assert_eq!(
            request_bytes(&["POST / HTTP/1.1", "", "<pause>", "abc"], &["no-eol"]),
            vec![b"POST / HTTP/1.1\r\n\r\n".to_vec(), b"abc".to_vec()]
        );
    }

    /// A lesson in memory, for the tests of the conventions.
    fn lesson(text: &str) -> Lesson {
        Lesson {
            number: 18,
            title: "test".into(),
            path: PathBuf::from("lessons/18-test.md"),
            text: text.into(),
        }
    }

    #[test]
    fn a_block_marked_nginx_goes_through_the_config_in_force() {
        let text = "<!-- app: apps/hello.py -->\n# Lesson 18: x\n\
                    ```http-request\nGET / HTTP/1.1\n\n```\n```http-response\nHTTP/1.1 200 OK\n```\n\
                    <!-- nginx: lessons/code/nginx.conf -->\n\
                    ```http-request nginx\nGET / HTTP/1.1\n\n```\n```http-response\nHTTP/1.1 200 OK\n```\n";
        let transcripts = lesson(text).transcripts().expect("the lesson reads");
        assert_eq!(transcripts[0].nginx, None);
        assert_eq!(
            transcripts[1].nginx.as_deref(),
            Some("lessons/code/nginx.conf")
        );
        // The comment is not part of the text a student reads in the panel.
        assert!(!lesson(text).plain_text().contains("nginx:"));
    }

    #[test]
    fn a_block_marked_nginx_without_a_config_is_an_error() {
        let text = "<!-- app: apps/hello.py -->\n# Lesson 18: x\n\
                    ```http-request nginx\nGET / HTTP/1.1\n\n```\n```http-response\nHTTP/1.1 200 OK\n```\n";
        let error = lesson(text).transcripts().expect_err("no nginx line");
        assert!(error.0.contains("no `<!-- nginx: … -->` line"), "{error}");
    }

    #[test]
    fn the_nginx_placeholders_become_the_ports() {
        assert_eq!(
            fill_nginx_config(
                "listen NGINX_PORT; proxy_pass http://h:WSGISCOPE_PORT;",
                81,
                82
            ),
            "listen 81; proxy_pass http://h:82;"
        );
    }

    #[test]
    fn a_response_matches_with_date_and_ellipses_ignored() {
        let expected = "HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nDate: Wed, 1 Jan\nContent-Length: …\n\nhi\nthere";
        let actual =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nDate: Thu, 2 Feb\r\nContent-Length: 8\r\n\r\nhi\nthere";
        assert_eq!(compare_response(expected, actual), Ok(()));
        let wrong = b"HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 8\r\n\r\nhi\nthere";
        assert!(compare_response(expected, wrong).is_err());
    }

    #[test]
    fn a_chunked_body_and_a_pipelined_response_read_as_lines() {
        let expected = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nhi\n\n0\n\n\
                        HTTP/1.1 204 No Content\nDate: Wed, 1 Jan\n\n";
        let actual = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhi\n\r\n0\r\n\r\n\
                       HTTP/1.1 204 No Content\r\nDate: Thu, 2 Feb\r\n\r\n";
        assert_eq!(compare_response(expected, actual), Ok(()));
        // The chunk's size is still compared, and so is every byte of its data.
        let wrong_size =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhi\n\r\n0\r\n\r\n\
                           HTTP/1.1 204 No Content\r\nDate: Thu, 2 Feb\r\n\r\n";
        assert!(compare_response(expected, wrong_size).is_err());
        let no_last_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhi\n\r\n";
        assert!(compare_response(expected, no_last_chunk).is_err());
    }
}
