//! The footer every page carries: number, initials and page on one line, unit, marking
//! and language on the next.

use super::geometry::*;
use super::{Footer, Measure, MissingGlyph, Page, Rule};
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
