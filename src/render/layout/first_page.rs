//! The first page's header: institution, place and date, number and codes, the kind and
//! the From/To/Subject rows.

use super::breaking::{break_lines, plain};
use super::geometry::*;
use super::{Header, Line, Measure, MissingGlyph, Page, Rule};
use crate::render::markup::Face;

/// Draws the header on page 1 and returns the baseline above the body's first line.
pub(super) fn lay_header(
    h: &Header,
    page: &mut Page,
    m: &impl Measure,
) -> Result<f32, MissingGlyph> {
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
