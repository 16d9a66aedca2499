//! Line breaking: styled text into lines no wider than a measure, at Unicode (UAX #14)
//! opportunities, with the gap that would justify each line.

use unicode_linebreak::{BreakOpportunity, linebreaks};

use super::{Line, Measure, MissingGlyph, Role};
use crate::render::markup::{Face, Span};

pub(super) fn plain(text: &str) -> Vec<Span> {
    vec![Span {
        face: Face::Regular,
        text: text.to_owned(),
    }]
}

pub(super) fn width_of(
    text: &str,
    face: Face,
    size: f32,
    m: &impl Measure,
) -> Result<f32, MissingGlyph> {
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
#[derive(Debug, Clone)]
pub(super) struct Broken {
    spans: Vec<Span>,
    size: f32,
    /// Natural width, without the trailing space.
    pub(super) width: f32,
    /// The extra width per space that would fill the line (0 for a paragraph's last line).
    pub(super) justify_gap: f32,
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

impl Broken {
    /// The line set unjustified from (`x`, `y`).
    pub(super) fn placed(self, x: f32, y: f32, role: Role) -> Line {
        Line {
            x,
            y,
            size: self.size,
            spans: self.spans,
            word_gap: 0.0,
            hang: None,
            role,
        }
    }

    #[cfg(test)]
    pub(super) fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Breaks styled text into lines no wider than `width`, in one pass over the text: the
/// current line's width is kept running, with the last place after a space where it may
/// end, so a line of many break opportunities costs no more than a line of few.
pub(super) fn break_lines(
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
            spans: line_spans,
            size,
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
                ..b.clone().placed(0.0, 0.0, Role::Footer)
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
        let text: Vec<String> = lines.iter().map(Broken::text).collect();
        assert_eq!(text.join(" "), "word ".repeat(60).trim_end());
    }

    #[test]
    fn no_break_spaces_hold_and_hyphens_break_only_when_needed() {
        let text = "« déclaration » 2021-2025 "
            .repeat(12)
            .replace("« ", "«\u{202F}")
            .replace(" »", "\u{202F}»");
        for b in break_lines(&plain(&text), 12.0, 200.0, Fonts::get()).unwrap() {
            let line = b.text();
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
            lines.iter().map(Broken::text).collect::<Vec<_>>(),
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
}
