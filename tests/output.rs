//! The app's own output: `print()`, `sys.stderr` and `environ['wsgi.errors']` never reach the
//! terminal directly (the inspector may own it); each line is kept in the record of the
//! exchange that wrote it, labelled with its stream.

mod common;

use common::*;
use wsgiscope::exchange::{MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES, MAX_WRITES};

/// The (stream, text) pairs of a record's output.
fn output(record: &Record) -> Vec<(String, String)> {
    record
        .output
        .iter()
        .map(|l| (l.stream.clone(), l.text.clone()))
        .collect()
}

/// Two requests, each tagged: each record holds exactly its own three lines, and the line
/// printed while the module was imported belongs to neither.
#[test]
fn app_output_is_attributed_to_the_exchange_that_wrote_it() {
    let server = start_server(&[&path("tests/apps/output.py")]);
    for tag in ["first", "second"] {
        let request = format!("GET /?{tag} HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_reply(&server.send(request.as_bytes()), 200, &["written"]);
        let pairs = |stream: &str, text: String| (stream.to_string(), text);
        assert_eq!(
            output(&server.next_typed()),
            [
                pairs("stdout", format!("stdout says {tag}")),
                pairs("stderr", format!("stderr says {tag}")),
                pairs("wsgi.errors", format!("wsgi.errors says {tag}")),
            ]
        );
    }
}

/// `sys.stdout`, `sys.stderr` and `wsgi.errors` answer what libraries ask a text stream before
/// writing: not closed, writable, neither readable nor seekable, and no file descriptor
/// (`io.UnsupportedOperation`, which `faulthandler.enable()` raises on and an app catches to
/// fall back to the real standard error).
#[test]
fn output_streams_answer_like_text_files_without_a_descriptor() {
    let server = start_server(&[&path("tests/apps/stream_probe.py")]);
    let streams = "closed=False writable=True readable=False seekable=False";
    assert_reply(
        &server.get("/"),
        200,
        &[
            "faulthandler fell back to sys.__stderr__",
            &format!("stdout {streams}"),
            &format!("stderr {streams}"),
            &format!("wsgi.errors {streams}"),
            "fileno raised UnsupportedOperation: wsgiscope's wsgi.errors",
        ],
    );
}

/// An app that prints 20 MB (400,000 lines) in one request: the record keeps the first 1,000 lines and counts
/// the rest exactly, its JSON line stays small, the server's memory does not follow the
/// output, and the next request is served.
#[test]
fn output_beyond_1000_lines_is_counted_not_kept() {
    let server = start_server(&[&path("tests/apps/loud.py")]);
    let before = rss_kib(server.pid());
    let (n, size) = (400_000u64, 50u64);
    let reply = server.get(&format!("/print?n={n}&size={size}"));
    assert_reply(&reply, 200, &["hello world!"]);
    let (line, record) = loop {
        let line = server.next_line();
        if let Some(record) = parse_record(&line) {
            break (line, record);
        }
    };
    assert!(line.len() < 256 * 1024, "a {} byte JSON line", line.len());
    let kept = output(&record);
    assert_eq!(kept.len(), MAX_OUTPUT_LINES);
    assert_eq!(kept[0], ("stdout".into(), format!("{:.<50}", "0000000")));
    assert_eq!(kept[999].1, format!("{:.<50}", "0000999"));
    assert_eq!(record.output_cut.lines, n - MAX_OUTPUT_LINES as u64);
    assert_eq!(
        record.output_cut.bytes,
        (n - MAX_OUTPUT_LINES as u64) * size
    );
    let after = rss_kib(server.pid());
    assert!(
        after < before + 30 * 1024,
        "RSS {before} KiB -> {after} KiB for 20 MB of output"
    );
    assert_reply(&server.get("/"), 200, &["hello world!"]);
    assert_eq!(server.next_typed().output_cut.lines, 0);
}

/// One line longer than 64 KiB: its first 64 KiB are kept, the rest counted in bytes.
#[test]
fn a_line_longer_than_64_kib_is_cut_and_counted() {
    let server = start_server(&[&path("tests/apps/loud.py")]);
    assert_reply(&server.get("/long-line?n=200000"), 200, &["hello world!"]);
    let record = server.next_typed();
    let kept = output(&record);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0, "stderr");
    assert_eq!(kept[0].1.len(), MAX_OUTPUT_BYTES);
    assert_eq!(record.output_cut.lines, 0);
    assert_eq!(record.output_cut.bytes, 200_000 - MAX_OUTPUT_BYTES as u64);
}

/// 200,000 calls of write(): the record keeps the first 1,000 sizes and counts every call;
/// the client gets every byte.
#[test]
fn write_calls_beyond_1000_are_counted_not_kept() {
    let server = start_server(&[&path("tests/apps/loud.py")]);
    let n = 200_000;
    let reply = parse_reply(&server.get(&format!("/writes?n={n}")));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, vec![b'w'; n]);
    let record = server.next_typed();
    assert_eq!(record.writes.len(), MAX_WRITES);
    assert_eq!(record.write_calls, n as u64);
    assert_eq!(record.response.body_bytes, n as u64);
    assert_reply(&server.get("/"), 200, &["hello world!"]);
}

/// The 3,000 lines printed at import belong to no exchange: the first 1,000 are passed on,
/// then one server line counts the 2,000 others. These lines are not records (`{"output":
/// …}` objects, with no struct in src/record.rs), so they are read as JSON.
#[test]
fn output_at_import_is_bounded_too() {
    let server = start_server(&[&path("tests/apps/loud.py")]);
    let lines: Vec<serde_json::Value> = (0..=MAX_OUTPUT_LINES)
        .map(|_| serde_json::from_str(&server.next_line()).unwrap())
        .collect();
    assert_eq!(lines[0]["output"]["text"], "import line 0");
    assert_eq!(lines[999]["output"]["text"], "import line 999");
    let note = &lines[MAX_OUTPUT_LINES]["output"];
    assert_eq!(note["stream"], "server");
    let text = note["text"].as_str().unwrap();
    assert!(text.contains("2000 more lines"), "{text}");
}
