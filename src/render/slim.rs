//! Slims an embedded TrueType subset to what a PDF viewer draws from: the glyph outlines
//! and metrics. Hinting (glyph programs, `fpgm`, `prep`, `cvt `) is for screens at small
//! pixel sizes and is two thirds of Liberation Serif's glyph data; `name` and `post` are
//! not read from an embedded CID font. Outlines, advances and glyph ids are unchanged, so
//! the page looks and extracts the same.

/// Tables kept, in the order they are written (tags sorted, as the format asks).
const KEEP: [&[u8; 4]; 7] = [
    b"cmap", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot slim the font: {0}")]
pub struct SlimError(&'static str);

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u16(&self, at: usize) -> Result<u16, SlimError> {
        self.0
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(SlimError("truncated"))
    }

    fn u32(&self, at: usize) -> Result<u32, SlimError> {
        self.0
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(SlimError("truncated"))
    }

    fn slice(&self, at: usize, len: usize) -> Result<&'a [u8], SlimError> {
        self.0
            .get(at..at.checked_add(len).ok_or(SlimError("overflow"))?)
            .ok_or(SlimError("truncated"))
    }
}

/// The font without hinting and unused tables.
pub fn strip_hinting(font: &[u8]) -> Result<Vec<u8>, SlimError> {
    let r = Reader(font);
    let num_tables = r.u16(4)? as usize;
    let mut tables: Vec<(&[u8; 4], &[u8])> = Vec::new();
    for i in 0..num_tables {
        let record = 12 + 16 * i;
        let tag = r.slice(record, 4)?;
        if let Some(keep) = KEEP.iter().find(|k| k.as_slice() == tag) {
            let offset = r.u32(record + 8)? as usize;
            let length = r.u32(record + 12)? as usize;
            tables.push((keep, r.slice(offset, length)?));
        }
    }
    let table = |tag: &[u8; 4]| {
        tables
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, d)| *d)
            .ok_or(SlimError("a required table is missing"))
    };
    let head = table(b"head")?;
    let long_loca = Reader(head).u16(50)? == 1;
    let num_glyphs = Reader(table(b"maxp")?).u16(4)? as usize;
    let (glyf, loca) = rewrite_glyphs(table(b"glyf")?, table(b"loca")?, long_loca, num_glyphs)?;

    let mut head = head.to_vec();
    head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set below
    head[50..52].copy_from_slice(&1u16.to_be_bytes()); // loca is written in the long format
    let mut out_tables: Vec<(&[u8; 4], Vec<u8>)> = Vec::new();
    for (tag, data) in &tables {
        let data = match *tag {
            b"glyf" => glyf.clone(),
            b"loca" => loca.clone(),
            b"head" => head.clone(),
            _ => data.to_vec(),
        };
        out_tables.push((tag, data));
    }
    out_tables.sort_by_key(|(tag, _)| **tag);
    Ok(assemble(font, &out_tables))
}

/// glyf without instructions, and the matching long-format loca.
fn rewrite_glyphs(
    glyf: &[u8],
    loca: &[u8],
    long: bool,
    num_glyphs: usize,
) -> Result<(Vec<u8>, Vec<u8>), SlimError> {
    let loca_r = Reader(loca);
    let offset = |i: usize| -> Result<usize, SlimError> {
        Ok(if long {
            loca_r.u32(4 * i)? as usize
        } else {
            loca_r.u16(2 * i)? as usize * 2
        })
    };
    let mut out = Vec::with_capacity(glyf.len() / 2);
    let mut new_loca = Vec::with_capacity((num_glyphs + 1) * 4);
    for i in 0..num_glyphs {
        new_loca.extend_from_slice(&(out.len() as u32).to_be_bytes());
        let (start, end) = (offset(i)?, offset(i + 1)?);
        if end <= start {
            continue; // an empty glyph (the space)
        }
        let glyph = Reader(glyf).slice(start, end - start)?;
        strip_glyph(glyph, &mut out)?;
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    new_loca.extend_from_slice(&(out.len() as u32).to_be_bytes());
    Ok((out, new_loca))
}

fn strip_glyph(glyph: &[u8], out: &mut Vec<u8>) -> Result<(), SlimError> {
    let g = Reader(glyph);
    let contours = g.u16(0)? as i16;
    if contours >= 0 {
        // header, endPtsOfContours, instructionLength + instructions, then flags and points.
        let instructions_at = 10 + 2 * contours as usize;
        let length = g.u16(instructions_at)? as usize;
        out.extend_from_slice(g.slice(0, instructions_at)?);
        out.extend_from_slice(&0u16.to_be_bytes());
        let rest = instructions_at + 2 + length;
        out.extend_from_slice(g.slice(rest, glyph.len().saturating_sub(rest))?);
        return Ok(());
    }
    // A composite: copy each component without the WE_HAVE_INSTRUCTIONS flag, then stop
    // before the instructions that follow the last one.
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const HAS_SCALE: u16 = 0x0008;
    const MORE_COMPONENTS: u16 = 0x0020;
    const HAS_XY_SCALE: u16 = 0x0040;
    const HAS_TWO_BY_TWO: u16 = 0x0080;
    const HAS_INSTRUCTIONS: u16 = 0x0100;
    out.extend_from_slice(g.slice(0, 10)?);
    let mut at = 10;
    loop {
        let flags = g.u16(at)?;
        let mut size = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        size += match () {
            _ if flags & HAS_SCALE != 0 => 2,
            _ if flags & HAS_XY_SCALE != 0 => 4,
            _ if flags & HAS_TWO_BY_TWO != 0 => 8,
            _ => 0,
        };
        let component = g.slice(at, size)?;
        out.extend_from_slice(&(flags & !HAS_INSTRUCTIONS).to_be_bytes());
        out.extend_from_slice(&component[2..]);
        at += size;
        if flags & MORE_COMPONENTS == 0 {
            return Ok(());
        }
    }
}

/// The sfnt file: offset table, table records with checksums, padded tables, and the
/// whole-font checksum adjustment in `head`.
fn assemble(original: &[u8], tables: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16; // floor(log2 n)
    let search_range = (1u16 << entry_selector) * 16;
    let mut out = Vec::new();
    out.extend_from_slice(&original[0..4]); // sfnt version
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in tables {
        out.extend_from_slice(*tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        if *tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in tables {
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use printpdf::ParsedFont;

    const REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");

    fn tags(font: &[u8]) -> Vec<String> {
        let r = Reader(font);
        (0..r.u16(4).unwrap() as usize)
            .map(|i| String::from_utf8_lossy(r.slice(12 + 16 * i, 4).unwrap()).into_owned())
            .collect()
    }

    #[test]
    fn a_slimmed_font_keeps_glyphs_and_advances_and_loses_hinting() {
        let slim = strip_hinting(REGULAR).unwrap();
        assert!(
            slim.len() * 2 < REGULAR.len(),
            "{} of {}",
            slim.len(),
            REGULAR.len()
        );
        assert_eq!(
            tags(&slim),
            ["cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp"]
        );
        let mut warnings = Vec::new();
        let before = ParsedFont::from_bytes(REGULAR, 0, &mut warnings).unwrap();
        let after = ParsedFont::from_bytes(&slim, 0, &mut warnings).expect("the slim font parses");
        for c in "Aé€ΩЖ«’fi".chars() {
            let gid = before.lookup_glyph_index(c as u32).unwrap();
            assert_eq!(after.lookup_glyph_index(c as u32), Some(gid));
            assert_eq!(
                after.get_horizontal_advance(gid),
                before.get_horizontal_advance(gid)
            );
        }
        // The whole-font checksum comes out at the magic value.
        let mut zeroed = slim.clone();
        let head = tags(&slim).iter().position(|t| t == "head").unwrap();
        let at = Reader(&slim).u32(12 + 16 * head + 8).unwrap() as usize;
        zeroed[at + 8..at + 12].copy_from_slice(&[0; 4]);
        let adjustment = Reader(&slim).u32(at + 8).unwrap();
        assert_eq!(checksum(&zeroed).wrapping_add(adjustment), 0xB1B0_AFBA);
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(strip_hinting(b"").is_err());
        assert!(strip_hinting(&REGULAR[..100]).is_err());
        let mut cut = REGULAR.to_vec();
        cut.truncate(REGULAR.len() / 2);
        assert!(strip_hinting(&cut).is_err());
    }
}
