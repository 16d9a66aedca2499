//! Liberation Serif (metric-compatible with Times New Roman, the Council's face; SIL OFL,
//! licence in `fonts/`), compiled into the binary and parsed by printpdf once per process.
//! The advances of the scripts notes are written in are copied into arrays at load, so
//! layout measures text without a font-table lookup per character.

use std::sync::LazyLock;

use printpdf::ParsedFont;

use super::layout::Measure;
use super::markup::Face;

/// Code points kept in arrays for direct lookup: Latin, Greek, Cyrillic (U+0000–U+052F)
/// and general punctuation, currency and letterlike symbols (U+2000–U+214F). Anything
/// else is looked up in the face's character map.
const TABLES: [(u32, u32); 2] = [(0x0000, 0x0530), (0x2000, 0x2150)];

pub struct FontFace {
    /// The face as printpdf parsed it: what each PDF embeds and subsets.
    pub parsed: ParsedFont,
    /// Glyph id and advance (font units) of each code point in the `TABLES` ranges;
    /// glyph id 0 marks a character the face cannot draw.
    tables: [Vec<(u16, u16)>; 2],
    units_per_em: f32,
}

impl FontFace {
    fn load(bytes: &'static [u8], name: &'static str) -> Self {
        // The faces are compiled in and checked by the tests: one that does not parse is a
        // build defect, not an input error.
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .unwrap_or_else(|| panic!("the embedded font {name} does not parse: {warnings:?}"));
        let tables = TABLES.map(|(start, end)| {
            (start..end)
                .map(|cp| glyph_of(&parsed, cp).unwrap_or((0, 0)))
                .collect()
        });
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em);
        Self {
            parsed,
            tables,
            units_per_em,
        }
    }

    fn glyph(&self, c: char) -> Option<(u16, u16)> {
        let cp = c as u32;
        for ((start, end), table) in TABLES.iter().zip(&self.tables) {
            if (*start..*end).contains(&cp) {
                let glyph = table[(cp - start) as usize];
                return (glyph.0 != 0).then_some(glyph);
            }
        }
        glyph_of(&self.parsed, cp)
    }

    /// The advance of `c` in ems, or `None` when the face has no glyph for it.
    pub fn advance(&self, c: char) -> Option<f32> {
        self.glyph(c)
            .map(|(_, advance)| f32::from(advance) / self.units_per_em)
    }

    /// The glyph that draws `c`, if the face has one.
    pub fn glyph_id(&self, c: char) -> Option<u16> {
        self.glyph(c).map(|(gid, _)| gid)
    }
}

/// The glyph id and advance of code point `cp`, unless the face maps it to nothing.
fn glyph_of(font: &ParsedFont, cp: u32) -> Option<(u16, u16)> {
    let gid = font.lookup_glyph_index(cp).filter(|gid| *gid != 0)?;
    Some((gid, font.get_horizontal_advance(gid)))
}

/// Each face's file and name, in `Face` order.
const FACES: [(&[u8], &str); 4] = [
    (
        include_bytes!("../../fonts/LiberationSerif-Regular.ttf"),
        "LiberationSerif",
    ),
    (
        include_bytes!("../../fonts/LiberationSerif-Bold.ttf"),
        "LiberationSerif-Bold",
    ),
    (
        include_bytes!("../../fonts/LiberationSerif-Italic.ttf"),
        "LiberationSerif-Italic",
    ),
    (
        include_bytes!("../../fonts/LiberationSerif-BoldItalic.ttf"),
        "LiberationSerif-BoldItalic",
    ),
];

/// The file of a face by its name (`LiberationSerif-Bold.ttf`): the very bytes the PDF
/// embeds, which the desk serves so that its preview is set in the same face.
pub fn font_file(file: &str) -> Option<&'static [u8]> {
    let name = file.strip_suffix(".ttf")?;
    FACES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(bytes, _)| *bytes)
}

fn load<const FACE: usize>() -> FontFace {
    let (bytes, name) = FACES[FACE];
    FontFace::load(bytes, name)
}

/// The four faces, each parsed the first time a document uses it.
pub struct Fonts {
    faces: [LazyLock<FontFace>; 4],
}

static FONTS: Fonts = Fonts {
    faces: [
        LazyLock::new(load::<0>),
        LazyLock::new(load::<1>),
        LazyLock::new(load::<2>),
        LazyLock::new(load::<3>),
    ],
};

impl Fonts {
    /// The process-wide fonts.
    pub fn get() -> &'static Fonts {
        &FONTS
    }

    pub fn face(&self, face: Face) -> &FontFace {
        &self.faces[face as usize]
    }
}

impl Measure for Fonts {
    fn advance(&self, face: Face, c: char) -> Option<f32> {
        self.face(face).advance(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_greek_and_cyrillic_are_covered() {
        let fonts = Fonts::get();
        for face in [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic] {
            for c in "éèàçœ’«»ßłżΑλφαβητоБгарски\u{202F}\u{00A0}—–€".chars()
            {
                assert!(fonts.face(face).advance(c).is_some(), "{face:?} {c:?}");
            }
        }
        assert_eq!(fonts.face(Face::Regular).advance('中'), None);
        assert_eq!(fonts.face(Face::Regular).advance('\u{1F600}'), None);
    }

    #[test]
    fn widths_match_times_new_roman() {
        // Liberation Serif is metric-compatible with Times New Roman: 'a' is 0.444 em,
        // the space 0.25 em, 'M' 0.889 em.
        let regular = Fonts::get().face(Face::Regular);
        let close = |c: char, em: f32| (regular.advance(c).unwrap() - em).abs() < 0.001;
        assert!(close('a', 0.444) && close(' ', 0.25) && close('M', 0.889));
    }
}
