//! The footer every page carries: number, initials and page on one line, unit, marking
//! and language on the next.

use super::geometry::*;
use super::{Footer, Measure, MissingGlyph, Page, Role, Rule};
use crate::render::markup::Face;

pub(super) fn lay_footer(
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
    let text = |text: &str, face, at| single(text, face, FOOTER_SIZE, at, Role::Footer);
    page.lines
        .push(text(&f.number, Face::Regular, (LEFT, line1)));
    page.lines.push(aligned(
        text(&f.initials, Face::Regular, (centre, line1)),
        Align::Centre,
        m,
    )?);
    page.lines.push(aligned(
        text(&number.to_string(), Face::Regular, (RIGHT, line1)),
        Align::Right,
        m,
    )?);
    page.lines.push(text(&f.unit, Face::Regular, (LEFT, line2)));
    if let Some(marking) = &f.marking {
        page.lines.push(aligned(
            text(marking, Face::Bold, (centre, line2)),
            Align::Centre,
            m,
        )?);
    }
    page.lines.push(aligned(
        text(&f.language, Face::Regular, (RIGHT, line2)),
        Align::Right,
        m,
    )?);
    Ok(())
}
