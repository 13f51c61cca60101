//! A real nginx in front of a wsgiscope, as lesson 18 puts one: the web server listens for the
//! clients and passes each request on to the WSGI server, a separate process on its own port.
//!
//! nginx runs in the foreground (`daemon off`), with a fresh prefix folder under `target/tmp`
//! for its pid file, logs and temporary files, on a port the system reported free, and with
//! the lesson's configuration file: its `NGINX_PORT` and `WSGISCOPE_PORT` placeholders are
//! filled in by `wsgiscope::lessons::fill_nginx_config`, exactly as the lesson tells a student
//! to do with `sed`. It is stopped (SIGQUIT, nginx's graceful shutdown) when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use wsgiscope::lessons::fill_nginx_config;

use super::{STARTUP, scratch, stop_child};

/// How often the start-up check looks again whether nginx accepts connections.
const POLL: Duration = Duration::from_millis(20);

/// How many free ports are tried: another process may take the one found before nginx binds it.
const ATTEMPTS: usize = 3;

/// A running nginx, stopped when dropped.
pub struct Nginx {
    child: Child,
    /// Where nginx listens.
    pub addr: SocketAddr,
    /// Its prefix folder: nginx.conf, error.log, access.log, nginx.pid, temp/.
    pub dir: PathBuf,
}

impl Nginx {
    /// Start nginx with the configuration file `config` (a path in the crate), passing
    /// requests to the wsgiscope listening at `upstream`, and wait until it accepts
    /// connections.
    pub fn start(config: &str, upstream: SocketAddr) -> Nginx {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let text = std::fs::read_to_string(super::path(config))
            .unwrap_or_else(|e| panic!("cannot read {config}: {e}"));
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let dir = scratch(&format!(
                "nginx-{}",
                STARTED.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("temp")).expect("the prefix folder can be made");
            let port = free_port();
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, fill_nginx_config(&text, port, upstream.port()))
                .expect("the configuration can be written");
            match start_in(&dir, &conf, port) {
                Ok(child) => {
                    return Nginx {
                        child,
                        addr: SocketAddr::from(([127, 0, 0, 1], port)),
                        dir,
                    };
                }
                Err(why) => failures.push(why),
            }
        }
        panic!("nginx did not start:\n{}", failures.join("\n"))
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

/// Where nginx may be when it is not on the PATH: Debian installs it in /usr/sbin, which a
/// normal user's PATH leaves out.
const NGINX_ELSEWHERE: [&str; 2] = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"];

/// The nginx to run: `nginx` from the PATH, else the first of [`NGINX_ELSEWHERE`] that exists.
fn nginx_program() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join("nginx").is_file()))
        .unwrap_or(false);
    if on_path {
        return PathBuf::from("nginx");
    }
    NGINX_ELSEWHERE
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed (not on the PATH, nor in {NGINX_ELSEWHERE:?}); \
                 .ci/run installs Debian's package: apt-get install nginx"
            )
        })
}

/// A port nothing listens on now: bound to port 0, read, and let go.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port can be bound");
    listener.local_addr().expect("a bound address").port()
}

/// Run nginx with prefix `dir` and configuration `conf`, and wait until `port` accepts; if
/// nginx exits first (the port was taken meanwhile), its error log says why.
fn start_in(dir: &Path, conf: &Path, port: u16) -> Result<Child, String> {
    let error_log = dir.join("error.log");
    let mut child = Command::new(nginx_program())
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(conf)
        .arg("-e")
        .arg(&error_log)
        .args(["-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("nginx cannot be run: {e}"));
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&error_log).unwrap_or_default();
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            return Err(format!("nginx exited ({status}): {stderr}{log}"));
        }
        thread::sleep(POLL);
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "nginx did not accept on port {port} within {STARTUP:?}"
    ))
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: nginx's graceful stop.
        stop_child(&mut self.child, libc::SIGQUIT);
    }
}
