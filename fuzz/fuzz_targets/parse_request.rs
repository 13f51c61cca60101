//! `parse_request` on any bytes: it never panics, and it reads a request the same way however
//! much of it has arrived.
//!
//! The server parses again each time more bytes arrive (from telnet, one line at a time; from a
//! slow client, one byte at a time), with a `HeadScan` that remembers the lines already
//! checked. So every prefix of the input must agree with the whole input, and a scan resumed
//! over the growing prefixes must agree with a fresh parse of each:
//! - while the head is incomplete, a prefix is `Ok(None)` ("need more"), never an error and
//!   never a request;
//! - once the head is complete, a longer buffer gives the same request (the body bytes after
//!   `head_len` do not change the head);
//! - an error, once found in a prefix, stays the same error in every longer buffer;
//! - one `HeadScan` fed the prefixes in order answers each as `parse_request` does, until its
//!   first answer that is not "need more" (where the server stops feeding it).
//!
//! And the spans it hands back point at what it parsed: the bytes at the method's and the
//! target's span are the method and the target, each field's name and value are the header's,
//! and every span lies inside the head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsgiscope::request::{HeadScan, Request, RequestError, parse_request, parse_request_resuming};

/// `--max-body`'s default, 16 MiB; a second, tiny limit exercises the 413 path.
const MAX_BODIES: [u64; 2] = [16 * 1024 * 1024, 10];

/// Every prefix is checked up to this length; beyond it, a spread of prefixes (the check is
/// quadratic in the input length).
const ALL_PREFIXES_UP_TO: usize = 4096;

fuzz_target!(|data: &[u8]| {
    for max_body in MAX_BODIES {
        check(data, max_body);
    }
});

fn check(data: &[u8], max_body: u64) {
    let whole = parse_request(data, max_body);
    let step = (data.len() / ALL_PREFIXES_UP_TO).max(1);
    let mut first_error: Option<(usize, RequestError)> = None;
    let mut scan = Some(HeadScan::default());
    for n in (0..data.len()).step_by(step) {
        let prefix = parse_request(&data[..n], max_body);
        if let Some(resumed) = scan.as_mut() {
            let answer = parse_request_resuming(&data[..n], max_body, resumed);
            assert_eq!(answer, prefix, "a resumed scan of {n} bytes answers otherwise");
            if answer != Ok(None) {
                scan = None;
            }
        }
        match (&whole, &prefix) {
            (_, Err(e)) => {
                // Once wrong, always wrong, and for the same reason.
                assert_eq!(
                    whole.as_ref().err(),
                    Some(e),
                    "the first {n} bytes give an error the whole input does not"
                );
                if first_error.is_none() {
                    first_error = Some((n, e.clone()));
                }
            }
            (_, Ok(None)) => assert!(
                first_error.is_none(),
                "after an error at a shorter prefix, {n} bytes say 'need more'"
            ),
            (Ok(Some(req)), Ok(Some(got))) => {
                assert!(
                    n >= req.head_len,
                    "a request from fewer bytes than its head"
                );
                assert_eq!(req, got, "the first {n} bytes give a different request");
            }
            (Ok(None), Ok(Some(_))) | (Err(_), Ok(Some(_))) => {
                panic!("the first {n} bytes give a request, the whole input does not")
            }
        }
    }
    if let Some(mut resumed) = scan {
        assert_eq!(
            parse_request_resuming(data, max_body, &mut resumed),
            whole,
            "a resumed scan of the whole input answers otherwise"
        );
    }
    if let Ok(Some(req)) = &whole {
        assert!(req.head_len <= data.len());
        check_spans(data, req);
        // Exactly the head is enough.
        assert_eq!(parse_request(&data[..req.head_len], max_body), whole);
        if req.head_len > 0 {
            assert_eq!(parse_request(&data[..req.head_len - 1], max_body), Ok(None));
        }
    }
}

/// The spans of `req` (parsed from `data`) point at its parts, inside the head.
fn check_spans(data: &[u8], req: &Request) {
    let spans = &req.spans;
    let at = |r: &std::ops::Range<usize>| {
        assert!(r.start <= r.end && r.end <= req.head_len, "{r:?} is not in the head");
        &data[r.clone()]
    };
    assert_eq!(at(&spans.method), req.method.as_bytes());
    assert_eq!(at(&spans.target), req.target.as_bytes());
    assert_eq!(at(&spans.version), req.version.as_str().as_bytes());
    assert!(at(&spans.line).starts_with(req.method.as_bytes()));
    let kept: Vec<_> = spans.fields.iter().filter(|f| !f.dropped).collect();
    assert_eq!(kept.len(), req.headers.len());
    for (field, header) in kept.iter().zip(&req.headers) {
        assert_eq!(at(&field.name), header.name.as_bytes());
        assert_eq!(at(&field.value), &header.value[..]);
        assert!(at(&field.line).starts_with(at(&field.name)));
    }
}
