//! Laid-out pages as printpdf operations, pure: each line shown from a text matrix at its
//! baseline as runs of text, justified by a TJ offset after each space (word spacing
//! has no effect on the two-byte fonts printpdf embeds), the rules, and the DRAFT marks.
//! Each line is a marked-content sequence: tagged with an id for the structure tree
//! (`tags.rs`), or an artifact (the footer, rules and marks).

use std::collections::BTreeMap;

use printpdf::{
    Color, DictItem, FontId, Greyscale, LinePoint, Op, PdfFontHandle, Point, Pt, TextItem,
    TextMatrix,
};

use super::fonts::{FontFace, Fonts};
use super::layout::{HANG_WIDTH, Line, PAGE_HEIGHT, PAGE_WIDTH, Page, Role};
use super::markup::{Face, Span};
use super::tags::Tagged;

const DRAFT: &str = "DRAFT";

/// The faces a document uses: printpdf's font id for each, and the character each glyph
/// extracts as (the first of those drawn with it, so a no-break space that shares the
/// space's glyph reads back as a space).
pub struct Faces {
    ids: [Option<FontId>; 4],
    text_of: BTreeMap<(Face, u16), char>,
}

impl Faces {
    /// The faces `pages` draw with, and the bold of the DRAFT marks when `draft`.
    pub fn of(pages: &[Page], draft: bool) -> Self {
        let fonts = Fonts::get();
        let mut text_of = BTreeMap::new();
        let mut add = |span: &Span| {
            let face = fonts.face(span.face);
            for c in span.text.chars().filter(|c| !invisible(*c, face)) {
                if let Some(gid) = face.glyph_id(c) {
                    text_of.entry((span.face, gid)).or_insert(c);
                }
            }
        };
        for line in pages.iter().flat_map(|p| &p.lines) {
            line.spans.iter().chain(&line.hang).for_each(&mut add);
        }
        if draft {
            add(&Span {
                face: Face::Bold,
                text: DRAFT.to_owned(),
            });
        }
        let ids = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic]
            .map(|face| subset_tag(face, &text_of).map(FontId));
        Self { ids, text_of }
    }

    /// Each face used and its font id.
    pub fn ids(&self) -> impl Iterator<Item = (Face, &FontId)> {
        [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic]
            .into_iter()
            .zip(&self.ids)
            .filter_map(|(face, id)| Some((face, id.as_ref()?)))
    }

    /// `text` as printpdf shows it: runs of characters, each one the character its
    /// glyph extracts as (so printpdf maps each glyph to one character), with the
    /// justifying `gap` after each space. A run per word rather than a glyph each keeps
    /// the content stream and the work per character small.
    fn text_items(&self, face: Face, text: &str, gap: f32) -> Vec<TextItem> {
        let font = Fonts::get().face(face);
        let mut items = Vec::new();
        let mut run = String::with_capacity(text.len());
        for c in text.chars().filter(|c| !invisible(*c, font)) {
            let Some(gid) = font.glyph_id(c) else {
                continue;
            };
            run.push(self.text_of.get(&(face, gid)).copied().unwrap_or(c));
            if c == ' ' && gap != 0.0 {
                items.push(TextItem::Text(std::mem::take(&mut run)));
                items.push(TextItem::Offset(gap));
            }
        }
        if !run.is_empty() {
            items.push(TextItem::Text(run));
        }
        items
    }
}

/// Whether `c` is an invisible format character (zero-width space, joiners, word joiner,
/// byte-order mark) that the face gives no advance: layout has already used it (a break
/// or a join), and drawn it would show nothing, so it is left out of the page, which
/// keeps a body of 160,000 of them as cheap to write as an empty one (issue 10).
fn invisible(c: char, font: &FontFace) -> bool {
    matches!(c, '\u{2000}'..='\u{206F}' | '\u{FEFF}') && font.advance(c) == Some(0.0)
}

/// `ABCDEF`: six capitals derived from the face and the glyphs its subset holds, as subset
/// fonts are named; printpdf takes the tag from the font id, which is also the font's
/// resource name in the page.
fn subset_tag(face: Face, used: &BTreeMap<(Face, u16), char>) -> Option<String> {
    let mut glyphs = used.keys().filter(|(f, _)| *f == face).peekable();
    glyphs.peek()?;
    let hash = glyphs.fold(0xcbf2_9ce4_8422_2325u64 ^ face as u64, |h, (_, g)| {
        (h ^ u64::from(*g)).wrapping_mul(0x100_0000_01b3)
    });
    Some(
        (0..6)
            .map(|i| char::from(b'A' + ((hash >> (i * 7)) % 26) as u8))
            .collect(),
    )
}

/// The operations that draw one page, and what each of its marked-content ids shows.
pub fn page_ops(page: &Page, faces: &Faces, draft: bool) -> (Vec<Op>, Vec<Tagged>) {
    let mut ops = Vec::with_capacity(8 + 6 * page.lines.len());
    let mut tagged = Vec::with_capacity(page.lines.len());
    if draft {
        draft_marks(&mut ops, faces);
    }
    if !page.rules.is_empty() {
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".to_owned(),
        });
        ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
        for rule in &page.rules {
            ops.push(Op::DrawLine {
                line: printpdf::Line {
                    points: vec![point(rule.x1, rule.y), point(rule.x2, rule.y)],
                    is_closed: false,
                },
            });
        }
        ops.push(Op::EndMarkedContent);
    }
    ops.push(Op::StartTextSection);
    let mut pen = Pen::default();
    for line in &page.lines {
        if let Some(label) = &line.hang {
            let label_of = Tagged {
                role: line.role,
                label: true,
            };
            begin(&mut ops, &mut tagged, label_of);
            pen.show_at(&mut ops, faces, line, Some(line.x - HANG_WIDTH), label, 0.0);
            ops.push(Op::EndMarkedContent);
        }
        let text = Tagged {
            role: line.role,
            label: false,
        };
        begin(&mut ops, &mut tagged, text);
        // TJ offsets are thousandths of an em; a negative one moves right.
        let gap = -line.word_gap * 1000.0 / line.size;
        let gap = if gap.abs() < 0.05 { 0.0 } else { gap };
        let mut x = Some(line.x);
        for span in &line.spans {
            pen.show_at(&mut ops, faces, line, x.take(), span, gap);
        }
        ops.push(Op::EndMarkedContent);
    }
    ops.push(Op::EndTextSection);
    (ops, tagged)
}

/// Opens the marked-content sequence of `t`: the footer as a pagination artifact, anything
/// else with the next marked-content id.
fn begin(ops: &mut Vec<Op>, tagged: &mut Vec<Tagged>, t: Tagged) {
    let (tag, properties) = if t.role == Role::Footer {
        let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
        (
            "Artifact",
            [("Type", name("Pagination")), ("Subtype", name("Footer"))]
                .map(|(k, v)| (k.to_owned(), v))
                .into(),
        )
    } else {
        tagged.push(t);
        let mcid = DictItem::Int(tagged.len() as i64 - 1);
        (t.structure_type(), [("MCID".to_owned(), mcid)].into())
    };
    ops.push(Op::BeginMarkedContentWithProperties {
        tag: tag.to_owned(),
        properties: DictItem::Dict { map: properties },
    });
}

/// The font and size last set in a text section, so that each is set only on a change.
#[derive(Default)]
struct Pen {
    font: Option<(Face, f32)>,
}

impl Pen {
    /// Shows `span` on `line`'s baseline, from `x` or where the previous span ended.
    fn show_at(
        &mut self,
        ops: &mut Vec<Op>,
        faces: &Faces,
        line: &Line,
        x: Option<f32>,
        span: &Span,
        gap: f32,
    ) {
        let Some(id) = &faces.ids[span.face as usize] else {
            return;
        };
        if let Some(x) = x {
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(x), Pt(line.y)),
            });
        }
        if self.font != Some((span.face, line.size)) {
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(id.clone()),
                size: Pt(line.size),
            });
            self.font = Some((span.face, line.size));
        }
        ops.push(Op::ShowText {
            items: faces.text_items(span.face, &span.text, gap),
        });
    }
}

/// A large light-grey DRAFT across the page, under the text, and a small one in the top
/// margin: text extractors skip diagonal text, and a draft must read as one.
fn draft_marks(ops: &mut Vec<Op>, faces: &Faces) {
    let Some(bold) = &faces.ids[Face::Bold as usize] else {
        return;
    };
    let (cos, sin) = (
        std::f32::consts::FRAC_1_SQRT_2,
        std::f32::consts::FRAC_1_SQRT_2,
    );
    let word = || Op::ShowText {
        items: faces.text_items(Face::Bold, DRAFT, 0.0),
    };
    let font = |size| Op::SetFont {
        font: PdfFontHandle::External(bold.clone()),
        size: Pt(size),
    };
    let grey = |percent| Op::SetFillColor {
        col: Color::Greyscale(Greyscale {
            percent,
            icc_profile: None,
        }),
    };
    ops.extend([
        Op::BeginMarkedContent {
            tag: "Artifact".to_owned(),
        },
        Op::SaveGraphicsState,
        grey(0.85),
        Op::StartTextSection,
        font(120.0),
        Op::SetTextMatrix {
            matrix: TextMatrix::Raw([cos, sin, -sin, cos, 150.0, 250.0]),
        },
        word(),
        grey(0.45),
        font(10.0),
        Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(PAGE_WIDTH / 2.0 - 17.0), Pt(PAGE_HEIGHT - 28.0)),
        },
        word(),
        Op::EndTextSection,
        Op::RestoreGraphicsState,
        Op::EndMarkedContent,
    ]);
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}
