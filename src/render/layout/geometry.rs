//! The page's geometry (A4, margins, sizes and leading, in points from the bottom-left
//! corner) and single lines placed at a point.

use super::breaking::width_of;
use super::{Line, Measure, MissingGlyph, Role};
use crate::render::markup::{Face, Span};

pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
pub(super) const LEFT: f32 = 70.87;
pub(super) const RIGHT: f32 = PAGE_WIDTH - 70.87;
pub(super) const TOP: f32 = PAGE_HEIGHT - 56.69;
/// The lowest baseline of body text; the footer lives below.
pub(super) const BODY_BOTTOM: f32 = 92.0;
pub(super) const BODY_SIZE: f32 = 12.0;
pub(super) const LEADING: f32 = 14.5;
pub(super) const PARAGRAPH_GAP: f32 = 11.0;
/// The indent of a hanging list point, and of a block quote (1 cm).
pub(super) const HANG: f32 = 28.35;
/// Where the values of the From/To/Subject rows start (4 cm from the margin).
pub(super) const VALUE_X: f32 = LEFT + 113.4;
pub(super) const FOOTER_SIZE: f32 = 10.0;

/// How far a list point's label sits left of its text.
pub const HANG_WIDTH: f32 = HANG;

/// `text` as one line of `role` starting at (`x`, `y`).
pub(super) fn single(text: &str, face: Face, size: f32, (x, y): (f32, f32), role: Role) -> Line {
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
        role,
    }
}

pub(super) enum Align {
    Right,
    Centre,
}

/// `line` moved to end at its `x`, or to be centred on it.
pub(super) fn aligned(line: Line, align: Align, m: &impl Measure) -> Result<Line, MissingGlyph> {
    let mut width = 0.0;
    for span in &line.spans {
        width += width_of(&span.text, span.face, line.size, m)?;
    }
    let x = match align {
        Align::Right => line.x - width,
        Align::Centre => line.x - width / 2.0,
    };
    Ok(Line { x, ..line })
}
