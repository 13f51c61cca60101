//! The fuzz binaries link the wsgiscope library, which links libpython: pin the libpython
//! found at build time, as the root build.rs does for the server.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}
