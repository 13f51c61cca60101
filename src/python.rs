//! The Python side of the house: starting the interpreter, finding the app, catching its output.
//!
//! wsgiscope runs the app in CPython through pyo3, in one process with the server: the binary
//! embeds the interpreter, and the Python package runs inside the interpreter that imported
//! it. Either way no `python app.py` runs, and that makes two things our job that it would do
//! for us:
//!
//! - **Where imports come from.** The app's folder (or `--chdir`) goes first on `sys.path`, as
//!   `python path/to/app.py` would put it, and a virtualenv (`--venv`, or the active one named by
//!   `VIRTUAL_ENV`) has its site-packages put in front of the interpreter's own, so a class can
//!   `pip install flask` into a venv and serve it. (The package, run by a venv's Python, has
//!   that venv's packages already: naming that venv adds nothing.)
//! - **Where `print()` goes.** While the inspector owns the terminal nothing may write to it, so
//!   `sys.stdout` and `sys.stderr` are replaced by [`OutputStream`] objects that collect lines.
//!   The server attaches them to the exchange being served; the same class is `wsgi.errors`.
//!
//! Then [`load_app`] turns an app spec (`module:callable`, `path/to/file.py`, `module:factory()`)
//! into the callable the server will call, or into a [`LoadError`] that says what was tried.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyInt, PyList, PyString};

use crate::exchange::{MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES, OutputCut, OutputLine};

/// What the interpreter says about itself, printed at start-up so nobody has to guess which
/// Python (and so which site-packages) the server runs.
#[derive(Debug, Clone)]
pub struct PythonInfo {
    /// `sys.version`, first line.
    pub version: String,
    /// `sys.prefix`.
    pub prefix: String,
    /// The site-packages folder added for a virtualenv, if any.
    pub venv_site_packages: Option<PathBuf>,
}

/// Why the app could not be loaded: one paragraph for the user, then exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Lines written by the app, waiting to be attached to an exchange. Python's `sys.stdout` is
/// one object for the whole process, so the place its lines collect is one too.
static OUTPUT: Mutex<OutputSink> = Mutex::new(OutputSink::empty());

pub use crate::exchange::LiveOutput;

/// Complete lines, plus the unfinished last line of each stream (`print("a", end="")`), kept
/// up to [`MAX_OUTPUT_LINES`] lines and [`MAX_OUTPUT_BYTES`] bytes until taken; the rest is
/// only counted, so an app printing in a loop (even at import time) cannot grow memory.
struct OutputSink {
    lines: Vec<OutputLine>,
    /// Per stream: the kept text of its unfinished line, and whether some of it was cut.
    partial: Vec<(&'static str, String, bool)>,
    /// See [`forward_output`]; None for the headless logs, which read the finished record.
    live: Option<LiveOutput>,
    /// Bytes of text held in `lines` and `partial`.
    kept: usize,
    /// What was written but not kept.
    cut: OutputCut,
}

impl OutputSink {
    /// Nothing written yet, nothing forwarded.
    const fn empty() -> Self {
        OutputSink {
            lines: Vec::new(),
            partial: Vec::new(),
            live: None,
            kept: 0,
            cut: OutputCut { lines: 0, bytes: 0 },
        }
    }

    fn write(&mut self, stream: &'static str, text: &str) {
        let at = match self.partial.iter().position(|(s, _, _)| *s == stream) {
            Some(at) => at,
            None => {
                self.partial.push((stream, String::new(), false));
                self.partial.len() - 1
            }
        };
        for piece in text.split_inclusive('\n') {
            let (body, ends) = piece
                .strip_suffix('\n')
                .map_or((piece, false), |body| (body, true));
            let room = if self.lines.len() < MAX_OUTPUT_LINES {
                MAX_OUTPUT_BYTES.saturating_sub(self.kept)
            } else {
                0
            };
            let keep = body.floor_char_boundary(room);
            let (_, pending, cut_short) = &mut self.partial[at];
            pending.push_str(&body[..keep]);
            self.kept += keep;
            if keep < body.len() {
                *cut_short = true;
                self.cut.bytes += (body.len() - keep) as u64;
            }
            if ends {
                self.end_line(at, true);
            }
        }
    }

    /// The line pending on `partial[at]` is over: keep it if there is room, else count it.
    fn end_line(&mut self, at: usize, live: bool) {
        let (stream, pending, cut_short) = &mut self.partial[at];
        let (stream, mut text, cut_short) = (
            *stream,
            std::mem::take(pending),
            std::mem::replace(cut_short, false),
        );
        if self.lines.len() >= MAX_OUTPUT_LINES || (text.is_empty() && cut_short) {
            self.cut.lines += 1;
            self.cut.bytes += text.len() as u64;
            self.kept -= text.len();
            return;
        }
        text.truncate(text.trim_end_matches('\r').len());
        let line = OutputLine { stream, text };
        if live && let Some(live) = &mut self.live {
            live(&line);
        }
        self.lines.push(line);
    }
}

/// Also hand each complete line to `live` the moment the app writes it, so that a live view
/// can show `print()` while a slow app is still running. The lines still collect for the
/// exchange's record, which stays complete; an unfinished last line is only in the record.
pub fn forward_output(live: LiveOutput) {
    OUTPUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .live = Some(live);
}

/// Run `before` when the app calls `os._exit()`, then exit as asked.
///
/// `os._exit` ends the process at once: no `finally`, no Rust `Drop`, no signal a handler could
/// catch. While the inspector owns the terminal that would leave it in raw mode, so the
/// inspector asks for its emergency restore to run first. Install it before the app is
/// imported, so that even `from os import _exit` gets the wrapper.
pub fn before_exit(py: Python<'_>, before: fn()) -> PyResult<()> {
    let os = py.import("os")?;
    let original: Py<PyAny> = os.getattr("_exit")?.unbind();
    let wrapper = PyCFunction::new_closure(
        py,
        Some(c"_exit"),
        Some(c"Exit the process with status n, without cleanup (wrapped by wsgiscope to give the terminal back first)."),
        move |args, kwargs| -> PyResult<Py<PyAny>> {
            // Only when it will exit: a wrong call raises TypeError and the server goes on.
            let exits = kwargs.is_none()
                && args.len() == 1
                && args.get_item(0).is_ok_and(|n| n.is_instance_of::<PyInt>());
            if exits {
                before();
            }
            original.bind(args.py()).call(args, kwargs).map(Bound::unbind)
        },
    )?;
    os.setattr("_exit", wrapper)
}

/// Run `f` with the GIL released, when this thread holds it; else just run it.
///
/// Every wait of the server goes through here (a client that does not read, a step-mode
/// pause): while the server waits, the app's own threads, and Python's signal handling, must
/// run. The GIL is released only around the wait, never while Python objects are touched,
/// which `detach`'s `Send` bound checks at compile time.
#[allow(unsafe_code)] // two read-only calls into the interpreter's C API
pub fn without_gil<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    // SAFETY: both only read the interpreter's state; PyGILState_Check is meaningful once the
    // interpreter is initialized, which Py_IsInitialized says first.
    let held = unsafe { pyo3::ffi::Py_IsInitialized() != 0 && PyGILState_Check() == 1 };
    if held {
        Python::attach(|py| py.detach(f))
    } else {
        f()
    }
}

// `PyGILState_Check` is not part of the limited API that the package's abi3 build may use
// (pyo3 leaves it out there), but every CPython since 3.4 exports it, the embedded one and
// those that load the extension module alike; declared here, it is found in either.
#[allow(unsafe_code)] // a declaration of a C function; its one call is above
unsafe extern "C" {
    /// 1 when this thread holds the GIL.
    fn PyGILState_Check() -> std::ffi::c_int;
}

/// Take every line written since the last call, unfinished lines included, and the count of
/// what was not kept.
pub fn take_output() -> (Vec<OutputLine>, OutputCut) {
    let mut sink = OUTPUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for at in 0..sink.partial.len() {
        let (_, text, cut_short) = &sink.partial[at];
        if !text.is_empty() || *cut_short {
            // An unfinished line is only in the record, never sent live.
            sink.end_line(at, false);
        }
    }
    sink.partial.clear();
    sink.kept = 0;
    (
        std::mem::take(&mut sink.lines),
        std::mem::take(&mut sink.cut),
    )
}

/// A text stream that Python code writes to: `sys.stdout`, `sys.stderr` and `wsgi.errors`.
///
/// PEP 3333 asks `wsgi.errors` to be a text-mode file with `write()`, `writelines()` and
/// `flush()`. Each line goes to the record of the exchange being served.
#[pyclass(module = "wsgiscope", frozen)]
pub struct OutputStream {
    stream: &'static str,
}

impl OutputStream {
    /// A stream whose lines are labelled `stream` ("stdout", "stderr", "wsgi.errors").
    pub fn new(stream: &'static str) -> Self {
        OutputStream { stream }
    }
}

#[pymethods]
impl OutputStream {
    /// Write a str; returns the number of characters, as `io.TextIOBase.write` does.
    fn write(&self, text: &Bound<'_, PyAny>) -> PyResult<usize> {
        let Ok(text) = text.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "{}.write() takes a str, not {} (PEP 3333: wsgi.errors is a text stream)",
                self.stream,
                text.get_type().name()?
            )));
        };
        let text = text.to_cow()?;
        OUTPUT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .write(self.stream, &text);
        Ok(text.chars().count())
    }

    /// Write each str of an iterable.
    fn writelines(&self, lines: &Bound<'_, PyAny>) -> PyResult<()> {
        for line in lines.try_iter()? {
            self.write(&line?)?;
        }
        Ok(())
    }

    /// Nothing to flush: lines are collected as they are written.
    fn flush(&self) {}

    /// Not a terminal (so libraries do not send colour codes).
    fn isatty(&self) -> bool {
        false
    }

    /// Text written is kept as str; this is what `print()` and `logging` ask for.
    #[getter]
    fn encoding(&self) -> &'static str {
        "utf-8"
    }

    /// Never closed: libraries check `sys.stdout.closed` before they write.
    #[getter]
    fn closed(&self) -> bool {
        false
    }

    /// Written to, as any output stream (`io.IOBase.writable`).
    fn writable(&self) -> bool {
        true
    }

    /// Not read from (`io.IOBase.readable`).
    fn readable(&self) -> bool {
        false
    }

    /// No position to seek to: lines go to the record as they come (`io.IOBase.seekable`).
    fn seekable(&self) -> bool {
        false
    }

    /// There is no file descriptor behind it, so `io.UnsupportedOperation`, as `io.StringIO`
    /// raises: code that wants one (`faulthandler.enable()`) catches it and falls back, e.g. to
    /// `faulthandler.enable(file=sys.__stderr__)`, the real standard error.
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        let unsupported = py.import("io")?.getattr("UnsupportedOperation")?;
        Err(PyErr::from_value(unsupported.call1((format!(
            "wsgiscope's {} keeps lines for the exchange's record and has no file descriptor \
             (sys.__stderr__ is the real standard error)",
            self.stream
        ),))?))
    }

    /// The label of the stream, for `repr()` in the environ view.
    fn __repr__(&self) -> String {
        format!("<wsgiscope.OutputStream {}>", self.stream)
    }
}

/// Start the interpreter and set it up: `sys.argv`, output capture, the app's folder and the
/// virtualenv on `sys.path`.
///
/// `app_dir` goes first on `sys.path`; `venv` is `--venv`, else `VIRTUAL_ENV` is used.
pub fn start(app_dir: &Path, venv: Option<&Path>) -> Result<PythonInfo, LoadError> {
    let venv = venv
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("VIRTUAL_ENV").map(PathBuf::from));
    Python::attach(|py| {
        setup(py, app_dir, venv.as_deref()).map_err(|e| match e {
            SetupError::Load(e) => e,
            SetupError::Python(e) => LoadError(format!(
                "wsgiscope could not set up the Python interpreter: {}",
                describe(py, &e)
            )),
        })
    })
}

enum SetupError {
    Load(LoadError),
    Python(PyErr),
}

impl From<PyErr> for SetupError {
    fn from(e: PyErr) -> Self {
        SetupError::Python(e)
    }
}

fn setup(py: Python<'_>, app_dir: &Path, venv: Option<&Path>) -> Result<PythonInfo, SetupError> {
    let sys = py.import("sys")?;
    // An embedded interpreter has no sys.argv; some libraries read sys.argv[0].
    sys.setattr("argv", PyList::new(py, ["wsgiscope"])?)?;
    sys.setattr("stdout", OutputStream::new("stdout"))?;
    sys.setattr("stderr", OutputStream::new("stderr"))?;

    let path = sys
        .getattr("path")?
        .cast_into::<PyList>()
        .map_err(PyErr::from)?;
    let (version, prefix) = interpreter(py)?;
    let mut venv_site_packages = None;
    // A venv that is the interpreter's own (the package's case: `VIRTUAL_ENV` names the venv
    // whose Python runs wsgiscope) has its packages on sys.path already.
    let own = |venv: &Path| same_folder(venv, Path::new(&prefix));
    if let Some(venv) = venv.filter(|venv| !own(venv)) {
        let (major, minor): (u8, u8) = (
            sys.getattr("version_info")?.get_item(0)?.extract()?,
            sys.getattr("version_info")?.get_item(1)?.extract()?,
        );
        let site = venv_site_dir(venv, major, minor).map_err(SetupError::Load)?;
        // site.addsitedir also reads the .pth files that editable installs rely on. It appends;
        // we move what it added to the front, so the venv's packages win over the base ones.
        let before = path.len();
        py.import("site")?
            .call_method1("addsitedir", (site.to_string_lossy().as_ref(),))?;
        let added: Vec<Bound<'_, PyAny>> = (before..path.len())
            .map(|i| path.get_item(i))
            .collect::<PyResult<_>>()?;
        for (offset, item) in added.iter().enumerate() {
            path.del_item(before + offset)?;
            path.insert(offset, item)?;
        }
        venv_site_packages = Some(site);
    }
    path.insert(0, app_dir.to_string_lossy().as_ref())?;

    Ok(PythonInfo {
        version,
        prefix,
        venv_site_packages,
    })
}

/// The interpreter wsgiscope runs in: the first line of `sys.version`, and `sys.prefix`.
pub fn interpreter(py: Python<'_>) -> PyResult<(String, String)> {
    let sys = py.import("sys")?;
    let version: String = sys.getattr("version")?.extract()?;
    let first = version.lines().next().unwrap_or_default().to_string();
    Ok((first, sys.getattr("prefix")?.extract()?))
}

/// Whether two paths name the same folder (after symlinks; as written, when either is
/// missing).
fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The site-packages folder of a virtualenv made for Python `major.minor`.
fn venv_site_dir(venv: &Path, major: u8, minor: u8) -> Result<PathBuf, LoadError> {
    if !venv.is_dir() {
        return Err(LoadError(format!(
            "the virtualenv {} does not exist (it was named by --venv or VIRTUAL_ENV); create it \
             with `python3 -m venv {}` or leave the option out",
            venv.display(),
            venv.display()
        )));
    }
    let site = venv
        .join("lib")
        .join(format!("python{major}.{minor}"))
        .join("site-packages");
    if site.is_dir() {
        return Ok(site);
    }
    let found: Vec<String> = std::fs::read_dir(venv.join("lib"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Err(LoadError(format!(
        "the virtualenv {} has no {}: wsgiscope runs in Python {major}.{minor} (the one it was \
         built with, or, installed with pip, the one that started it), and the venv holds {}; \
         make the venv with that Python, e.g. `python{major}.{minor} -m venv {}`",
        venv.display(),
        site.display(),
        if found.is_empty() {
            "no lib/pythonX.Y folder".to_string()
        } else {
            found.join(", ")
        },
        venv.display()
    )))
}

/// What the user asked to serve: where the code is and which callable in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// What was typed, for messages.
    pub text: String,
    /// A module name or a file path.
    pub source: AppSource,
    /// The callable's name or a call expression (`create_app()`); None: `application`, then
    /// `app`.
    pub callable: Option<String>,
}

/// Where the app's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// A module found on `sys.path`, such as `myproject.wsgi`.
    Module(String),
    /// A Python file, such as `apps/hello.py`.
    File(PathBuf),
}

impl AppSpec {
    /// Read `module`, `module:callable`, `path/to/file.py[:callable]` or `module:factory()`.
    ///
    /// It is a file when the part before `:` ends in `.py`, holds a `/`, or names an existing
    /// `.wsgi` file; anything else is a module name.
    pub fn parse(text: &str) -> AppSpec {
        let (source, callable) = match text.split_once(':') {
            Some((source, callable)) if !callable.is_empty() => (source, Some(callable)),
            Some((source, _)) => (source, None),
            None => (text, None),
        };
        // `myproject.wsgi` is ambiguous: Django names its module that (myproject/wsgi.py),
        // and mod_wsgi names script files `app.wsgi`. A `.wsgi` name is a file only when that
        // file exists; otherwise it is a dotted module name.
        let is_file = source.ends_with(".py")
            || source.contains('/')
            || (source.ends_with(".wsgi") && Path::new(source).is_file());
        AppSpec {
            text: text.to_string(),
            source: if is_file {
                AppSource::File(PathBuf::from(source))
            } else {
                AppSource::Module(source.to_string())
            },
            callable: callable.map(str::to_string),
        }
    }

    /// The folder the app names, when it names one that is not a Python package (`apps`,
    /// `apps/`): Python would import it as an empty namespace, and the student meant a file.
    fn plain_folder(&self) -> Option<PathBuf> {
        let path = match &self.source {
            AppSource::File(path) => path.clone(),
            AppSource::Module(name) if !name.contains('.') => PathBuf::from(name),
            AppSource::Module(_) => return None,
        };
        (path.is_dir() && !path.join("__init__.py").is_file()).then_some(path)
    }

    /// The folder that goes first on `sys.path`: the file's folder, else the current one.
    pub fn folder(&self) -> PathBuf {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match &self.source {
            AppSource::File(path) => {
                let dir = path.parent().unwrap_or(Path::new(""));
                let dir = cwd.join(dir);
                dir.canonicalize().unwrap_or(dir)
            }
            AppSource::Module(_) => cwd,
        }
    }
}

/// The app shown when no APP is given: like `python -m wsgiref.simple_server`, it answers with
/// the environ it received, so the server can be explored before writing any code.
const DEMO_APP: &str = r#"
def application(environ, start_response):
    """The built-in demo: a greeting, then every environ key the server built."""
    lines = ["Hello world! This is wsgiscope's built-in demo app.",
             "Start the server with an app to serve your own, e.g. apps/hello.py.",
             "", "The environ this request produced:", ""]
    for key in sorted(environ):
        lines.append("%s = %r" % (key, environ[key]))
    body = ("\n".join(lines) + "\n").encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body]
"#;

/// Import the app named by `spec` (or the demo when it is None) and return its callable: the
/// module (a file or an importable name), then the callable in it (named, made by a factory,
/// or found as `application` or `app`), which must be callable.
pub fn load_app(py: Python<'_>, spec: Option<&AppSpec>) -> Result<Py<PyAny>, LoadError> {
    let Some(spec) = spec else {
        return load_demo_app(py);
    };
    let fail = |what: String| LoadError(format!("cannot load the app '{}': {what}", spec.text));
    if let Some(folder) = spec.plain_folder() {
        return Err(fail(folder_hint(&folder)));
    }
    let module = import_app_module(py, &spec.source).map_err(&fail)?;
    let app = find_callable(py, &module, spec).map_err(&fail)?;
    if !app.is_callable() {
        return Err(fail(format!(
            "the object found is {}, which is not callable; a WSGI app is a callable taking \
             (environ, start_response) (PEP 3333)",
            crate::start_response::a_type_name(&app)
        )));
    }
    freeze_what_the_import_made(py);
    Ok(app.unbind())
}

/// The built-in demo app, made from its source above.
fn load_demo_app(py: Python<'_>) -> Result<Py<PyAny>, LoadError> {
    let code = CString::new(DEMO_APP).expect("the demo source has no NUL byte");
    let module =
        PyModule::from_code(py, &code, c"<wsgiscope demo>", c"wsgiscope_demo").map_err(|e| {
            LoadError(format!(
                "the built-in demo app failed: {}",
                describe(py, &e)
            ))
        })?;
    module
        .getattr("application")
        .map(Bound::unbind)
        .map_err(|e| LoadError(describe(py, &e)))
}

/// The app's module, from its file or by its name; what went wrong, for the error message.
fn import_app_module<'py>(
    py: Python<'py>,
    source: &AppSource,
) -> Result<Bound<'py, PyAny>, String> {
    match source {
        AppSource::File(path) => import_file(py, path),
        AppSource::Module(name) => py.import(name.as_str()).map(Bound::into_any).map_err(|e| {
            format!(
                "importing the module '{name}' failed with {}. Python looked in sys.path = {}. \
                 Check the spelling, run from the folder that holds it, or pass --chdir.",
                describe(py, &e),
                sys_path(py)
            )
        }),
    }
}

/// The object in `module` that `spec` names: `factory(...)` is called, `a.b` is looked up
/// attribute by attribute, and with no name `application` then `app` are tried (as gunicorn
/// and flask do).
fn find_callable<'py>(
    py: Python<'py>,
    module: &Bound<'py, PyAny>,
    spec: &AppSpec,
) -> Result<Bound<'py, PyAny>, String> {
    match &spec.callable {
        Some(expr) if expr.contains('(') => {
            let globals = module
                .getattr("__dict__")
                .and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from))
                .map_err(|e| describe(py, &e))?;
            let code = CString::new(expr.as_str())
                .map_err(|_| "the callable contains a NUL byte".to_owned())?;
            py.eval(&code, Some(&globals), None).map_err(|e| {
                format!(
                    "calling the factory `{expr}` in the module failed with {}",
                    describe(py, &e)
                )
            })
        }
        Some(name) => {
            let mut obj = module.clone();
            for part in name.split('.') {
                obj = obj.getattr(part).map_err(|_| {
                    format!(
                        "the module has no attribute '{name}'. It has: {}.",
                        public_names(module)
                    )
                })?;
            }
            Ok(obj)
        }
        None => ["application", "app"]
            .iter()
            .find_map(|name| module.getattr(*name).ok())
            .ok_or_else(|| {
                format!(
                    "the module has neither 'application' nor 'app' (the names tried when none \
                     is given). It has: {}. Name the callable, e.g. '{}:NAME'.",
                    public_names(module),
                    spec.text
                )
            }),
    }
}

/// Everything the import made (the app, its framework, their modules) lives as long as the
/// server: move it out of the garbage collector's sight (`gc.freeze`, Python 3.7+), so that a
/// full collection during a request does not walk it all again (a pause of milliseconds with a
/// framework loaded). Objects made later are collected as ever.
fn freeze_what_the_import_made(py: Python<'_>) {
    if let Ok(gc) = py.import("gc") {
        let _ = gc.call_method0("freeze");
    }
}

/// What to say when the app named is a folder: that it is one, and which of its files could be
/// meant.
fn folder_hint(folder: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "py"))
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let shown = files.len().min(3);
    let examples = if files.is_empty() {
        "it has no .py file".to_string()
    } else {
        format!(
            "for example {}{}",
            files[..shown].join(", "),
            if files.len() > shown { ", …" } else { "" }
        )
    };
    format!(
        "{} is a folder, not an app. Give one of its files, as path/to/file.py[:callable] \
         ({examples}), or a module:callable",
        folder.display()
    )
}

/// Run a Python file as a module named after the file, registered in `sys.modules` so that
/// frameworks that look themselves up by `__name__` (Flask does) find it.
fn import_file<'py>(py: Python<'py>, path: &Path) -> Result<Bound<'py, PyAny>, String> {
    if !path.is_file() {
        return Err(format!(
            "the file {} does not exist (looked from {})",
            path.display(),
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        ));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['.', '-'], "_"))
        .unwrap_or_else(|| "app".into());
    let run = || -> PyResult<Bound<'py, PyAny>> {
        let util = py.import("importlib.util")?;
        let machinery = py.import("importlib.machinery")?;
        let full = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let full = full.to_string_lossy();
        // A .wsgi file is Python too; give it an explicit source loader.
        let loader = machinery
            .getattr("SourceFileLoader")?
            .call1((name.as_str(), full.as_ref()))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("loader", loader)?;
        let spec = util
            .getattr("spec_from_file_location")?
            .call((name.as_str(), full.as_ref()), Some(&kwargs))?;
        let module = util.getattr("module_from_spec")?.call1((&spec,))?;
        py.import("sys")?
            .getattr("modules")?
            .set_item(name.as_str(), &module)?;
        spec.getattr("loader")?
            .call_method1("exec_module", (&module,))?;
        Ok(module)
    };
    run().map_err(|e| {
        format!(
            "running {} failed with {}",
            path.display(),
            describe_with_location(py, &e)
        )
    })
}

/// The non-underscore names of a module, for "it has: …".
fn public_names(module: &Bound<'_, PyAny>) -> String {
    let names: Vec<String> = module
        .dir()
        .map(|list| {
            list.iter()
                .filter_map(|n| n.extract::<String>().ok())
                .filter(|n| !n.starts_with('_'))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        "no public names".into()
    } else {
        names.join(", ")
    }
}

fn sys_path(py: Python<'_>) -> String {
    py.import("sys")
        .and_then(|sys| sys.getattr("path"))
        .and_then(|p| p.repr().map(|r| r.to_string()))
        .unwrap_or_default()
}

/// `ExceptionType: message`, as the last line of a traceback says it.
pub fn describe(py: Python<'_>, err: &PyErr) -> String {
    let kind = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let value = err.value(py).to_string();
    if value.is_empty() {
        kind
    } else {
        format!("{kind}: {value}")
    }
}

/// Like [`describe`], plus the file and line where it was raised (for syntax errors in the app
/// file, the most common first mistake).
fn describe_with_location(py: Python<'_>, err: &PyErr) -> String {
    let described = describe(py, err);
    let last_frame = traceback_text(py, err)
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("File \""))
        .map(|l| l.trim().to_string());
    match last_frame {
        Some(frame) if !err.is_instance_of::<pyo3::exceptions::PySyntaxError>(py) => {
            format!("{described} ({frame})")
        }
        _ => described,
    }
}

/// The whole traceback, as Python would print it.
///
/// The traceback is passed explicitly: before Python 3.12 an exception fetched from the
/// interpreter keeps its traceback beside it, not in its `__traceback__`, so
/// `format_exception(value)` alone would print only the last line.
pub fn traceback_text(py: Python<'_>, err: &PyErr) -> String {
    let format = || -> PyResult<String> {
        let lines = py
            .import("traceback")?
            .getattr("format_exception")?
            .call1((err.get_type(py), err.value(py), err.traceback(py)))?;
        let mut text = String::new();
        for line in lines.try_iter()? {
            text.push_str(&line?.extract::<String>()?);
        }
        Ok(text)
    };
    format().unwrap_or_else(|_| describe(py, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_spec_forms() {
        let s = AppSpec::parse("apps/hello.py");
        assert_eq!(s.source, AppSource::File("apps/hello.py".into()));
        assert_eq!(s.callable, None);
        let s = AppSpec::parse("apps/hello.py:app");
        assert_eq!(s.callable.as_deref(), Some("app"));
        let s = AppSpec::parse("myproject.wsgi:application");
        assert_eq!(s.source, AppSource::Module("myproject.wsgi".into()));
        let s = AppSpec::parse("factory:create_app()");
        assert_eq!(s.callable.as_deref(), Some("create_app()"));
        assert_eq!(
            AppSpec::parse("hello").source,
            AppSource::Module("hello".into())
        );
    }

    #[test]
    fn output_lines_are_split_and_partial_lines_kept() {
        let mut sink = OutputSink::empty();
        sink.write("stdout", "a\nb");
        sink.write("stderr", "x\n");
        sink.write("stdout", "c\n");
        let texts: Vec<_> = sink
            .lines
            .iter()
            .map(|l| (l.stream, l.text.as_str()))
            .collect();
        assert_eq!(texts, [("stdout", "a"), ("stderr", "x"), ("stdout", "bc")]);
    }

    #[test]
    fn output_beyond_the_line_limit_is_counted_and_not_sent_live() {
        let seen = std::sync::Arc::new(Mutex::new(0));
        let mut sink = OutputSink {
            live: Some(Box::new({
                let seen = std::sync::Arc::clone(&seen);
                move |_: &OutputLine| *seen.lock().expect("not poisoned") += 1
            })),
            ..OutputSink::empty()
        };
        for _ in 0..MAX_OUTPUT_LINES + 5 {
            sink.write("stdout", "abc\n");
        }
        sink.write("stdout", "\n");
        assert_eq!(sink.lines.len(), MAX_OUTPUT_LINES);
        assert_eq!(*seen.lock().expect("not poisoned"), MAX_OUTPUT_LINES);
        assert_eq!(
            sink.cut,
            OutputCut {
                lines: 6,
                bytes: 15
            }
        );
    }

    #[test]
    fn a_live_sink_gets_each_complete_line_as_it_is_written() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut sink = OutputSink {
            live: Some(Box::new({
                let seen = std::sync::Arc::clone(&seen);
                move |line: &OutputLine| seen.lock().expect("not poisoned").push(line.clone())
            })),
            ..OutputSink::empty()
        };
        sink.write("stdout", "one\ntw");
        assert_eq!(
            seen.lock().expect("not poisoned").len(),
            1,
            "only the complete line"
        );
        sink.write("stdout", "o\n");
        assert_eq!(
            *seen.lock().expect("not poisoned"),
            sink.lines,
            "the record keeps them all"
        );
    }
}
