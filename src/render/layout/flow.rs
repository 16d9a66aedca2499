//! Body blocks as lines, and the lines flowing down the pages: paragraph gaps, headings
//! kept with what follows, no widows or orphans.

use super::breaking::{Broken, break_lines};
use super::geometry::*;
use super::{BlockRole, LayoutError, Line, Measure, MissingGlyph, Page, Role};
use crate::render::markup::{Block, Face, Span};

/// Body lines flowing down the pages.
pub(super) struct Flow {
    pages: Vec<Page>,
    /// The baseline of the line above the next one.
    y: f32,
    page_top: bool,
    max_pages: usize,
}

impl Flow {
    /// Flow that starts below `y` on the last of `pages`.
    pub(super) fn new(pages: Vec<Page>, y: f32, max_pages: usize) -> Self {
        Self {
            pages,
            y,
            page_top: false,
            max_pages,
        }
    }

    pub(super) fn into_pages(self) -> Vec<Page> {
        self.pages
    }

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
    pub(super) fn place(&mut self, lines: Vec<Line>, keep_with: usize) -> Result<(), LayoutError> {
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

/// The lines of body block `n`, positioned horizontally; `y` is set by the flow.
pub(super) fn block_lines(
    n: usize,
    block: &Block,
    m: &impl Measure,
) -> Result<Vec<Line>, MissingGlyph> {
    let width = RIGHT - LEFT;
    let role = |kind| Role::Body(n, kind);
    let lines = match block {
        Block::Paragraph(spans) => justified(
            LEFT,
            break_lines(spans, BODY_SIZE, width, m)?,
            role(BlockRole::Paragraph),
        ),
        Block::Quote(spans) => justified(
            LEFT + HANG,
            break_lines(spans, BODY_SIZE, width - 2.0 * HANG, m)?,
            role(BlockRole::Quote),
        ),
        Block::Heading(spans) => break_lines(spans, BODY_SIZE, width - 2.0 * HANG, m)?
            .into_iter()
            .map(|b| {
                let x = PAGE_WIDTH / 2.0 - b.width / 2.0;
                b.placed(x, 0.0, role(BlockRole::Heading))
            })
            .collect(),
        Block::Item {
            label,
            depth,
            spans,
        } => {
            let indent = HANG * (*depth as f32 + 1.0);
            let mut lines = justified(
                LEFT + indent,
                break_lines(spans, BODY_SIZE, width - indent, m)?,
                role(BlockRole::Item { depth: *depth }),
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

fn justified(x: f32, broken: Vec<Broken>, role: Role) -> Vec<Line> {
    broken
        .into_iter()
        .map(|b| Line {
            word_gap: b.justify_gap,
            ..b.placed(x, 0.0, role)
        })
        .collect()
}
