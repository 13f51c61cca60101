//! Texts that change once a second: the `Date` header of every response and the time in every
//! access-log line.
//!
//! Formatting a time is dear next to everything else a small response costs (it was a tenth of
//! the cost of an access line), and both texts only change once a second. So each is
//! formatted on its first use in a second and copied after, as nginx does with its Date.
//! Both the response (`src/response.rs`) and the log (`src/log.rs`) use this; it belongs to
//! neither.

/// A text that only changes once a second (a formatted time): formatted on the first use in
/// each second, then copied.
pub struct PerSecond(std::cell::RefCell<(i64, String)>);

impl PerSecond {
    /// Empty: the first `get` formats.
    pub const fn new() -> Self {
        PerSecond(std::cell::RefCell::new((i64::MIN, String::new())))
    }

    /// The text for `second` (a Unix time), formatting it with `format` if it is a new second.
    pub fn get<T: std::fmt::Display>(&self, second: i64, format: impl FnOnce() -> T) -> String {
        let mut last = self.0.borrow_mut();
        if last.0 != second {
            *last = (second, format().to_string());
        }
        last.1.clone()
    }
}

impl Default for PerSecond {
    fn default() -> Self {
        Self::new()
    }
}
