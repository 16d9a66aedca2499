//! Page layout, pure: what goes where on which page, in points from the bottom-left corner
//! of an A4 page. Lines break at Unicode (UAX #14) opportunities, preferring those after a
//! space so that the extracted text reads exactly as written; body lines are justified by
//! spreading the spaces; a paragraph never leaves a single line alone at the foot or the
//! head of a page; the header is drawn on page 1 and the footer on every page.

mod breaking;
mod first_page;
mod flow;
mod footer;
mod geometry;

use super::markup::{Block, Face, Span};
use first_page::lay_header;
use flow::{Flow, block_lines};
use footer::lay_footer;

pub use geometry::{HANG_WIDTH, PAGE_HEIGHT, PAGE_WIDTH};

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
/// justify the line; `hang` is a list point's label, set one indent left of `x`; `role`
/// is what the line is part of.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub spans: Vec<Span>,
    pub word_gap: f32,
    pub hang: Option<Span>,
    pub role: Role,
}

/// What a line is part of in the note, so that readers of the pages need not guess it
/// from positions: the tagged PDF's structure tree is built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The institution's two lines.
    Institution,
    PlaceAndDate,
    Number,
    /// The marking (LIMITE) beside the number.
    Marking,
    InterinstitutionalFile,
    /// The distribution codes.
    Codes,
    /// The kind of document (NOTE, COVER NOTE): the note's title.
    Kind,
    /// The label of row `n` of the From/To/Subject table.
    RowLabel(usize),
    /// A line of the value of row `n`.
    RowValue(usize),
    /// A line of body block `n` (numbered from 0 in reading order).
    Body(usize, BlockRole),
    /// The footer, repeated on every page: furniture, not part of the text.
    Footer,
}

/// What a body block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRole {
    Paragraph,
    Heading,
    Quote,
    /// A list point, `depth` levels in (0 at the outermost list); its first line carries
    /// the label in `Line::hang`.
    Item {
        depth: usize,
    },
}

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
    let mut flow = Flow::new(pages, body_top, max_pages);
    for (i, block) in blocks.iter().enumerate() {
        let lines = block_lines(i, block, m)?;
        // A heading keeps company with the first two lines of what follows it.
        let keep_with = match (block, blocks.get(i + 1)) {
            (Block::Heading(_), Some(next)) => block_lines(i + 1, next, m)?.len().min(2),
            _ => 0,
        };
        flow.place(lines, keep_with)?;
    }
    let mut pages = flow.into_pages();
    for (i, page) in pages.iter_mut().enumerate() {
        lay_footer(footer, i + 1, page, m)?;
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::breaking::{STEPS, break_lines, plain};
    use super::geometry::{BODY_BOTTOM, BODY_SIZE};
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
            .enumerate()
            .flat_map(|(n, b)| block_lines(n, b, Fonts::get()).unwrap())
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
                assert_eq!(
                    total,
                    block_lines(p + 1, &blocks[p + 1], fonts).unwrap().len()
                );
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
                let printed: String = lines.iter().map(|b| b.text()).collect();
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
