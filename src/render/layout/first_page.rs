//! The first page's header: institution, place and date, number and codes, the kind and
//! the From/To/Subject rows.

use super::breaking::{break_lines, plain};
use super::geometry::*;
use super::{Header, Measure, MissingGlyph, Page, Role, Rule};
use crate::render::markup::Face;

/// Draws the header on page 1 and returns the baseline above the body's first line.
pub(super) fn lay_header(
    h: &Header,
    page: &mut Page,
    m: &impl Measure,
) -> Result<f32, MissingGlyph> {
    let mut y = TOP - 14.0;
    let institution = |text, y| single(text, Face::Bold, 14.0, (LEFT, y), Role::Institution);
    page.lines.push(institution(&h.institution[0], y));
    y -= 16.5;
    page.lines.push(institution(&h.institution[1], y));
    page.lines.push(aligned(
        single(
            &h.place_and_date,
            Face::Regular,
            BODY_SIZE,
            (RIGHT, y),
            Role::PlaceAndDate,
        ),
        Align::Right,
        m,
    )?);

    y -= 40.0;
    page.lines
        .push(single(&h.number, Face::Bold, 14.0, (LEFT, y), Role::Number));
    if let Some(marking) = &h.marking {
        page.lines.push(aligned(
            single(marking, Face::Bold, 14.0, (RIGHT, y), Role::Marking),
            Align::Right,
            m,
        )?);
    }
    if let Some(file) = &h.interinstitutional_file {
        y -= 17.0;
        page.lines.push(single(
            file,
            Face::Regular,
            BODY_SIZE,
            (LEFT, y),
            Role::InterinstitutionalFile,
        ));
    }
    y -= 4.0;
    for line in break_lines(&plain(&h.codes), BODY_SIZE, RIGHT - LEFT, m)? {
        y -= LEADING;
        page.lines.push(line.placed(LEFT, y, Role::Codes));
    }

    y -= 34.0;
    page.lines.push(aligned(
        single(&h.kind, Face::Bold, 14.0, (PAGE_WIDTH / 2.0, y), Role::Kind),
        Align::Centre,
        m,
    )?);
    y -= 14.0;
    for (row, (label, value)) in h.rows.iter().enumerate() {
        y -= LEADING + 4.0;
        page.lines.push(single(
            label,
            Face::Regular,
            BODY_SIZE,
            (LEFT, y),
            Role::RowLabel(row),
        ));
        for (i, line) in break_lines(&plain(value), BODY_SIZE, RIGHT - VALUE_X, m)?
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                y -= LEADING;
            }
            page.lines
                .push(line.placed(VALUE_X, y, Role::RowValue(row)));
        }
    }
    page.rules.push(Rule {
        x1: LEFT,
        x2: RIGHT,
        y: y - 10.0,
    });
    Ok(y - 22.0)
}
