//! Waiting: for sockets, for the stop signal, whichever comes first.
//!
//! A single-threaded server spends most of its life waiting: for the next connection, for a
//! slow client's next bytes, for room to write to a client that reads slowly. Every one of
//! those waits must also end when the user presses Ctrl-C. `poll(2)` waits on several file
//! descriptors at once, so every wait also watches the read end of the [`StopSignal`]'s socket
//! pair, which becomes readable the moment a signal arrives.
//!
//! Two kinds of wait live here:
//!
//! - [`wait_for`]: one socket and the stop signal. The tutorial's loop (`--one-at-a-time`)
//!   and a write to a client that does not read use it.
//! - [`poll_all`]: the event loop's wait, on the listening socket, every open connection and
//!   the stop signal at once. It answers which of them are ready.
//!
//! # Why poll, level-triggered
//!
//! `poll` is *level-triggered*: it says "this socket has bytes" for as long as it has them, not
//! only at the moment they arrived. A loop that reads only part of what is there (this one
//! reads at most 64 KiB per connection per turn, to be fair to the others) is simply told
//! again on the next turn. Edge-triggered interfaces (epoll's `EPOLLET`, kqueue's `EV_CLEAR`)
//! report each arrival once: a reader that stops early never hears of the rest, and the
//! connection hangs. That is a mistake everyone makes once; with `poll` it cannot happen.
//! `poll` costs time in proportion to the number of sockets watched, which for a class's
//! thousand connections is a few microseconds; epoll is what servers with a hundred thousand
//! use. It is hand-written on `libc` rather than taken from `mio` because the whole loop is
//! a few dozen lines a student can read, and `mio`'s registry and tokens would hide them.

#![allow(unsafe_code)] // poll(2) is a C call: each block says why it is sound.

use std::io::{self, Write as _};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The exit code when a second Ctrl-C (or SIGTERM) ends the process without waiting for the
/// app: 128 + SIGINT, the shell's convention for "killed by Ctrl-C".
pub const FORCED_EXIT: i32 = 130;

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
        let ms = poll_ms(deadline);
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

/// The way to ask a running server to stop: Ctrl-C, SIGTERM, the inspector's `q`.
///
/// A byte written into a socket pair wakes the server wherever it waits (for a connection, for
/// a slow client's bytes), because every wait also watches the other end of the pair. That is
/// the "self-pipe trick": a signal handler may do almost nothing, but it may write a byte.
#[derive(Debug)]
pub struct StopSignal {
    read: UnixStream,
    write: UnixStream,
}

/// A cheap handle that stops the server from another thread, or sees that it was asked to.
#[derive(Debug)]
pub struct StopHandle {
    write: UnixStream,
    read: UnixStream,
}

impl StopHandle {
    /// Ask the server to stop; it returns from `serve_forever` after the current exchange.
    pub fn stop(&self) {
        // A full pipe already holds a stop request; nothing more to do.
        let _ = (&self.write).write(&[1]);
    }

    /// Whether a stop was asked for (by a signal or a handle). Nobody reads the byte, so once
    /// raised the signal stays raised.
    pub fn is_raised(&self) -> bool {
        let fd = self.read.as_raw_fd();
        is_readable(fd)
    }
}

impl StopSignal {
    /// A fresh, unraised signal.
    pub fn new() -> io::Result<Self> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(StopSignal { read, write })
    }

    /// Raise it on SIGINT (Ctrl-C) and SIGTERM.
    ///
    /// The first signal asks for a clean stop, which happens as soon as the server waits on a
    /// socket. An app stuck in a loop never gives it back that chance, so a second signal ends
    /// the process at once, with exit code [`FORCED_EXIT`].
    pub fn on_signals(&self) -> io::Result<()> {
        let asked = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Registered first, so it runs before the flag below is set: it only fires on the
            // second signal.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                FORCED_EXIT,
                Arc::clone(&asked),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&asked))?;
            signal_hook::low_level::pipe::register(signal, self.write.try_clone()?)?;
        }
        Ok(())
    }

    /// A handle to raise it from elsewhere.
    pub fn handle(&self) -> io::Result<StopHandle> {
        Ok(StopHandle {
            write: self.write.try_clone()?,
            read: self.read.try_clone()?,
        })
    }

    /// Whether the signal is raised, without waiting.
    pub fn is_raised(&self) -> bool {
        is_readable(self.fd())
    }

    /// The end every wait watches: readable once the signal is raised.
    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

/// Whether `fd` has something to read (or an end or error to report) right now, without
/// waiting: pending bytes on a socket, a raised stop signal, a client waiting to be accepted.
pub fn is_readable(fd: RawFd) -> bool {
    // The fd stands for the stop signal too: any answer but a time-out means readable.
    wait_for(fd, Ready::ToRead, fd, Some(Duration::ZERO)).is_ok_and(|w| w != Wait::TimedOut)
}

/// Milliseconds for `poll` until `deadline` (None: -1, no limit), rounded up so that a wait
/// never ends just before its deadline and spins.
fn poll_ms(deadline: Option<Instant>) -> i32 {
    deadline.map_or(-1, |d| {
        let left = d.saturating_duration_since(Instant::now());
        let ms = left.as_micros().div_ceil(1000);
        ms.min(i32::MAX as u128) as i32
    })
}

/// One socket for [`poll_all`]: its descriptor and what to wait for. After the call,
/// [`Watch::ready`] says whether it is.
#[derive(Debug, Clone, Copy)]
#[repr(transparent)]
pub struct Watch(libc::pollfd);

impl Watch {
    /// Watch `fd` for `ready`.
    pub fn new(fd: RawFd, ready: Ready) -> Self {
        let events = match ready {
            Ready::ToRead => libc::POLLIN,
            Ready::ToWrite => libc::POLLOUT,
        };
        Watch(libc::pollfd {
            fd,
            events,
            revents: 0,
        })
    }

    /// Whether the last [`poll_all`] found it ready (or in error, or hung up: the next read or
    /// write says which).
    pub fn ready(&self) -> bool {
        self.0.revents != 0
    }
}

/// Wait until one of `watches` is ready, `stop` is readable, or `deadline` passes (None: no
/// limit). Returns [`Wait::Stopped`] when the stop signal is raised (whatever else is ready),
/// [`Wait::Ready`] when some watch is ready (see [`Watch::ready`]).
pub fn poll_all(
    watches: &mut Vec<Watch>,
    stop: RawFd,
    deadline: Option<Instant>,
) -> io::Result<Wait> {
    watches.push(Watch::new(stop, Ready::ToRead));
    let result = loop {
        for watch in watches.iter_mut() {
            watch.0.revents = 0;
        }
        // SAFETY: `Watch` is a transparent wrapper of `pollfd` (repr below), and the vector
        // holds `len()` of them for the duration of the call.
        let n = unsafe {
            libc::poll(
                watches.as_mut_ptr().cast::<libc::pollfd>(),
                watches.len() as libc::nfds_t,
                poll_ms(deadline),
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break Err(err);
        }
        let stopped = watches.last().is_some_and(Watch::ready);
        break Ok(if stopped {
            Wait::Stopped
        } else if n == 0 {
            Wait::TimedOut
        } else {
            Wait::Ready
        });
    };
    watches.pop();
    result
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
