//! The lesson panel: `wsgiscope lesson N` shows the lesson beside the exchange views.
//!
//! The lesson is cut at its `## ` headings ([`crate::lessons::Lesson::sections`]); the panel
//! shows one section at a time, `[` and `]` turn the pages, `l` hides or shows the panel. On a
//! wide screen the panel is a column on the right and the exchanges stay in view; on a narrow
//! one (under [`SIDE_BY_SIDE_WIDTH`] columns) it takes the whole body, and `l` switches between
//! the lesson and the exchanges.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::lessons::{Lesson, Section};

/// Screens at least this wide show the lesson beside the exchanges.
pub const SIDE_BY_SIDE_WIDTH: u16 = 100;
/// The share of a wide screen the panel takes, in percent.
const PANEL_PERCENT: u16 = 42;

const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
const CODE: Style = Style::new().fg(Color::Cyan);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// What the panel holds: the lesson's sections and which one is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonPanel {
    pub number: u32,
    pub title: String,
    pub sections: Vec<Section>,
    /// The section shown.
    pub page: usize,
    /// `l` hides the panel and shows it again.
    pub shown: bool,
}

impl LessonPanel {
    /// The panel for a lesson, shown, on its first section.
    pub fn new(lesson: &Lesson) -> Self {
        LessonPanel {
            number: lesson.number,
            title: lesson.title.clone(),
            sections: lesson.sections(),
            page: 0,
            shown: true,
        }
    }

    /// `]`: the next section (stays on the last).
    pub fn next(&mut self) {
        if self.page + 1 < self.sections.len() {
            self.page += 1;
        }
    }

    /// `[`: the previous section.
    pub fn previous(&mut self) {
        self.page = self.page.saturating_sub(1);
    }
}

/// Draw the panel if it is shown, and return the part of `body` left for the exchanges
/// (empty on a narrow screen while the lesson is shown).
pub fn split(panel: Option<&LessonPanel>, frame: &mut Frame, body: Rect) -> Rect {
    let Some(panel) = panel.filter(|p| p.shown) else {
        return body;
    };
    if body.width < SIDE_BY_SIDE_WIDTH {
        render(panel, frame, body);
        return Rect::new(body.x, body.y, body.width, 0);
    }
    let [rest, side] = Layout::horizontal([
        Constraint::Percentage(100 - PANEL_PERCENT),
        Constraint::Percentage(PANEL_PERCENT),
    ])
    .areas(body);
    render(panel, frame, side);
    rest
}

/// The panel: the lesson's title, the section's heading and page, its text, the keys.
fn render(panel: &LessonPanel, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::LEFT | Borders::TOP)
        .border_style(DIM)
        .title(Line::from(vec![Span::styled(
            format!(" Lesson {}: {} ", panel.number, panel.title),
            TITLE,
        )]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [heading, text, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    let Some(section) = panel.sections.get(panel.page) else {
        return;
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(section.heading.clone(), TITLE),
            Span::styled(
                format!("  ({}/{})", panel.page + 1, panel.sections.len()),
                DIM,
            ),
        ])),
        heading,
    );
    let lines: Vec<Line> = section.lines.iter().map(|l| styled(l)).collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    frame.render_widget(
        Paragraph::new(Span::styled("[ ] sections · l hide the lesson", DIM)),
        keys,
    );
}

/// A line of the lesson: `inline code` in colour, the backticks dropped.
fn styled(line: &str) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, part) in line.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        spans.push(if i % 2 == 1 {
            Span::styled(part.to_string(), CODE)
        } else {
            Span::raw(part.to_string())
        });
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::inspector::keys::Command;
    use crate::inspector::state::{ServerInfo, State};
    use crate::inspector::ui::render as render_screen;

    /// A small lesson, written here so the snapshot does not change with the course's text.
    fn lesson() -> Lesson {
        Lesson {
            number: 1,
            title: "HTTP by hand".into(),
            path: "lessons/01-http-by-hand.md".into(),
            text: "<!-- app: apps/hello.py -->\n# Lesson 1: HTTP by hand\n\n\
                   ## What you will learn\n\nHow a request looks on the wire.\n\n\
                   ## Type this\n\nRun `telnet 127.0.0.1 8888` and type:\n\n\
                   ```http-request\nGET / HTTP/1.1\n\n```\n"
                .into(),
        }
    }

    fn state() -> State {
        let info = ServerInfo {
            address: "127.0.0.1:8888".parse().expect("a valid address"),
            app: "apps/hello.py".into(),
            python: "3.11.7".into(),
        };
        let mut state = State::new(info, false, Instant::now());
        state.lesson = Some(LessonPanel::new(&lesson()));
        state
    }

    fn screen(state: &State, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        terminal
            .draw(|frame| render_screen(state, frame))
            .expect("drawing succeeds");
        terminal.backend().to_string()
    }

    #[test]
    fn the_lesson_panel_sits_beside_the_exchanges_on_a_wide_screen() {
        insta::assert_snapshot!("lesson_panel_120x40", screen(&state(), 120, 40));
    }

    #[test]
    fn brackets_turn_the_pages_and_l_hides_the_panel() {
        let mut state = state();
        state.on_command(Command::LessonNext);
        insta::assert_snapshot!("lesson_panel_page_2_80x24", screen(&state, 80, 24));
        state.on_command(Command::LessonNext);
        assert_eq!(state.lesson.as_ref().map(|l| l.page), Some(1));
        state.on_command(Command::LessonPrevious);
        assert_eq!(state.lesson.as_ref().map(|l| l.page), Some(0));
        state.on_command(Command::ToggleLesson);
        assert!(!screen(&state, 80, 24).contains("Lesson 1: HTTP by hand"));
    }
}
