//! Keys: which key means which command, and the help text, in one table.
//!
//! The inspector's state never sees a raw key: [`command`] turns a terminal key or mouse event
//! into a [`Command`], and [`HELP`] lists every key for the `?` overlay, so what the help says
//! and what the keys do cannot drift apart (a test checks each help entry maps to a command).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::state::View;

/// Something the person at the keyboard asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Select the previous / next exchange (or, in a maximised detail, move inside it).
    Up,
    Down,
    /// Select the first / last exchange.
    First,
    Last,
    /// Follow the newest exchange, or stop following.
    ToggleFollow,
    /// Show one of the five detail views.
    View(View),
    /// The next view (Tab).
    NextView,
    /// Enter: the detail takes the whole screen (and the arrows move inside it), or back.
    ToggleMaximise,
    /// Scroll the detail by a page, or by a few lines (mouse wheel).
    PageUp,
    PageDown,
    ScrollUp,
    ScrollDown,
    /// Raw bytes as text or as a hex dump.
    ToggleHex,
    /// Start typing a filter.
    StartFilter,
    /// Export the selected exchange.
    Export,
    /// Clear the list.
    Clear,
    /// Show the help overlay.
    Help,
    /// Esc: close an overlay, leave the maximised view.
    Close,
    /// Step mode on or off.
    ToggleStep,
    /// Run the phase the server is paused before.
    Advance,
    /// Run the rest of the paused request without stopping.
    RunRest,
    /// The lesson panel (`wsgiscope lesson N`): hide or show it, turn its pages.
    ToggleLesson,
    LessonPrevious,
    LessonNext,
    /// Scroll the lesson's page by the panel's height.
    LessonScrollUp,
    LessonScrollDown,
    /// Leave (q, Ctrl-C).
    Quit,
    /// While typing a filter: a character, Backspace, Enter (keep), Esc (drop the edit),
    /// Ctrl-U (clear the line), Ctrl-W (delete the last word).
    Type(char),
    Backspace,
    Accept,
    Cancel,
    ClearTyped,
    DeleteWord,
}

/// Every key, as the help overlay lists it. The first word is the key as typed.
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  j k", "select the previous / next exchange"),
    ("g G", "select the first / last exchange"),
    ("f", "follow the newest exchange (on at start)"),
    (
        "1 2 3 4 5",
        "views: raw request, environ, start_response, response, checks",
    ),
    ("Tab", "the next view"),
    (
        "Enter",
        "maximise the view; then ↑ ↓ move in it (environ: pick a key)",
    ),
    ("PgUp PgDn", "scroll the view (the mouse wheel too)"),
    ("h", "hex dump of the raw bytes, or back to text"),
    (
        "/",
        "filter: get /path 404 4xx, any case; Enter keeps, Esc drops",
    ),
    ("x", "export: a transcript file and a curl command"),
    ("c", "clear the list"),
    (
        "s",
        "step mode on / off: the server pauses before each phase",
    ),
    ("Space n", "step mode: run the next phase"),
    ("r", "step mode: run the rest of this request"),
    (
        "l [ ]",
        "lesson N: hide / show the lesson, its previous / next page",
    ),
    (
        "} {",
        "lesson N: scroll the page down / up (↓ says more follows)",
    ),
    ("?", "this help"),
    ("Esc", "close the help, leave the maximised view"),
    (
        "q  Ctrl-C",
        "quit (the server stops after the current exchange)",
    ),
];

/// The command for a key, or `None` for keys that mean nothing. `typing` is true while a
/// filter is being typed: then letters are text, not commands.
pub fn command(key: KeyEvent, typing: bool) -> Option<Command> {
    // Key release events (some terminals send them) are not presses.
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Command::Quit);
    }
    if typing {
        // Control keys edit the line, as in a shell; they are never typed as letters.
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return match key.code {
                KeyCode::Char('u') => Some(Command::ClearTyped),
                KeyCode::Char('w') => Some(Command::DeleteWord),
                _ => None,
            };
        }
        return match key.code {
            KeyCode::Char(c) => Some(Command::Type(c)),
            KeyCode::Backspace => Some(Command::Backspace),
            KeyCode::Enter => Some(Command::Accept),
            KeyCode::Esc => Some(Command::Cancel),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Command::Up,
        KeyCode::Down | KeyCode::Char('j') => Command::Down,
        KeyCode::Home | KeyCode::Char('g') => Command::First,
        KeyCode::End | KeyCode::Char('G') => Command::Last,
        KeyCode::Char('f') => Command::ToggleFollow,
        KeyCode::Char('1') => Command::View(View::Request),
        KeyCode::Char('2') => Command::View(View::Environ),
        KeyCode::Char('3') => Command::View(View::StartResponse),
        KeyCode::Char('4') => Command::View(View::Response),
        KeyCode::Char('5') => Command::View(View::Checks),
        KeyCode::Tab => Command::NextView,
        KeyCode::Enter => Command::ToggleMaximise,
        KeyCode::PageUp => Command::PageUp,
        KeyCode::PageDown => Command::PageDown,
        KeyCode::Char('h') => Command::ToggleHex,
        KeyCode::Char('/') => Command::StartFilter,
        KeyCode::Char('x') => Command::Export,
        KeyCode::Char('c') => Command::Clear,
        KeyCode::Char('?') => Command::Help,
        KeyCode::Esc => Command::Close,
        KeyCode::Char('s') => Command::ToggleStep,
        KeyCode::Char(' ') | KeyCode::Char('n') => Command::Advance,
        KeyCode::Char('r') => Command::RunRest,
        KeyCode::Char('l') => Command::ToggleLesson,
        KeyCode::Char('[') => Command::LessonPrevious,
        KeyCode::Char(']') => Command::LessonNext,
        KeyCode::Char('{') => Command::LessonScrollUp,
        KeyCode::Char('}') => Command::LessonScrollDown,
        KeyCode::Char('q') => Command::Quit,
        _ => return None,
    })
}

/// The command for a mouse event: the wheel scrolls the detail.
pub fn mouse_command(mouse: MouseEvent) -> Option<Command> {
    match mouse.kind {
        MouseEventKind::ScrollUp => Some(Command::ScrollUp),
        MouseEventKind::ScrollDown => Some(Command::ScrollDown),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn key_of(word: &str) -> KeyCode {
        match word {
            "↑" => KeyCode::Up,
            "↓" => KeyCode::Down,
            "Tab" => KeyCode::Tab,
            "Enter" => KeyCode::Enter,
            "PgUp" => KeyCode::PageUp,
            "PgDn" => KeyCode::PageDown,
            "Esc" => KeyCode::Esc,
            "Space" => KeyCode::Char(' '),
            "Ctrl-C" => KeyCode::Char('c'),
            w => KeyCode::Char(w.chars().next().expect("a help key is never empty")),
        }
    }

    #[test]
    fn every_key_in_the_help_does_something() {
        for (keys, what) in HELP {
            for word in keys.split_whitespace() {
                assert!(
                    command(key(key_of(word)), false).is_some(),
                    "the help says {word:?} does {what:?}, but it maps to no command"
                );
            }
        }
    }

    #[test]
    fn control_keys_while_typing_edit_the_line_and_are_never_letters() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(command(ctrl('u'), true), Some(Command::ClearTyped));
        assert_eq!(command(ctrl('w'), true), Some(Command::DeleteWord));
        assert_eq!(command(ctrl('x'), true), None);
    }

    #[test]
    fn ctrl_c_quits_even_while_typing_and_letters_are_text_then() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(command(ctrl_c, true), Some(Command::Quit));
        assert_eq!(
            command(key(KeyCode::Char('q')), true),
            Some(Command::Type('q'))
        );
        assert_eq!(command(key(KeyCode::Char('q')), false), Some(Command::Quit));
    }
}
