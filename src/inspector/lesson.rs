//! The lesson panel: `wsgiscope lesson N` shows the lesson beside the exchange views.
//!
//! The lesson is cut at its `## ` headings ([`crate::lessons::Lesson::sections`]); the panel
//! shows one section at a time, a page: `[` and `]` turn the pages, `{` and `}` scroll a page
//! that is longer than the panel, and `l` hides or shows the panel. The last row of the panel
//! says when more of the page follows (`↓ 12 more lines`), so nothing is cut off silently.
//!
//! **Prose is re-wrapped, code is not.** The lesson files break their lines at about 100
//! columns, for an editor; a panel is narrower or wider than that. So the panel joins the
//! lines of each paragraph and list item and wraps them again at its own width (a list item's
//! later rows hang under its text, after the `- `), while the lines of a code block, which a
//! student copies or types, stay exactly as written. A code line wider than the panel goes on
//! in the next row after a dim `↪` (a simplification: a real pager would scroll sideways).
//!
//! On a wide screen the panel is a column on the right and the exchanges stay in view; on a
//! narrow one (under [`SIDE_BY_SIDE_WIDTH`] columns) the lesson takes the top half of the body
//! and the exchanges the bottom half.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::ui::fit;
use crate::lessons::{Lesson, Section};

/// Screens at least this wide show the lesson beside the exchanges.
pub const SIDE_BY_SIDE_WIDTH: u16 = 100;
/// The share of a wide screen the panel takes, in percent.
const PANEL_PERCENT: u16 = 42;
/// The share of a narrow screen's body the panel takes, on top of the exchanges, in percent.
const NARROW_PANEL_PERCENT: u16 = 50;
/// Rows of a page `{` and `}` keep in view when they scroll by a panel's height, so the
/// reader sees where they were.
const SCROLL_OVERLAP: u16 = 1;

const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
const CODE: Style = Style::new().fg(Color::Cyan);
const DIM: Style = Style::new().fg(Color::DarkGray);
const MORE: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);

/// What the panel holds: the lesson's sections, which one is shown, and how far it is
/// scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonPanel {
    pub number: u32,
    pub title: String,
    pub sections: Vec<Section>,
    /// The section shown.
    pub page: usize,
    /// The first row of the page in view, once the page is wrapped to the panel's width.
    pub scroll: u16,
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
            scroll: 0,
            shown: true,
        }
    }

    /// `]`: the next section, from its top (stays on the last).
    pub fn next(&mut self) {
        if self.page + 1 < self.sections.len() {
            self.page += 1;
            self.scroll = 0;
        }
    }

    /// `[`: the previous section, from its top.
    pub fn previous(&mut self) {
        if self.page > 0 {
            self.page -= 1;
            self.scroll = 0;
        }
    }

    /// `}` (`down`) or `{`: scroll the page by the panel's height less [`SCROLL_OVERLAP`],
    /// never past the point where its last row is at the bottom. `body` is the part of the
    /// screen between the header and the footer, where the panel is drawn.
    pub fn scroll_by_a_panel(&mut self, down: bool, body: Rect) {
        let text = text_area(panel_area(body).0);
        let step = text.height.saturating_sub(SCROLL_OVERLAP).max(1);
        // From where the page is drawn: a terminal made taller since may show it all.
        let last = self.last_scroll(text);
        let from = self.scroll.min(last);
        self.scroll = if down {
            from.saturating_add(step).min(last)
        } else {
            from.saturating_sub(step)
        };
    }

    /// The page wrapped to a panel's text area of this width: the rows to draw.
    pub fn rows(&self, width: u16) -> Vec<Line<'static>> {
        self.sections
            .get(self.page)
            .map_or_else(Vec::new, |section| page_rows(section, width))
    }

    /// The largest useful scroll in a text area: the last row of the page at the bottom.
    fn last_scroll(&self, text: Rect) -> u16 {
        let rows = self.rows(text.width).len() as u16;
        rows.saturating_sub(text.height)
    }
}

/// Where the panel goes in `body`, and what is left for the exchanges: a column on the right
/// of a wide screen, the top half of a narrow one.
pub fn panel_area(body: Rect) -> (Rect, Rect) {
    if body.width < SIDE_BY_SIDE_WIDTH {
        let [panel, rest] = Layout::vertical([
            Constraint::Percentage(NARROW_PANEL_PERCENT),
            Constraint::Min(0),
        ])
        .areas(body);
        return (panel, rest);
    }
    let [rest, panel] = Layout::horizontal([
        Constraint::Percentage(100 - PANEL_PERCENT),
        Constraint::Percentage(PANEL_PERCENT),
    ])
    .areas(body);
    (panel, rest)
}

/// The panel's parts: its frame's inside, split into the heading row, the text and the row
/// that says what follows.
fn parts(panel: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame_block(String::new(), panel.width).inner(panel))
}

/// The rows where the page's text is drawn.
pub fn text_area(panel: Rect) -> Rect {
    parts(panel)[1]
}

/// The panel's frame, its title cut with `…` to fit `width` columns (the corner takes one).
fn frame_block(title: String, width: u16) -> Block<'static> {
    let room = usize::from(width.saturating_sub(1));
    Block::new()
        .borders(Borders::LEFT | Borders::TOP)
        .border_style(DIM)
        .title(fit(vec![Span::styled(title, TITLE)], room))
}

/// Draw the panel if it is shown, and return the part of `body` left for the exchanges.
pub fn split(panel: Option<&LessonPanel>, frame: &mut Frame, body: Rect) -> Rect {
    let Some(panel) = panel.filter(|p| p.shown) else {
        return body;
    };
    let (area, rest) = panel_area(body);
    render(panel, frame, area);
    rest
}

/// The panel: the lesson's title, the section's heading and page, its text, what follows.
fn render(panel: &LessonPanel, frame: &mut Frame, area: Rect) {
    let [heading, text, status] = parts(area);
    frame.render_widget(
        frame_block(
            format!(" Lesson {}: {} ", panel.number, panel.title),
            area.width,
        ),
        area,
    );
    let Some(section) = panel.sections.get(panel.page) else {
        return;
    };
    // The page number first, where a long heading cannot push it off.
    frame.render_widget(
        Paragraph::new(fit(
            vec![
                Span::styled(format!("{}/{} ", panel.page + 1, panel.sections.len()), DIM),
                Span::styled(section.heading.clone(), TITLE),
            ],
            usize::from(heading.width),
        )),
        heading,
    );
    let rows = page_rows(section, text.width);
    // Drawn from the clamped scroll: a smaller terminal may have fewer rows to scroll. (The
    // rows just wrapped give the last useful scroll: no need to wrap the page again.)
    let last = rows.len().saturating_sub(usize::from(text.height));
    let first = usize::from(panel.scroll).min(last);
    let shown: Vec<Line> = rows
        .iter()
        .skip(first)
        .take(usize::from(text.height))
        .cloned()
        .collect();
    let below = rows.len().saturating_sub(first + shown.len());
    frame.render_widget(Paragraph::new(shown), text);
    frame.render_widget(Paragraph::new(status_line(first, below)), status);
}

/// The panel's last row: how much of the page is above and below the view, and the keys.
fn status_line(above: usize, below: usize) -> Line<'static> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut spans = Vec::new();
    if below > 0 {
        spans.push(Span::styled(
            format!("↓ {below} more line{}", plural(below)),
            MORE,
        ));
    } else if above > 0 {
        spans.push(Span::styled("end of page", DIM));
    }
    if above > 0 || below > 0 {
        spans.push(Span::styled(" · } { scroll · [ ] pages · l hide", DIM));
    } else {
        spans.push(Span::styled("[ ] pages · l hide the lesson", DIM));
    }
    Line::from(spans)
}

/// One part of a page: a line of a code block, an empty line, or a paragraph or list item
/// whose lines are joined.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    Code(String),
    Blank,
    Prose {
        /// What its first row starts with: the indentation and a list marker (`- `, `1. `).
        lead: String,
        /// The text, its source lines joined by spaces.
        text: String,
    },
}

/// A list item's marker at the start of `line` (after its indentation): `- `, `* ` or `12. `.
fn list_marker(line: &str) -> Option<&str> {
    if line.starts_with("- ") || line.starts_with("* ") {
        return Some(&line[..2]);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && line[digits..].starts_with(". ")).then(|| &line[..digits + 2])
}

/// The section's lines as parts: code kept, prose joined.
fn parts_of(section: &Section) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for (line, &code) in section.lines.iter().zip(&section.code) {
        if code {
            out.push(Part::Code(line.clone()));
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            if out.last() != Some(&Part::Blank) {
                out.push(Part::Blank);
            }
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        match (list_marker(trimmed), out.last_mut()) {
            // A line that starts no item goes on with the paragraph or item above it.
            (None, Some(Part::Prose { text, .. })) => {
                text.push(' ');
                text.push_str(trimmed.trim_end());
            }
            (marker, _) => {
                let marker = marker.unwrap_or("");
                out.push(Part::Prose {
                    lead: format!("{indent}{marker}"),
                    text: trimmed[marker.len()..].trim_end().to_string(),
                });
            }
        }
    }
    out
}

/// A word of prose: its pieces, each plain or `inline code` (the backticks dropped).
type Word = Vec<(String, bool)>;

/// The words of a paragraph, split at spaces, with what was between backticks marked as code.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut word: Word = Vec::new();
    let mut code = false;
    for c in text.chars() {
        match c {
            '`' => code = !code,
            ' ' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => match word.last_mut() {
                Some((piece, in_code)) if *in_code == code => piece.push(c),
                _ => word.push((c.to_string(), code)),
            },
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn word_width(word: &Word) -> usize {
    word.iter().map(|(piece, _)| piece.chars().count()).sum()
}

fn spans_of(word: Word) -> impl Iterator<Item = Span<'static>> {
    word.into_iter().map(|(piece, code)| {
        if code {
            Span::styled(piece, CODE)
        } else {
            Span::raw(piece)
        }
    })
}

/// Cut a word wider than `width` into pieces that fit (a long URL or path).
fn cut_word(word: Word, width: usize) -> Vec<Word> {
    let mut out: Vec<Word> = vec![Vec::new()];
    let mut used = 0;
    for (piece, code) in word {
        for c in piece.chars() {
            if used == width {
                out.push(Vec::new());
                used = 0;
            }
            let current = out.last_mut().expect("out always has a word to fill");
            match current.last_mut() {
                Some((p, in_code)) if *in_code == code => p.push(c),
                _ => current.push((c.to_string(), code)),
            }
            used += 1;
        }
    }
    out
}

/// A paragraph or list item wrapped at `width`: the first row starts with `lead`, the others
/// hang under the text after it.
fn wrap_prose(lead: &str, text: &str, width: usize) -> Vec<Line<'static>> {
    let hang = lead.chars().count().min(width.saturating_sub(1));
    let room = width.saturating_sub(hang).max(1);
    let mut rows = Vec::new();
    let mut row: Vec<Span<'static>> = vec![Span::raw(lead.to_string())];
    let mut used = 0;
    for word in words(text) {
        let pieces = if word_width(&word) > room {
            cut_word(word, room)
        } else {
            vec![word]
        };
        for piece in pieces {
            let w = word_width(&piece);
            if used > 0 && used + 1 + w > room {
                rows.push(Line::from(std::mem::take(&mut row)));
                row.push(Span::raw(" ".repeat(hang)));
                used = 0;
            }
            if used > 0 {
                row.push(Span::raw(" "));
                used += 1;
            }
            row.extend(spans_of(piece));
            used += w;
        }
    }
    rows.push(Line::from(row));
    rows
}

/// A code line, as written; wider than `width`, it goes on in the next rows after a dim `↪`.
fn code_rows(line: &str, width: usize) -> Vec<Line<'static>> {
    const GOES_ON: &str = "↪ ";
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= width || width <= GOES_ON.chars().count() {
        return vec![Line::styled(line.to_string(), CODE)];
    }
    let mut rows = vec![Line::styled(
        chars[..width].iter().collect::<String>(),
        CODE,
    )];
    for rest in chars[width..].chunks(width - GOES_ON.chars().count()) {
        rows.push(Line::from(vec![
            Span::styled(GOES_ON, DIM),
            Span::styled(rest.iter().collect::<String>(), CODE),
        ]));
    }
    rows
}

/// A section wrapped for a text area `width` columns wide: the rows the panel draws.
pub fn page_rows(section: &Section, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut rows = Vec::new();
    for part in parts_of(section) {
        match part {
            Part::Code(line) => rows.extend(code_rows(&line, width)),
            Part::Blank => rows.push(Line::raw("")),
            Part::Prose { lead, text } => rows.extend(wrap_prose(&lead, &text, width)),
        }
    }
    rows
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

    /// The start of lesson 1 as it was written when the panel learnt to scroll (its third
    /// page, "Type a request", is longer than the panel at 120×40 and at 80×24), kept here so
    /// the snapshots do not change with the course's text. The real lessons are tested below.
    fn lesson() -> Lesson {
        Lesson {
            number: 1,
            title: "HTTP by hand".into(),
            path: "lessons/01-http-by-hand.md".into(),
            text: include_str!("testdata/lesson-01-start.md").into(),
        }
    }

    fn state_with(lesson: &Lesson, width: u16, height: u16) -> State {
        let info = ServerInfo {
            address: "127.0.0.1:8888".parse().expect("a valid address"),
            app: "apps/hello.py".into(),
            python: "3.11.7".into(),
        };
        let mut state = State::new(info, false, Instant::now());
        state.lesson = Some(LessonPanel::new(lesson));
        state.screen = Rect::new(0, 0, width, height);
        state
    }

    fn screen(state: &State) -> String {
        let (width, height) = (state.screen.width, state.screen.height);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        terminal
            .draw(|frame| render_screen(state, frame))
            .expect("drawing succeeds");
        terminal.backend().to_string()
    }

    /// The text of the panel's rows on screen, without the frame and the exchanges around
    /// them: what a student can read of the page now.
    fn panel_text(state: &State) -> Vec<String> {
        let text = text_area(panel_area(crate::inspector::ui::body_area(state.screen)).0);
        let mut terminal = Terminal::new(TestBackend::new(state.screen.width, state.screen.height))
            .expect("a test terminal");
        let frame = terminal
            .draw(|frame| render_screen(state, frame))
            .expect("drawing succeeds");
        (text.top()..text.bottom())
            .map(|y| {
                (text.left()..text.right())
                    .map(|x| frame.buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect()
    }

    fn turn_to(state: &mut State, page: usize) {
        for _ in 0..page {
            state.on_command(Command::LessonNext);
        }
    }

    /// Beside the lesson the list is narrower: it drops the client's address (`conn` still
    /// tells the connections apart) rather than cut it.
    #[test]
    fn the_lesson_panel_sits_beside_the_exchanges_on_a_wide_screen() {
        use chrono::TimeZone;
        let mut state = state_with(&lesson(), 120, 40);
        let mut ex =
            crate::exchange::Exchange::new(1, "127.0.0.1:50001".parse().expect("a valid address"));
        ex.connection.id = 1;
        ex.started = chrono::Local
            .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
            .single()
            .expect("an unambiguous local time");
        ex.request_raw.push(b"GET / HTTP/1.1\r\n\r\n");
        ex.method = Some("GET".into());
        ex.target = Some("/".into());
        ex.status = Some(200);
        ex.body_bytes = 12;
        ex.timings.parse_request = std::time::Duration::from_micros(20);
        ex.timings.receiving = std::time::Duration::from_millis(4_200);
        state.on_event(crate::exchange::Event::Finished(Box::new(ex)));
        insta::assert_snapshot!("lesson_panel_120x40", screen(&state));
    }

    /// At 80×24 the lesson takes the top half and the exchanges the bottom half.
    #[test]
    fn on_a_narrow_screen_the_lesson_and_the_exchanges_share_it() {
        let mut state = state_with(&lesson(), 80, 24);
        state.on_command(Command::LessonNext);
        let shown = screen(&state);
        assert!(shown.contains("Lesson 1: HTTP by hand") && shown.contains("exchanges"));
        insta::assert_snapshot!("lesson_panel_page_2_80x24", shown);
    }

    /// A long page says how much follows, `}` scrolls it by a panel's height (one row kept
    /// in view) and stops with its last row at the bottom; `{` goes back; `[` opens the page
    /// before at its top.
    #[test]
    fn a_long_page_says_more_follows_and_scrolls_to_its_end() {
        for (width, height) in [(120, 40), (80, 24)] {
            let mut state = state_with(&lesson(), width, height);
            turn_to(&mut state, 2);
            insta::assert_snapshot!(
                format!("lesson_long_page_top_{width}x{height}"),
                screen(&state)
            );
            let top = panel_text(&state);
            state.on_command(Command::LessonScrollDown);
            let next = panel_text(&state);
            assert_eq!(
                next.first(),
                top.last(),
                "{width}x{height}: the last row stays in view"
            );
            for _ in 0..20 {
                state.on_command(Command::LessonScrollDown);
            }
            insta::assert_snapshot!(
                format!("lesson_long_page_end_{width}x{height}"),
                screen(&state)
            );
            let end = state.lesson.as_ref().map(|l| l.scroll);
            state.on_command(Command::LessonScrollUp);
            assert!(
                state.lesson.as_ref().map(|l| l.scroll) < end,
                "{width}x{height}: one {{ goes back from the end, however often }} was pressed"
            );
            state.on_command(Command::LessonPrevious);
            assert_eq!(state.lesson.as_ref().map(|l| l.scroll), Some(0));
        }
    }

    /// The prose is wrapped at the panel's width, not at the file's line breaks: a paragraph
    /// of three source lines fills the rows, and no row but its last could take the next
    /// word. Code lines stay as written.
    #[test]
    fn prose_is_rewrapped_to_the_panel_and_code_is_kept() {
        let lesson = lesson();
        let section = &lesson.sections()[1];
        let rows: Vec<String> = page_rows(section, 60)
            .iter()
            .map(|row| row.to_string())
            .collect();
        assert!(
            rows.contains(&"wsgiscope apps/hello.py        # or: wsgiscope lesson 1".into()),
            "the code line is kept with its spaces: {rows:#?}"
        );
        let paragraph = rows
            .iter()
            .position(|r| r.starts_with("The inspector opens."))
            .expect("the paragraph");
        let mut n = paragraph;
        while n + 1 < rows.len() && !rows[n + 1].is_empty() {
            let next_word = rows[n + 1].split(' ').next().unwrap_or("");
            assert!(
                rows[n].chars().count() + 1 + next_word.chars().count() > 60,
                "row {n} {:?} had room for {next_word:?}",
                rows[n]
            );
            n += 1;
        }
        assert!(n > paragraph, "the paragraph takes several rows");
        assert!(rows.iter().all(|r| r.chars().count() <= 60), "{rows:#?}");
        // A list item's later rows hang under its text.
        let items = page_rows(&lesson.sections()[0], 30);
        let item = items
            .iter()
            .position(|r| r.to_string().starts_with("- that HTTP is text"))
            .expect("the first item");
        assert!(items[item + 1].to_string().starts_with("  "), "{items:#?}");
    }

    /// A code line wider than the panel is not cut: it goes on in the next row after `↪`.
    #[test]
    fn a_code_line_wider_than_the_panel_goes_on_in_the_next_row() {
        let rows = code_rows("printf 'GET / HTTP/1.1\\n\\n' | nc 127.0.0.1 8888", 20);
        let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            text,
            [
                "printf 'GET / HTTP/1",
                "↪ .1\\n\\n' | nc 127.0",
                "↪ .0.1 8888",
            ]
        );
    }

    /// The real lessons 1, 3 and 8, whose third pages were cut off before the panel scrolled:
    /// scrolling from the top to the end of every page shows every word of it, at 120×40 and
    /// at 80×24.
    #[test]
    fn every_word_of_the_real_lessons_can_be_scrolled_into_view() {
        let dir = crate::lessons::find_dir(None).expect("the lessons folder");
        let lessons = crate::lessons::list(&dir).expect("the lessons load");
        for number in [1, 3, 8] {
            let lesson = lessons
                .iter()
                .find(|l| l.number == number)
                .expect("the lesson exists");
            for (width, height) in [(120, 40), (80, 24)] {
                let mut state = state_with(lesson, width, height);
                for (page, section) in lesson.sections().iter().enumerate() {
                    let mut seen = String::new();
                    loop {
                        seen.push_str(&panel_text(&state).join("\n"));
                        let before = state.lesson.as_ref().map(|l| l.scroll);
                        state.on_command(Command::LessonScrollDown);
                        if state.lesson.as_ref().map(|l| l.scroll) == before {
                            break;
                        }
                    }
                    // A code line cut at the panel's edge goes on after `↪`.
                    let seen: String = seen.replace('↪', "").split_whitespace().collect();
                    for word in section.lines.join(" ").replace('`', "").split_whitespace() {
                        assert!(
                            seen.contains(word),
                            "lesson {number} page {} at {width}x{height}: {word:?} never shows",
                            page + 1
                        );
                    }
                    state.on_command(Command::LessonNext);
                }
            }
        }
    }

    #[test]
    fn brackets_turn_the_pages_and_l_hides_the_panel() {
        let mut state = state_with(&lesson(), 80, 24);
        state.on_command(Command::LessonNext);
        state.on_command(Command::LessonNext);
        state.on_command(Command::LessonNext);
        assert_eq!(
            state.lesson.as_ref().map(|l| l.page),
            Some(2),
            "stays on the last"
        );
        state.on_command(Command::LessonPrevious);
        assert_eq!(state.lesson.as_ref().map(|l| l.page), Some(1));
        state.on_command(Command::ToggleLesson);
        assert!(!screen(&state).contains("Lesson 1: HTTP by hand"));
    }
}
