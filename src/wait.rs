//! Waiting for a socket, or for the stop signal, whichever comes first.
//!
//! A single-threaded server spends most of its life waiting: for the next connection, for a
//! slow client's next bytes, for room to write to a client that reads slowly. Every one of
//! those waits must also end when the user presses Ctrl-C. `poll(2)` waits on several file
//! descriptors at once, so each wait watches two: the socket, and the read end of the stop
//! signal's socket pair (see `StopSignal` in `src/server.rs`), which becomes readable the
//! moment a signal arrives.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// What a wait ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The socket is ready (or has an error or hang-up, which the next read or write reports).
    Ready,
    /// The stop signal was raised.
    Stopped,
    /// The time ran out.
    TimedOut,
}

/// What to wait for on the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Bytes to read (or a connection to accept).
    ToRead,
    /// Room to write.
    ToWrite,
}

/// Wait until `fd` is ready, `stop` is readable, or `timeout` passes (None: no time limit).
///
/// A timeout too long to add to the clock (`Duration::MAX`, say) is no time limit either,
/// rather than an overflow.
pub fn wait_for(
    fd: RawFd,
    ready: Ready,
    stop: RawFd,
    timeout: Option<Duration>,
) -> io::Result<Wait> {
    let events = match ready {
        Ready::ToRead => libc::POLLIN,
        Ready::ToWrite => libc::POLLOUT,
    };
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        let mut fds = [
            libc::pollfd {
                fd,
                events,
                revents: 0,
            },
            libc::pollfd {
                fd: stop,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = deadline.map_or(-1, |d| {
            let left = d.saturating_duration_since(Instant::now());
            left.as_millis().min(i32::MAX as u128) as i32
        });
        // SAFETY: `fds` is a valid array of two pollfd structs for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                // A signal arrived: if it was a stop request, the next poll sees it at once.
                continue;
            }
            return Err(err);
        }
        return Ok(if fds[1].revents != 0 {
            Wait::Stopped
        } else if n == 0 {
            Wait::TimedOut
        } else {
            Wait::Ready
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn readable_socket_stop_and_timeout_are_told_apart() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let (mut stop_w, stop_r) = UnixStream::pair().unwrap();
        let short = Some(Duration::from_millis(10));
        let wait = |r| wait_for(b.as_raw_fd(), r, stop_r.as_raw_fd(), short).unwrap();
        assert_eq!(wait(Ready::ToRead), Wait::TimedOut);
        assert_eq!(wait(Ready::ToWrite), Wait::Ready);
        a.write_all(b"x").unwrap();
        assert_eq!(wait(Ready::ToRead), Wait::Ready);
        stop_w.write_all(b"!").unwrap();
        assert_eq!(wait(Ready::ToRead), Wait::Stopped);
    }

    #[test]
    fn a_timeout_too_long_for_the_clock_means_no_time_limit() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let (_stop_w, stop_r) = UnixStream::pair().unwrap();
        a.write_all(b"x").unwrap();
        let wait = wait_for(
            b.as_raw_fd(),
            Ready::ToRead,
            stop_r.as_raw_fd(),
            Some(Duration::MAX),
        );
        assert_eq!(wait.unwrap(), Wait::Ready);
    }
}
