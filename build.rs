//! Build script: make the binary load the libpython it was built against.
//!
//! Linking against libpython is not enough. Without an rpath the dynamic loader may pick another
//! libpython of the same version (for example the system one in /usr/lib), which has other
//! site-packages: the app's `import flask` then fails for no visible reason. Adding the rpath pins
//! the interpreter that pyo3 found at build time.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}
