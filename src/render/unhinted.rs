//! The subset font programs printpdf embeds, without their TrueType hinting: allsorts'
//! PDF profile keeps `cvt `, `fpgm`, `prep` and each glyph's instructions, most of a
//! Liberation subset, though PDF viewers draw at any size from the outlines alone. The
//! outlines, metrics, glyph ids and `name` stay as they are; allsorts reads and writes
//! the tables.

use std::borrow::Cow;

use allsorts::binary::read::ReadScope;
use allsorts::binary::write::{WriteBinaryDep, WriteBuffer};
use allsorts::error::{ParseError, ReadWriteError};
use allsorts::font_data::{DynamicFontTableProvider, FontData};
use allsorts::subset::whole_font;
use allsorts::tables::glyf::{GlyfRecord, GlyfTable, Glyph};
use allsorts::tables::loca::LocaTable;
use allsorts::tables::{FontTableProvider, HeadTable, MaxpTable};
use allsorts::tag;

/// The tables a TrueType font program in a PDF needs (PDF 32000-1, 9.9): `head` and
/// `maxp` are always written, `loca` with `glyf`.
const KEPT: [u32; 6] = [
    tag::CMAP,
    tag::GLYF,
    tag::HHEA,
    tag::HMTX,
    tag::NAME,
    tag::POST,
];

/// `font` (a TrueType program) with no hinting tables and no glyph instructions.
pub fn unhinted(font: &[u8]) -> Result<Vec<u8>, ReadWriteError> {
    let data = ReadScope::new(font).read::<FontData<'_>>()?;
    let provider = data.table_provider(0)?;
    let head = ReadScope::new(&provider.read_table_data(tag::HEAD)?).read::<HeadTable>()?;
    let maxp = ReadScope::new(&provider.read_table_data(tag::MAXP)?).read::<MaxpTable>()?;
    let loca_data = provider.read_table_data(tag::LOCA)?;
    let loca = ReadScope::new(&loca_data)
        .read_dep::<LocaTable<'_>>((maxp.num_glyphs, head.index_to_loc_format))?;
    let glyf_data = provider.read_table_data(tag::GLYF)?;
    let mut glyf = ReadScope::new(&glyf_data).read_dep::<GlyfTable<'_>>(&loca)?;
    for record in glyf.records_mut() {
        record.parse()?;
        match record {
            GlyfRecord::Parsed(Glyph::Simple(glyph)) => glyph.instructions = Box::default(),
            GlyfRecord::Parsed(Glyph::Composite(glyph)) => glyph.instructions = Box::default(),
            GlyfRecord::Parsed(Glyph::Empty(_)) | GlyfRecord::Present { .. } => {}
        }
    }
    let mut glyf_out = WriteBuffer::new();
    let loca = GlyfTable::write_dep(&mut glyf_out, glyf, head.index_to_loc_format)?;
    let mut loca_out = WriteBuffer::new();
    allsorts::tables::loca::owned::LocaTable::write_dep(
        &mut loca_out,
        loca,
        head.index_to_loc_format,
    )?;
    let rewritten = Rewritten {
        provider,
        glyf: glyf_out.into_inner(),
        loca: loca_out.into_inner(),
    };
    whole_font(&rewritten, &KEPT)
}

/// A font's tables with `glyf` and `loca` replaced.
struct Rewritten<'a> {
    provider: DynamicFontTableProvider<'a>,
    glyf: Vec<u8>,
    loca: Vec<u8>,
}

impl FontTableProvider for Rewritten<'_> {
    fn table_data(&self, tag: u32) -> Result<Option<Cow<'_, [u8]>>, ParseError> {
        match tag {
            tag::GLYF => Ok(Some(Cow::Borrowed(&self.glyf))),
            tag::LOCA => Ok(Some(Cow::Borrowed(&self.loca))),
            _ => self.provider.table_data(tag),
        }
    }

    fn has_table(&self, tag: u32) -> bool {
        self.provider.has_table(tag)
    }

    fn table_tags(&self) -> Option<Vec<u32>> {
        self.provider.table_tags()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allsorts::tables::glyf::SimpleGlyphFlagExt;

    fn tables(font: &[u8]) -> Vec<u32> {
        let data = ReadScope::new(font).read::<FontData<'_>>().unwrap();
        let mut tags = data.table_provider(0).unwrap().table_tags().unwrap();
        tags.sort_unstable();
        tags
    }

    /// The outline of glyph `gid` of `font`: its points, whether each is on the curve,
    /// and its contours or components (the flags that say how points were encoded may
    /// differ once rewritten).
    fn outline(font: &[u8], gid: u16) -> String {
        let data = ReadScope::new(font).read::<FontData<'_>>().unwrap();
        let provider = data.table_provider(0).unwrap();
        let read = |t| provider.read_table_data(t).unwrap();
        let head = ReadScope::new(&read(tag::HEAD))
            .read::<HeadTable>()
            .unwrap();
        let maxp = ReadScope::new(&read(tag::MAXP))
            .read::<MaxpTable>()
            .unwrap();
        let loca_data = read(tag::LOCA);
        let loca = ReadScope::new(&loca_data)
            .read_dep::<LocaTable<'_>>((maxp.num_glyphs, head.index_to_loc_format))
            .unwrap();
        let glyf_data = read(tag::GLYF);
        let mut glyf = ReadScope::new(&glyf_data)
            .read_dep::<GlyfTable<'_>>(&loca)
            .unwrap();
        match glyf.get_parsed_glyph(gid).unwrap() {
            Glyph::Simple(g) => {
                let points: Vec<_> = g
                    .coordinates
                    .iter()
                    .map(|(flags, point)| (flags.is_on_curve(), *point))
                    .collect();
                format!(
                    "{:?} {:?} {points:?}",
                    g.bounding_box, g.end_pts_of_contours
                )
            }
            Glyph::Composite(g) => format!("{:?} {:?}", g.bounding_box, g.glyphs),
            Glyph::Empty(_) => String::new(),
        }
    }

    #[test]
    fn hinting_goes_and_the_outlines_stay() {
        let font = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");
        let plain = unhinted(font).unwrap();
        let tags = tables(&plain);
        for hinting in [tag::CVT, tag::FPGM, tag::PREP] {
            assert!(tables(font).contains(&hinting) && !tags.contains(&hinting));
        }
        assert!(tags.contains(&tag::GLYF) && tags.contains(&tag::LOCA));
        // The same outlines and advances under the same glyph ids.
        let [before, after] = [font.as_slice(), &plain]
            .map(|bytes| printpdf::ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).unwrap());
        for c in "Delegations «é» Ωλ Бг".chars() {
            let gid = before.lookup_glyph_index(c as u32).unwrap();
            let advance = |f: &printpdf::ParsedFont| f.get_horizontal_advance(gid);
            assert_eq!(advance(&before), advance(&after));
            assert_eq!(outline(font, gid), outline(&plain, gid), "{c}");
        }
    }
}
