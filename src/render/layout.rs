//! Page layout, pure: what goes where on which page, in points from the bottom-left corner
//! of an A4 page. Lines break at Unicode (UAX #14) opportunities, preferring those after a
//! space so that the extracted text reads exactly as written; body lines are justified by
//! spreading the spaces; a paragraph never leaves a single line alone at the foot or the
//! head of a page; the header is drawn on page 1 and the footer on every page.

use unicode_linebreak::{BreakOpportunity, linebreaks};

use super::markup::{Block, Face, Span};

pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 70.87;
const RIGHT: f32 = PAGE_WIDTH - 70.87;
const TOP: f32 = PAGE_HEIGHT - 56.69;
/// The lowest baseline of body text; the footer lives below.
const BODY_BOTTOM: f32 = 92.0;
const BODY_SIZE: f32 = 12.0;
const LEADING: f32 = 14.5;
const PARAGRAPH_GAP: f32 = 11.0;
/// The indent of a hanging list point, and of a block quote (1 cm).
const HANG: f32 = 28.35;
/// Where the values of the From/To/Subject rows start (4 cm from the margin).
const VALUE_X: f32 = LEFT + 113.4;
const FOOTER_SIZE: f32 = 10.0;

/// Glyph advances, in ems, of the faces the page is set in.
pub trait Measure {
    fn advance(&self, face: Face, c: char) -> Option<f32>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the character {c:?} (U+{code:04X}) cannot be printed: the Council's face has no glyph for it", code = *c as u32)]
pub struct MissingGlyph {
    pub c: char,
}

/// Why a note cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error(transparent)]
    Glyph(#[from] MissingGlyph),
    /// Laying out stops at the first page past the limit: a note of thousands of pages
    /// costs no more than one of `max` pages.
    #[error("the note would run to more than {max} pages")]
    TooLong { max: usize },
}

/// The first page's header, in the note's language.
#[derive(Debug, Clone)]
pub struct Header {
    pub institution: [String; 2],
    pub place_and_date: String,
    pub number: String,
    pub marking: Option<String>,
    pub interinstitutional_file: Option<String>,
    pub codes: String,
    pub kind: String,
    /// Label and value rows: From, To, No. prev. doc., Subject.
    pub rows: Vec<(String, String)>,
}

/// What every page's two footer lines carry besides the page number.
#[derive(Debug, Clone)]
pub struct Footer {
    pub number: String,
    pub initials: String,
    pub unit: String,
    pub marking: Option<String>,
    pub language: String,
}

/// One line of text at its baseline. `word_gap` is the space added to each U+0020 to
/// justify the line; `hang` is a list point's label, set one indent left of `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub spans: Vec<Span>,
    pub word_gap: f32,
    pub hang: Option<Span>,
}

/// How far a list point's label sits left of its text.
pub const HANG_WIDTH: f32 = HANG;

impl Line {
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A horizontal rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub x1: f32,
    pub x2: f32,
    pub y: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
}

/// Lays out a whole note of at most `max_pages` pages.
pub fn layout(
    header: &Header,
    blocks: &[Block],
    footer: &Footer,
    m: &impl Measure,
    max_pages: usize,
) -> Result<Vec<Page>, LayoutError> {
    let mut pages = vec![Page::default()];
    let body_top = lay_header(header, &mut pages[0], m)?;
    let mut flow = Flow {
        pages,
        y: body_top,
        page_top: false,
        max_pages,
    };
    for (i, block) in blocks.iter().enumerate() {
        let lines = block_lines(block, m)?;
        // A heading keeps company with the first two lines of what follows it.
        let keep_with = match (block, blocks.get(i + 1)) {
            (Block::Heading(_), Some(next)) => block_lines(next, m)?.len().min(2),
            _ => 0,
        };
        flow.place(lines, keep_with)?;
    }
    for (i, page) in flow.pages.iter_mut().enumerate() {
        lay_footer(footer, i + 1, page, m)?;
    }
    Ok(flow.pages)
}

/// Body lines flowing down the pages.
struct Flow {
    pages: Vec<Page>,
    /// The baseline of the line above the next one.
    y: f32,
    page_top: bool,
    max_pages: usize,
}

impl Flow {
    fn fits(&self, gap: f32) -> usize {
        let room = self.y - gap - BODY_BOTTOM;
        if room < LEADING {
            0
        } else {
            (room / LEADING) as usize
        }
    }

    fn new_page(&mut self) -> Result<(), LayoutError> {
        if self.pages.len() >= self.max_pages {
            return Err(LayoutError::TooLong {
                max: self.max_pages,
            });
        }
        self.pages.push(Page::default());
        self.y = TOP + LEADING - BODY_SIZE;
        self.page_top = true;
        Ok(())
    }

    /// Places a block's lines; `keep_with` lines of the next block must fit after it.
    fn place(&mut self, lines: Vec<Line>, keep_with: usize) -> Result<(), LayoutError> {
        let mut rest = &lines[..];
        loop {
            let gap = if self.page_top { 0.0 } else { PARAGRAPH_GAP };
            let fits = self.fits(gap);
            if rest.len() + keep_with <= fits || (self.page_top && rest.len() <= fits) {
                self.put(rest, gap);
                return Ok(());
            }
            let mut take = fits.min(rest.len());
            if keep_with > 0 {
                take = 0;
            }
            if rest.len() - take == 1 {
                take = take.saturating_sub(1); // no widow: carry two lines over
            }
            if take == 1 {
                take = 0; // no orphan: move the whole start over
            }
            if take == 0 && self.page_top {
                take = fits.max(1).min(rest.len()); // a page cannot help; place what fits
            }
            self.put(&rest[..take], gap);
            rest = &rest[take..];
            self.new_page()?;
            if rest.is_empty() {
                return Ok(());
            }
        }
    }

    fn put(&mut self, lines: &[Line], gap: f32) {
        if lines.is_empty() {
            return;
        }
        self.y -= gap;
        let page = self.pages.last_mut().expect("there is always a page");
        for line in lines {
            self.y -= LEADING;
            page.lines.push(Line {
                y: self.y,
                ..line.clone()
            });
        }
        self.page_top = false;
    }
}

/// Draws the header on page 1 and returns the baseline above the body's first line.
fn lay_header(h: &Header, page: &mut Page, m: &impl Measure) -> Result<f32, MissingGlyph> {
    let mut y = TOP - 14.0;
    page.lines
        .push(single(&h.institution[0], Face::Bold, 14.0, LEFT, y));
    y -= 16.5;
    page.lines
        .push(single(&h.institution[1], Face::Bold, 14.0, LEFT, y));
    page.lines.push(aligned(
        &h.place_and_date,
        Face::Regular,
        BODY_SIZE,
        RIGHT,
        Align::Right,
        y,
        m,
    )?);

    y -= 40.0;
    page.lines
        .push(single(&h.number, Face::Bold, 14.0, LEFT, y));
    if let Some(marking) = &h.marking {
        page.lines.push(aligned(
            marking,
            Face::Bold,
            14.0,
            RIGHT,
            Align::Right,
            y,
            m,
        )?);
    }
    if let Some(file) = &h.interinstitutional_file {
        y -= 17.0;
        page.lines
            .push(single(file, Face::Regular, BODY_SIZE, LEFT, y));
    }
    y -= 4.0;
    for line in break_lines(&plain(&h.codes), BODY_SIZE, RIGHT - LEFT, m)? {
        y -= LEADING;
        page.lines.push(Line {
            x: LEFT,
            y,
            word_gap: 0.0,
            ..line.line
        });
    }

    y -= 34.0;
    page.lines.push(aligned(
        &h.kind,
        Face::Bold,
        14.0,
        PAGE_WIDTH / 2.0,
        Align::Centre,
        y,
        m,
    )?);
    y -= 14.0;
    for (label, value) in &h.rows {
        y -= LEADING + 4.0;
        page.lines
            .push(single(label, Face::Regular, BODY_SIZE, LEFT, y));
        for (i, line) in break_lines(&plain(value), BODY_SIZE, RIGHT - VALUE_X, m)?
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                y -= LEADING;
            }
            page.lines.push(Line {
                x: VALUE_X,
                y,
                word_gap: 0.0,
                ..line.line
            });
        }
    }
    page.rules.push(Rule {
        x1: LEFT,
        x2: RIGHT,
        y: y - 10.0,
    });
    Ok(y - 22.0)
}

fn lay_footer(
    f: &Footer,
    number: usize,
    page: &mut Page,
    m: &impl Measure,
) -> Result<(), MissingGlyph> {
    let (line1, line2) = (58.0, 45.0);
    page.rules.push(Rule {
        x1: LEFT,
        x2: RIGHT,
        y: line1 + FOOTER_SIZE + 3.0,
    });
    let centre = PAGE_WIDTH / 2.0;
    page.lines
        .push(single(&f.number, Face::Regular, FOOTER_SIZE, LEFT, line1));
    page.lines.push(aligned(
        &f.initials,
        Face::Regular,
        FOOTER_SIZE,
        centre,
        Align::Centre,
        line1,
        m,
    )?);
    page.lines.push(aligned(
        &number.to_string(),
        Face::Regular,
        FOOTER_SIZE,
        RIGHT,
        Align::Right,
        line1,
        m,
    )?);
    page.lines
        .push(single(&f.unit, Face::Regular, FOOTER_SIZE, LEFT, line2));
    if let Some(marking) = &f.marking {
        page.lines.push(aligned(
            marking,
            Face::Bold,
            FOOTER_SIZE,
            centre,
            Align::Centre,
            line2,
            m,
        )?);
    }
    page.lines.push(aligned(
        &f.language,
        Face::Regular,
        FOOTER_SIZE,
        RIGHT,
        Align::Right,
        line2,
        m,
    )?);
    Ok(())
}

/// The lines of one body block, positioned horizontally; `y` is set by the flow.
fn block_lines(block: &Block, m: &impl Measure) -> Result<Vec<Line>, MissingGlyph> {
    let width = RIGHT - LEFT;
    let lines = match block {
        Block::Paragraph(spans) => at(LEFT, break_lines(spans, BODY_SIZE, width, m)?, true),
        Block::Quote(spans) => at(
            LEFT + HANG,
            break_lines(spans, BODY_SIZE, width - 2.0 * HANG, m)?,
            true,
        ),
        Block::Heading(spans) => break_lines(spans, BODY_SIZE, width - 2.0 * HANG, m)?
            .into_iter()
            .map(|b| Line {
                x: PAGE_WIDTH / 2.0 - b.width / 2.0,
                word_gap: 0.0,
                ..b.line
            })
            .collect(),
        Block::Item {
            label,
            depth,
            spans,
        } => {
            let indent = HANG * (*depth as f32 + 1.0);
            let mut lines = at(
                LEFT + indent,
                break_lines(spans, BODY_SIZE, width - indent, m)?,
                true,
            );
            if let Some(first) = lines.first_mut() {
                let face = first.spans.first().map_or(Face::Regular, |s| s.face);
                first.hang = Some(Span {
                    face,
                    text: label.clone(),
                });
            }
            lines
        }
    };
    Ok(lines)
}

fn at(x: f32, broken: Vec<Broken>, justify: bool) -> Vec<Line> {
    broken
        .into_iter()
        .map(|b| Line {
            x,
            word_gap: if justify { b.justify_gap } else { 0.0 },
            ..b.line
        })
        .collect()
}

fn plain(text: &str) -> Vec<Span> {
    vec![Span {
        face: Face::Regular,
        text: text.to_owned(),
    }]
}

fn single(text: &str, face: Face, size: f32, x: f32, y: f32) -> Line {
    Line {
        x,
        y,
        size,
        spans: vec![Span {
            face,
            text: text.to_owned(),
        }],
        word_gap: 0.0,
        hang: None,
    }
}

enum Align {
    Right,
    Centre,
}

fn aligned(
    text: &str,
    face: Face,
    size: f32,
    anchor: f32,
    align: Align,
    y: f32,
    m: &impl Measure,
) -> Result<Line, MissingGlyph> {
    let width = width_of(text, face, size, m)?;
    let x = match align {
        Align::Right => anchor - width,
        Align::Centre => anchor - width / 2.0,
    };
    Ok(single(text, face, size, x, y))
}

fn width_of(text: &str, face: Face, size: f32, m: &impl Measure) -> Result<f32, MissingGlyph> {
    text.chars()
        .try_fold(0.0, |w, c| Ok(w + advance(face, c, m)? * size))
}

fn advance(face: Face, c: char, m: &impl Measure) -> Result<f32, MissingGlyph> {
    if c == '\n' {
        return Ok(0.0);
    }
    m.advance(face, c).ok_or(MissingGlyph { c })
}

#[cfg(test)]
thread_local! {
    /// Steps taken by the line breaker on this thread (characters measured, segments
    /// visited, characters emitted): counted by tests, which prove the work linear without
    /// a clock.
    pub(super) static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn step(n: usize) {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// A line out of the line breaker, before it is positioned.
#[derive(Debug)]
struct Broken {
    line: Line,
    /// Natural width, without the trailing space.
    width: f32,
    /// The extra width per space that would fill the line (0 for a paragraph's last line).
    justify_gap: f32,
}

/// A stretch between two break opportunities.
struct Segment {
    start: usize,
    end: usize,
    /// Width including trailing spaces, and without them.
    full: f32,
    trimmed: f32,
    after_space: bool,
    mandatory: bool,
}

/// Breaks styled text into lines no wider than `width`, in one pass over the text: the
/// current line's width is kept running, with the last place after a space where it may
/// end, so a line of many break opportunities costs no more than a line of few.
fn break_lines(
    spans: &[Span],
    size: f32,
    width: f32,
    m: &impl Measure,
) -> Result<Vec<Broken>, MissingGlyph> {
    let text: String = spans
        .iter()
        .map(|s| s.text.as_str())
        .collect::<String>()
        .replace('\t', " ");
    let mut faces = Vec::with_capacity(text.len());
    for span in spans {
        faces.extend(std::iter::repeat_n(span.face, span.text.len()));
    }
    let segments = segments(&text, &faces, size, width, m)?;

    let emit = |from: usize, to: usize, natural: f32, last: bool| -> Broken {
        let from = segments[from].start;
        let content = text[from..segments[to - 1].end].trim_end_matches([' ', '\n']);
        step(content.len());
        let mut line_spans: Vec<Span> = Vec::new();
        for (offset, c) in content.char_indices() {
            let face = faces[from + offset];
            match line_spans.last_mut() {
                Some(span) if span.face == face => span.text.push(c),
                _ => line_spans.push(Span {
                    face,
                    text: c.to_string(),
                }),
            }
        }
        let spaces = content.matches(' ').count();
        let gap = if last || spaces == 0 {
            0.0
        } else {
            (width - natural) / spaces as f32
        };
        Broken {
            line: Line {
                x: 0.0,
                y: 0.0,
                size,
                spans: line_spans,
                word_gap: 0.0,
                hang: None,
            },
            width: natural,
            // A line with gaps wider than an em reads worse justified than ragged.
            justify_gap: if gap > size { 0.0 } else { gap.max(0.0) },
        }
    };
    // The full width of segments `from..to`, and the natural width of a line of them.
    let measure = |from: usize, to: usize| -> (f32, f32) {
        step(to - from);
        segments[from..to]
            .iter()
            .fold((0.0, 0.0), |(full, _), s| (full + s.full, full + s.trimmed))
    };

    let mut lines = Vec::new();
    // The current line is segments `start..i`: `full` wide with trailing spaces, `natural`
    // wide without; `space` is its last segment after a space, and its width if it ended there.
    let mut start = 0;
    let (mut full, mut natural) = (0.0_f32, 0.0_f32);
    let mut space: Option<(usize, f32)> = None;
    for (i, segment) in segments.iter().enumerate() {
        step(1);
        while i > start && full + segment.trimmed > width {
            // Break after the last space that keeps the line within the width, else at
            // the last opportunity of any kind.
            let (cut, width_there) = match space {
                Some((p, w)) if w <= width => (p + 1, w),
                _ => (i, natural),
            };
            lines.push(emit(start, cut, width_there, false));
            start = cut;
            space = None;
            (full, natural) = measure(start, i);
        }
        natural = full + segment.trimmed;
        if segment.after_space {
            space = Some((i, natural));
        }
        full += segment.full;
        if segment.mandatory {
            lines.push(emit(start, i + 1, natural, true));
            start = i + 1;
            (full, natural) = (0.0, 0.0);
            space = None;
        }
    }
    if start < segments.len() {
        lines.push(emit(start, segments.len(), natural, true));
    }
    Ok(lines)
}

/// The stretches between the break opportunities of `text`, measured; a stretch too long
/// for any line (a long reference or address) is cut where it must be.
fn segments(
    text: &str,
    faces: &[Face],
    size: f32,
    width: f32,
    m: &impl Measure,
) -> Result<Vec<Segment>, MissingGlyph> {
    let mut segments = Vec::new();
    let mut start = 0;
    for (end, opportunity) in linebreaks(text) {
        let piece = &text[start..end];
        let body = piece.trim_end_matches([' ', '\n']);
        let mut cut = start;
        let mut trimmed = 0.0_f32;
        for (i, c) in body.char_indices() {
            step(1);
            let w = advance(faces[start + i], c, m)? * size;
            if trimmed + w > width && start + i > cut {
                segments.push(Segment {
                    start: cut,
                    end: start + i,
                    full: trimmed,
                    trimmed,
                    after_space: false,
                    mandatory: false,
                });
                cut = start + i;
                trimmed = 0.0;
            }
            trimmed += w;
        }
        let mut full = trimmed;
        for (i, c) in piece[body.len()..].char_indices() {
            step(1);
            full += advance(faces[start + body.len() + i], c, m)? * size;
        }
        segments.push(Segment {
            start: cut,
            end,
            full,
            trimmed,
            after_space: piece.ends_with(' '),
            mandatory: opportunity == BreakOpportunity::Mandatory,
        });
        start = end;
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fonts::Fonts;

    fn header() -> Header {
        Header {
            institution: ["Council of the".into(), "European Union".into()],
            place_and_date: "Brussels, 3 March 2022 (OR. fr)".into(),
            number: "6762/22".into(),
            marking: Some("LIMITE".into()),
            interinstitutional_file: None,
            codes: "JAI 274 JAIEX 22".into(),
            kind: "NOTE".into(),
            rows: vec![
                ("From:".into(), "Presidency".into()),
                ("Subject:".into(), "A subject ".repeat(20)),
            ],
        }
    }

    fn footer() -> Footer {
        Footer {
            number: "6762/22".into(),
            initials: "AB/cd".into(),
            unit: "JAI.1".into(),
            marking: None,
            language: "EN".into(),
        }
    }

    fn paragraph(words: usize, seed: usize) -> Block {
        let text: Vec<String> = (0..words)
            .map(|i| {
                [
                    "delegations",
                    "will",
                    "find",
                    "attached",
                    "the",
                    "text",
                    "of",
                    "a",
                ][(i + seed) % 8]
                    .to_owned()
            })
            .collect();
        Block::Paragraph(plain(&text.join(" ")))
    }

    fn width(line: &Line) -> f32 {
        let fonts = Fonts::get();
        line.spans
            .iter()
            .map(|s| width_of(&s.text, s.face, line.size, fonts).unwrap())
            .sum::<f32>()
            + line.word_gap * line.text().matches(' ').count() as f32
    }

    #[test]
    fn justified_lines_fill_the_measure_and_the_last_does_not() {
        let lines = break_lines(&plain(&"word ".repeat(60)), 12.0, 300.0, Fonts::get()).unwrap();
        assert!(lines.len() > 3);
        for (i, b) in lines.iter().enumerate() {
            let line = Line {
                word_gap: b.justify_gap,
                ..b.line.clone()
            };
            if i + 1 < lines.len() {
                assert!(
                    (width(&line) - 300.0).abs() < 0.01,
                    "line {i}: {}",
                    width(&line)
                );
            } else {
                assert_eq!(b.justify_gap, 0.0);
            }
            assert!(!line.text().ends_with(' ') && !line.text().starts_with(' '));
        }
        let text: Vec<String> = lines.iter().map(|b| b.line.text()).collect();
        assert_eq!(text.join(" "), "word ".repeat(60).trim_end());
    }

    #[test]
    fn no_break_spaces_hold_and_hyphens_break_only_when_needed() {
        let text = "« déclaration » 2021-2025 "
            .repeat(12)
            .replace("« ", "«\u{202F}")
            .replace(" »", "\u{202F}»");
        for b in break_lines(&plain(&text), 12.0, 200.0, Fonts::get()).unwrap() {
            let line = b.line.text();
            assert!(!line.starts_with('»') && !line.ends_with('«'), "{line:?}");
            assert!(
                !line.ends_with('-'),
                "a space break was available: {line:?}"
            );
        }
        let long = break_lines(&plain("see https://www.consilium.europa.eu/register/en/content/out?typ=ENTRY&i=ADV&DOC_ID=ST-6762-2022-INIT"), 12.0, 150.0, Fonts::get()).unwrap();
        assert!(long.len() > 1);
        assert!(long.iter().all(|b| b.width <= 150.0 + 0.01));
    }

    #[test]
    fn forced_breaks_end_lines_unjustified() {
        let lines =
            break_lines(&plain("first line\nsecond line"), 12.0, 400.0, Fonts::get()).unwrap();
        assert_eq!(
            lines.iter().map(|b| b.line.text()).collect::<Vec<_>>(),
            ["first line", "second line"]
        );
    }

    /// Steps the breaker takes on `text`.
    fn steps_for(text: &str) -> u64 {
        STEPS.with(|s| s.set(0));
        break_lines(&plain(text), 12.0, 300.0, Fonts::get()).unwrap();
        STEPS.with(|s| s.get())
    }

    #[test]
    fn breaking_zero_width_pairs_takes_linear_work() {
        // Issue 10, finding 1: the pairs never fill a line, and each break opportunity
        // used to re-sum the whole line.
        let pairs = |n| "\u{200B}\u{200D}".repeat(n);
        let (small, large) = (steps_for(&pairs(4_000)), steps_for(&pairs(40_000)));
        let chars = 80_000;
        assert!(large <= 12 * chars, "{large} steps for {chars} characters");
        assert!(
            large <= 12 * small,
            "10× the text took {large} / {small} steps"
        );
        let words = steps_for(&"justified words ".repeat(5_000));
        assert!(words <= 12 * 80_000, "{words} steps for 80,000 characters");
    }

    #[test]
    fn missing_glyphs_are_reported() {
        let e = break_lines(&plain("漢字"), 12.0, 400.0, Fonts::get()).unwrap_err();
        assert_eq!(e, MissingGlyph { c: '漢' });
        assert!(e.to_string().contains("U+6F22"));
    }

    #[test]
    fn thirty_paragraphs_span_pages_without_widows_or_orphans() {
        let blocks: Vec<Block> = (0..30).map(|i| paragraph(40 + (i * 7) % 60, i)).collect();
        let pages = layout(&header(), &blocks, &footer(), Fonts::get(), 500).unwrap();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            let number = page
                .lines
                .iter()
                .find(|l| l.y == 58.0 && l.text() == (n + 1).to_string());
            assert!(number.is_some(), "page {} carries its number", n + 1);
            assert!(
                page.lines
                    .iter()
                    .any(|l| l.text() == "6762/22" && l.y == 58.0)
            );
            assert!(page.lines.iter().any(|l| l.text() == "JAI.1"));
            // Below the body's lowest baseline sit only the footer's two lines (58 and 45).
            let below: Vec<(f32, String)> = page
                .lines
                .iter()
                .filter(|l| l.y < BODY_BOTTOM && l.y != 58.0 && l.y != 45.0)
                .map(|l| (l.y, l.text()))
                .collect();
            assert!(below.is_empty(), "page {}: {below:?} under the body", n + 1);
        }
        assert_eq!(
            pages
                .iter()
                .filter(|p| p.lines.iter().any(|l| l.text() == "Council of the"))
                .count(),
            1,
            "header on page 1 only"
        );
        // Every body line is placed once, in order, after the header's lines.
        let expected: Vec<String> = blocks
            .iter()
            .flat_map(|b| block_lines(b, Fonts::get()).unwrap())
            .map(|l| l.text())
            .collect();
        let placed: Vec<String> = pages
            .iter()
            .flat_map(|p| {
                p.lines
                    .iter()
                    .filter(|l| l.size == BODY_SIZE && l.y >= BODY_BOTTOM)
            })
            .map(Line::text)
            .collect();
        assert!(
            placed.ends_with(&expected),
            "{} placed, {} expected",
            placed.len(),
            expected.len()
        );
        let header_lines = placed.len() - expected.len();
        assert!(header_lines < 12, "{header_lines}");
    }

    #[test]
    fn a_paragraph_split_across_pages_leaves_two_lines_each_side() {
        let fonts = Fonts::get();
        let mut splits = 0;
        for (shift, words) in (1..60)
            .step_by(4)
            .flat_map(|s| (30..130).step_by(9).map(move |w| (s, w)))
        {
            // A lead paragraph of varying length moves every break; each tagged paragraph's
            // words are its own, so its lines can be told apart.
            let mut blocks = vec![Block::Paragraph(plain(&"lead ".repeat(shift * 3)))];
            blocks.extend((0..6).map(|p| {
                let text: Vec<String> = (0..words + p * 13)
                    .map(|w| format!("p{p}w{}", w % 10))
                    .collect();
                Block::Paragraph(plain(&text.join(" ")))
            }));
            let pages = layout(&header(), &blocks, &footer(), fonts, 500).unwrap();
            for p in 0..6 {
                let tag = format!("p{p}w");
                let counts: Vec<usize> = pages
                    .iter()
                    .map(|page| {
                        page.lines
                            .iter()
                            .filter(|l| l.text().starts_with(&tag))
                            .count()
                    })
                    .filter(|n| *n > 0)
                    .collect();
                let total: usize = counts.iter().sum();
                if counts.len() > 1 {
                    splits += 1;
                    assert!(
                        counts.iter().all(|n| *n >= 2),
                        "{words} words, paragraph {p}: {counts:?}"
                    );
                }
                assert_eq!(total, block_lines(&blocks[p + 1], fonts).unwrap().len());
            }
        }
        assert!(
            splits > 50,
            "the cases exercise page breaks inside paragraphs ({splits})"
        );
    }

    #[test]
    fn laying_out_stops_at_the_first_page_past_the_limit() {
        let blocks: Vec<Block> = (0..30).map(|i| paragraph(40 + (i * 7) % 60, i)).collect();
        let fonts = Fonts::get();
        let pages = layout(&header(), &blocks, &footer(), fonts, 500)
            .unwrap()
            .len();
        assert!(pages > 2);
        assert_eq!(
            layout(&header(), &blocks, &footer(), fonts, pages).map(|p| p.len()),
            Ok(pages)
        );
        assert_eq!(
            layout(&header(), &blocks, &footer(), fonts, pages - 1).unwrap_err(),
            LayoutError::TooLong { max: pages - 1 }
        );
    }

    /// Property tests, fuzzing on stable Rust; see tests/fuzz.rs for the longer run.
    mod fuzz {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        use super::*;
        use crate::render::markup;

        /// 256 cases from a fixed seed unless `PROPTEST_CASES` and `PROPTEST_RNG_SEED`
        /// say otherwise (`random` for a new seed).
        fn config() -> Config {
            let from_env = Config::default();
            let rng_seed = match std::env::var("PROPTEST_RNG_SEED").as_deref() {
                Ok("random") => RngSeed::Random,
                Ok(_) => from_env.rng_seed,
                Err(_) => RngSeed::Fixed(10),
            };
            Config {
                rng_seed,
                failure_persistence: None,
                ..from_env
            }
        }

        /// Text made of what strains a line breaker: invisible breaks and joiners,
        /// no-break spaces, hyphens, forced breaks, short words and words too long for
        /// any line.
        fn hostile_text() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("\u{200B}\u{200D}".to_owned()),
                Just("\u{200B}".to_owned()),
                Just(" ".to_owned()),
                Just("  ".to_owned()),
                Just("\n".to_owned()),
                Just("-".to_owned()),
                Just("\u{00A0}".to_owned()),
                Just("\u{202F}»".to_owned()),
                Just("\u{00AD}".to_owned()),
                "[a-zA-Zé]{1,12}",
                "[a-z/.]{60,200}",
            ];
            proptest::collection::vec(piece, 0..300).prop_map(|p| p.concat())
        }

        fn visible(text: &str) -> String {
            text.chars().filter(|c| !matches!(c, ' ' | '\n')).collect()
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn lines_break_in_linear_work_and_lose_nothing(
                text in hostile_text(),
                width in 1.0f32..500.0,
            ) {
                STEPS.with(|s| s.set(0));
                let lines = break_lines(&plain(&text), 12.0, width, Fonts::get()).unwrap();
                let steps = STEPS.with(|s| s.get());
                prop_assert!(steps <= 12 * (text.len() as u64 + 1), "{} steps", steps);
                let printed: String = lines.iter().map(|b| b.line.text()).collect();
                prop_assert_eq!(visible(&printed), visible(&text));
            }

            #[test]
            fn any_markup_parses_and_lays_out_without_panic(
                markup in "[-*#>_`!|()\\[\\]0-9. a-zA-Z\n\u{200B}\u{2014}]{0,400}",
            ) {
                let blocks = markup::parse(&markup);
                match layout(&header(), &blocks, &footer(), Fonts::get(), 50) {
                    Ok(pages) => prop_assert!(!pages.is_empty() && pages.len() <= 50),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }
        }
    }
}
