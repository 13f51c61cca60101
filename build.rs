//! Build script: make the binary load the libpython it was built against.
//!
//! Linking against libpython is not enough. Without an rpath the dynamic loader may pick another
//! libpython of the same version (for example the system one in /usr/lib), which has other
//! site-packages: the app's `import flask` then fails for no visible reason. Adding the rpath pins
//! the interpreter that pyo3 found at build time.
//!
//! Only with the `embed` feature (the default): the Python package's extension module, built
//! without it, links to no libpython at all; it runs inside the Python that imports it.
fn main() {
    if std::env::var_os("CARGO_FEATURE_EMBED").is_some() {
        pyo3_build_config::add_libpython_rpath_link_args();
    }
}
