//! wsgiscope (reading map written later)
pub mod request;
