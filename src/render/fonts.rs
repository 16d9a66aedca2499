//! Liberation Serif (metric-compatible with Times New Roman, the Council's face; SIL OFL,
//! licence in `fonts/`), compiled into the binary and parsed once per process. Advance
//! widths of the Latin, Greek, Cyrillic and punctuation blocks are tabulated at load, so
//! layout measures text without touching the font tables.

use std::sync::LazyLock;

use printpdf::ParsedFont;

use super::layout::Measure;
use super::markup::Face;

/// Code points tabulated at load: Latin, Greek, Cyrillic (U+0000–U+052F) and general
/// punctuation, currency and letterlike symbols (U+2000–U+214F).
const TABLES: [(u32, u32); 2] = [(0x0000, 0x0530), (0x2000, 0x2150)];
/// Marks a code point without a glyph in a table.
const NO_GLYPH: u16 = u16::MAX;

pub struct FontFace {
    /// The font file as shipped, for subsetting into each PDF.
    pub bytes: &'static [u8],
    /// The PostScript name PDF font dictionaries carry: `LiberationSerif-Bold`.
    pub postscript_name: &'static str,
    pub parsed: ParsedFont,
    tables: [Vec<u16>; 2],
    units_per_em: f32,
}

impl FontFace {
    fn load(bytes: &'static [u8], postscript_name: &'static str) -> Self {
        let mut warnings = Vec::new();
        // The faces are compiled in; one that does not parse is a build defect.
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .unwrap_or_else(|| panic!("the embedded font {postscript_name} does not parse"));
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let tables = TABLES.map(|(start, end)| {
            (start..end)
                .map(|cp| {
                    parsed
                        .lookup_glyph_index(cp)
                        .filter(|gid| *gid != 0)
                        .map_or(NO_GLYPH, |gid| parsed.get_horizontal_advance(gid))
                })
                .collect()
        });
        Self {
            bytes,
            postscript_name,
            parsed,
            tables,
            units_per_em,
        }
    }

    /// The advance of `c` in ems, or `None` when the font has no glyph for it.
    pub fn advance(&self, c: char) -> Option<f32> {
        let cp = c as u32;
        let units = TABLES
            .iter()
            .zip(&self.tables)
            .find(|((start, end), _)| (*start..*end).contains(&cp))
            .map(|((start, _), table)| table[(cp - start) as usize])
            .or_else(|| {
                self.parsed
                    .lookup_glyph_index(cp)
                    .filter(|gid| *gid != 0)
                    .map(|gid| self.parsed.get_horizontal_advance(gid))
            })?;
        (units != NO_GLYPH).then(|| f32::from(units) / self.units_per_em)
    }
}

pub struct Fonts {
    faces: [FontFace; 4],
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts {
    faces: [
        FontFace::load(
            include_bytes!("../../fonts/LiberationSerif-Regular.ttf"),
            "LiberationSerif",
        ),
        FontFace::load(
            include_bytes!("../../fonts/LiberationSerif-Bold.ttf"),
            "LiberationSerif-Bold",
        ),
        FontFace::load(
            include_bytes!("../../fonts/LiberationSerif-Italic.ttf"),
            "LiberationSerif-Italic",
        ),
        FontFace::load(
            include_bytes!("../../fonts/LiberationSerif-BoldItalic.ttf"),
            "LiberationSerif-BoldItalic",
        ),
    ],
});

impl Fonts {
    /// The process-wide fonts, parsed on first use.
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
