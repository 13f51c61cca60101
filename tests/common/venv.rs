//! The test virtualenv, `target/test-venv`, made from apps/requirements.txt with the very Python
//! the server embeds: tests/venv.rs checks that packages come from it, and tests/checks.rs serves
//! apps/flask_app.py from it.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{path, start_server};

/// The module only the test venv has.
pub const PROBE: &str = "wsgiscope_venv_probe";

/// The test venv, made once per process (and once per machine, thanks to a ready marker).
pub fn test_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv)
}

/// Make `target/test-venv` if it is missing or was made from other requirements, then write
/// the probe module into it.
///
/// Test binaries may run at the same time (`cargo test` runs one at a time, but a developer
/// may run two), so an exclusive `flock` on `target/test-venv.lock` guards the whole making.
fn make_venv() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`; the venv lives beside it, in `<target>`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target folder");
    let venv = target.join("test-venv");
    let lock = File::create(target.join("test-venv.lock")).expect("the lock file can be made");
    // SAFETY: flock only reads the fd of `lock`, which stays open until the end of this
    // function; closing it releases the lock.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(
        rc,
        0,
        "cannot lock {}",
        target.join("test-venv.lock").display()
    );

    let requirements = path("apps/requirements.txt");
    let wanted = fs::read_to_string(&requirements).expect("apps/requirements.txt is readable");
    let ready = venv.join(".wsgiscope-ready");
    if fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        let _ = fs::remove_dir_all(&venv);
        let python = server_python();
        run(Command::new(&python).arg("-m").arg("venv").arg(&venv));
        run(Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements));
        fs::write(&ready, &wanted).expect("the ready marker can be written");
    }
    let probe = site_packages(&venv).join(format!("{PROBE}.py"));
    fs::write(
        &probe,
        "\"\"\"Written by wsgiscope's tests/venv.rs: this module exists only in the test venv.\"\"\"\n",
    )
    .expect("the probe module can be written");
    venv
}

/// The interpreter the server embeds: `<sys.prefix>/bin/python3`, the prefix read from the
/// server's own banner (`Python 3.11.7 (...) at /prefix`). A venv made with another Python
/// would have a `lib/pythonX.Y` the server does not look in.
fn server_python() -> PathBuf {
    let server = start_server(&[&path("apps/hello.py")]);
    let banner = server.stderr();
    let prefix = banner
        .lines()
        .find_map(|line| line.strip_prefix("Python ")?.split(" at ").last())
        .unwrap_or_else(|| panic!("the banner names no Python prefix:\n{banner}"));
    let python = Path::new(prefix.trim()).join("bin/python3");
    assert!(python.exists(), "{} does not exist", python.display());
    python
}

/// Run a set-up command; fail with everything it printed when it fails.
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}), so the test venv cannot be made.\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `<venv>/lib/pythonX.Y/site-packages`.
pub fn site_packages(venv: &Path) -> PathBuf {
    fs::read_dir(venv.join("lib"))
        .expect("the venv has a lib folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("site-packages"))
        .find(|site| site.is_dir())
        .unwrap_or_else(|| panic!("{} has no lib/python*/site-packages", venv.display()))
}
