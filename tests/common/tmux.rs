//! The real binary in a real terminal (tmux): each test runs in its own tmux server, killed
//! when the test ends, pass or fail. The command runs inside a shell that, once wsgiscope
//! exits, prints its exit code and the terminal's `icanon` setting: raw mode turns `icanon`
//! off, so seeing `icanon` (not `-icanon`) proves the terminal was given back.

use std::process::Command;
use std::time::{Duration, Instant};

/// How long a test waits for the screen to show something before it fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A wsgiscope running in a detached tmux session (120×40 unless started sized).
pub struct Session {
    socket: String,
}

impl Session {
    pub fn start(test: &str, args: &str) -> Session {
        Session::start_sized(test, args, 120, 40)
    }

    /// [`Session::start`] in a terminal of `width` × `height`.
    pub fn start_sized(test: &str, args: &str, width: u16, height: u16) -> Session {
        let socket = format!("wsgiscope-{test}-{}", std::process::id());
        let command = format!(
            "{} {args}; echo EXITED $?; stty -a | grep -o -- '-\\?icanon'; sleep 60",
            super::program()
        );
        let session = Session { socket };
        let status = Command::new("tmux")
            .args(["-L", &session.socket, "-f", "/dev/null"])
            .args(["new-session", "-d", "-s", "t"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("-c")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg(command)
            .status()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(status.success(), "tmux could not start a session");
        session
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Wait until the screen shows `needle`; return the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {needle:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the screen shows something else than `before`; return it.
    pub fn wait_for_change(&self, before: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen != before {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never changed from:\n{before}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn keys(&self, keys: &str) {
        self.tmux(&["send-keys", "-t", "t", keys]);
    }

    /// The port, read from the header's telnet hint.
    pub fn port(&self) -> u16 {
        let screen = self.wait_for("telnet 127.0.0.1 ");
        let after = screen
            .split("telnet 127.0.0.1 ")
            .nth(1)
            .expect("the hint is on screen");
        after
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port number follows the hint")
    }

    /// The process id of wsgiscope: the child of the pane's shell.
    pub fn wsgiscope_pid(&self) -> i32 {
        let shell = self.tmux(&["display", "-p", "-t", "t", "#{pane_pid}"]);
        let shell = shell.trim();
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .ok()
            .and_then(|c| c.split_whitespace().next()?.parse().ok())
            .expect("wsgiscope runs in the pane")
    }

    /// After wsgiscope exited: its exit code, and whether the terminal is out of raw mode and
    /// off the alternate screen.
    pub fn exit_and_terminal(&self) -> (String, bool) {
        let screen = self.wait_for("icanon");
        let code = screen
            .split("EXITED ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("?")
            .to_string();
        let cooked = screen.lines().any(|l| l.trim() == "icanon");
        let alternate = self.tmux(&["display", "-p", "-t", "t", "#{alternate_on}"]);
        (code, cooked && alternate.trim() == "0")
    }
}

impl Session {
    /// `q`, then the process must have exited 0 with the terminal given back.
    pub fn quit_cleanly(&self) {
        self.keys("q");
        assert_eq!(self.exit_and_terminal(), ("0".to_string(), true));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
