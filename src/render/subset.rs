//! TrueType subsetting for embedding: the glyphs a document uses, renumbered from 1 in
//! the order given (0 stays .notdef, and the parts of composite glyphs are added), with
//! their outlines and metrics only. Hinting (glyph programs, `fpgm`, `prep`, `cvt `) is for
//! screens at small pixel sizes and is two thirds of Liberation Serif's glyph data; `cmap`,
//! `name` and `post` are not read from an embedded CID font, which is addressed by glyph
//! id. The result is what goes into a PDF's `/FontFile2`.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot subset the font: {0}")]
pub struct SubsetError(&'static str);

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u16(&self, at: usize) -> Result<u16, SubsetError> {
        self.0
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(SubsetError("truncated"))
    }

    fn i16(&self, at: usize) -> Result<i16, SubsetError> {
        self.u16(at).map(|v| v as i16)
    }

    fn u32(&self, at: usize) -> Result<u32, SubsetError> {
        self.0
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(SubsetError("truncated"))
    }

    fn slice(&self, at: usize, len: usize) -> Result<&'a [u8], SubsetError> {
        self.0
            .get(at..at.checked_add(len).ok_or(SubsetError("overflow"))?)
            .ok_or(SubsetError("truncated"))
    }
}

/// A parsed font program: where its tables are, and the face-wide metrics a PDF font
/// descriptor states (in font units).
pub struct FontProgram<'a> {
    font: &'a [u8],
    glyf: &'a [u8],
    loca: &'a [u8],
    hmtx: &'a [u8],
    head: &'a [u8],
    hhea: &'a [u8],
    maxp: &'a [u8],
    long_loca: bool,
    num_glyphs: u16,
    num_h_metrics: u16,
    pub units_per_em: u16,
    /// xMin, yMin, xMax, yMax.
    pub bbox: [i16; 4],
    pub ascent: i16,
    pub descent: i16,
    pub cap_height: i16,
    /// Degrees counter-clockwise from vertical (negative for italics).
    pub italic_angle: f32,
}

impl<'a> FontProgram<'a> {
    /// Every character the font maps to a glyph, from its Unicode `cmap` subtable (format
    /// 12 for the full repertoire, else format 4 for the Basic Multilingual Plane).
    pub fn char_map(&self) -> Result<HashMap<u32, u16>, SubsetError> {
        let r = Reader(self.font);
        let cmap = (0..r.u16(4)? as usize)
            .map(|i| 12 + 16 * i)
            .find(|&rec| r.slice(rec, 4).is_ok_and(|t| t == b"cmap"))
            .ok_or(SubsetError("no cmap table"))?;
        let cmap = r.slice(r.u32(cmap + 8)? as usize, r.u32(cmap + 12)? as usize)?;
        let c = Reader(cmap);
        let mut best: Option<(u16, usize)> = None;
        for i in 0..c.u16(2)? as usize {
            let (platform, encoding, offset) = (
                c.u16(4 + 8 * i)?,
                c.u16(6 + 8 * i)?,
                c.u32(8 + 8 * i)? as usize,
            );
            let format = c.u16(offset)?;
            let unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10));
            if unicode && (format == 12 || (format == 4 && best.is_none_or(|(f, _)| f != 12))) {
                best = Some((format, offset));
            }
        }
        let (format, at) = best.ok_or(SubsetError("no Unicode cmap subtable"))?;
        let mut map = HashMap::new();
        if format == 12 {
            for g in 0..c.u32(at + 12)? as usize {
                let group = at + 16 + 12 * g;
                let (start, end, glyph) = (c.u32(group)?, c.u32(group + 4)?, c.u32(group + 8)?);
                for cp in start..=end.min(start.saturating_add(0xFFFF)) {
                    map.insert(cp, (glyph + (cp - start)) as u16);
                }
            }
        } else {
            let segments = c.u16(at + 6)? as usize / 2;
            let (ends, starts) = (at + 14, at + 16 + 2 * segments);
            let (deltas, ranges) = (starts + 2 * segments, starts + 4 * segments);
            for s in 0..segments {
                let (start, end) = (c.u16(starts + 2 * s)?, c.u16(ends + 2 * s)?);
                let (delta, range) = (c.u16(deltas + 2 * s)?, c.u16(ranges + 2 * s)? as usize);
                for cp in start..=end {
                    let glyph = if range == 0 {
                        cp.wrapping_add(delta)
                    } else {
                        let at = ranges + 2 * s + range + 2 * (cp - start) as usize;
                        match c.u16(at)? {
                            0 => 0,
                            g => g.wrapping_add(delta),
                        }
                    };
                    if glyph != 0 && cp != 0xFFFF {
                        map.insert(u32::from(cp), glyph);
                    }
                }
            }
        }
        Ok(map)
    }

    pub fn parse(font: &'a [u8]) -> Result<Self, SubsetError> {
        let r = Reader(font);
        let find = |tag: &[u8; 4]| -> Result<Option<&'a [u8]>, SubsetError> {
            for i in 0..r.u16(4)? as usize {
                let record = 12 + 16 * i;
                if r.slice(record, 4)? == tag {
                    return Ok(Some(r.slice(
                        r.u32(record + 8)? as usize,
                        r.u32(record + 12)? as usize,
                    )?));
                }
            }
            Ok(None)
        };
        let required = |t: Option<&'a [u8]>| t.ok_or(SubsetError("a required table is missing"));
        let (glyf, loca, hmtx) = (
            required(find(b"glyf")?)?,
            required(find(b"loca")?)?,
            required(find(b"hmtx")?)?,
        );
        let (head, hhea, maxp) = (
            required(find(b"head")?)?,
            required(find(b"hhea")?)?,
            required(find(b"maxp")?)?,
        );
        let (post, os2) = (find(b"post")?, find(b"OS/2")?);
        let (h, hh) = (Reader(head), Reader(hhea));
        let italic_angle = match post {
            Some(post) => Reader(post).u32(4)? as i32 as f32 / 65536.0,
            None => 0.0,
        };
        let ascent = hh.i16(4)?;
        let cap_height = match os2 {
            Some(os2) if Reader(os2).u16(0)? >= 2 => Reader(os2).i16(88)?,
            _ => ascent,
        };
        Ok(Self {
            font,
            glyf,
            loca,
            hmtx,
            head,
            hhea,
            maxp,
            long_loca: h.u16(50)? == 1,
            num_glyphs: Reader(maxp).u16(4)?,
            num_h_metrics: hh.u16(34)?,
            units_per_em: h.u16(18)?.max(1),
            bbox: [h.i16(36)?, h.i16(38)?, h.i16(40)?, h.i16(42)?],
            ascent,
            descent: hh.i16(6)?,
            cap_height,
            italic_angle,
        })
    }

    fn glyph(&self, gid: u16) -> Result<&'a [u8], SubsetError> {
        if gid >= self.num_glyphs {
            return Err(SubsetError("glyph id out of range"));
        }
        let r = Reader(self.loca);
        let at = |i: usize| -> Result<usize, SubsetError> {
            Ok(if self.long_loca {
                r.u32(4 * i)? as usize
            } else {
                r.u16(2 * i)? as usize * 2
            })
        };
        let (start, end) = (at(gid as usize)?, at(gid as usize + 1)?);
        if end <= start {
            return Ok(&[]);
        }
        Reader(self.glyf).slice(start, end - start)
    }

    /// Advance width and left side bearing of `gid`, in font units.
    pub fn metrics(&self, gid: u16) -> Result<(u16, i16), SubsetError> {
        let r = Reader(self.hmtx);
        let long = self.num_h_metrics.max(1) as usize;
        let gid = gid as usize;
        if gid < long {
            Ok((r.u16(4 * gid)?, r.i16(4 * gid + 2)?))
        } else {
            Ok((r.u16(4 * (long - 1))?, r.i16(4 * long + 2 * (gid - long))?))
        }
    }
}

/// A subset: its font program, and the old glyph id of each new one (index = new id).
pub struct Subset {
    pub program: Vec<u8>,
    pub old_ids: Vec<u16>,
}

/// Subsets `font` to `glyphs` (old ids, in the order their new ids are given: the first
/// becomes 1). Returns the new program; `old_ids` may be longer than `glyphs` + 1 when
/// composites needed their parts.
pub fn subset(font: &FontProgram<'_>, glyphs: &[u16]) -> Result<Subset, SubsetError> {
    let mut old_ids: Vec<u16> = vec![0];
    let mut new_id: HashMap<u16, u16> = HashMap::from([(0, 0)]);
    for &gid in glyphs {
        if let std::collections::hash_map::Entry::Vacant(slot) = new_id.entry(gid) {
            slot.insert(old_ids.len() as u16);
            old_ids.push(gid);
        }
    }
    // Composites bring their parts, which may be composites in turn.
    let mut i = 0;
    while i < old_ids.len() {
        let glyph = font.glyph(old_ids[i])?;
        walk_glyph(glyph, &mut Vec::new(), &mut |part| {
            let next = new_id.len() as u16;
            *new_id.entry(part).or_insert_with(|| {
                old_ids.push(part);
                next
            })
        })?;
        i += 1;
    }

    let mut glyf = Vec::new();
    let mut loca = Vec::with_capacity(4 * (old_ids.len() + 1));
    let mut hmtx = Vec::with_capacity(4 * old_ids.len());
    for &old in &old_ids {
        loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
        walk_glyph(font.glyph(old)?, &mut glyf, &mut |part| {
            new_id.get(&part).copied().unwrap_or(0)
        })?;
        glyf.resize(glyf.len().div_ceil(4) * 4, 0);
        let (advance, lsb) = font.metrics(old)?;
        hmtx.extend_from_slice(&advance.to_be_bytes());
        hmtx.extend_from_slice(&lsb.to_be_bytes());
    }
    loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());

    let count = (old_ids.len() as u16).to_be_bytes();
    let mut head = font.head.to_vec();
    head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set by `assemble`
    head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca
    let mut hhea = font.hhea.to_vec();
    hhea[34..36].copy_from_slice(&count);
    let mut maxp = font.maxp.to_vec();
    maxp[4..6].copy_from_slice(&count);
    let tables: [(&[u8; 4], &[u8]); 6] = [
        (b"glyf", &glyf),
        (b"head", &head),
        (b"hhea", &hhea),
        (b"hmtx", &hmtx),
        (b"loca", &loca),
        (b"maxp", &maxp),
    ];
    Ok(Subset {
        program: assemble(&font.font[0..4], &tables),
        old_ids,
    })
}

/// Copies `glyph` to `out` without its instructions; for a composite, each part's glyph id
/// is passed to `part`, and what it returns is written in its place.
fn walk_glyph(
    glyph: &[u8],
    out: &mut Vec<u8>,
    part: &mut impl FnMut(u16) -> u16,
) -> Result<(), SubsetError> {
    if glyph.is_empty() {
        return Ok(());
    }
    let g = Reader(glyph);
    let contours = g.i16(0)?;
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
        size += if flags & HAS_SCALE != 0 {
            2
        } else if flags & HAS_XY_SCALE != 0 {
            4
        } else if flags & HAS_TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        let bytes = g.slice(at, size)?;
        out.extend_from_slice(&(flags & !HAS_INSTRUCTIONS).to_be_bytes());
        out.extend_from_slice(&part(g.u16(at + 2)?).to_be_bytes());
        out.extend_from_slice(&bytes[4..]);
        at += size;
        if flags & MORE_COMPONENTS == 0 {
            return Ok(());
        }
    }
}

/// The sfnt file: offset table, table records with checksums, padded tables, and the
/// whole-font checksum adjustment in `head`.
fn assemble(version: &[u8], tables: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16; // floor(log2 n)
    let search_range = (1u16 << entry_selector) * 16;
    let mut out = Vec::new();
    out.extend_from_slice(version);
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

    const REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");

    #[test]
    fn the_character_map_covers_latin_greek_and_cyrillic() {
        let program = FontProgram::parse(REGULAR).unwrap();
        let map = program.char_map().unwrap();
        assert!(map.len() > 2000, "{}", map.len());
        for c in "Aaé€ΩЖ«’\u{202F}".chars() {
            let gid = map[&(c as u32)];
            assert!(gid > 0 && gid < program.num_glyphs, "{c:?}");
        }
        // Times metrics: 'A' is 0.722 em, 'a' 0.444 em.
        let em = |c: char| f32::from(program.metrics(map[&(c as u32)]).unwrap().0) / 2048.0;
        assert!((em('A') - 0.722).abs() < 0.001 && (em('a') - 0.444).abs() < 0.001);
        assert!(!map.contains_key(&('中' as u32)));
    }

    #[test]
    fn a_subset_renumbers_keeps_outlines_and_advances_and_drops_hinting() {
        let program = FontProgram::parse(REGULAR).unwrap();
        assert_eq!(program.units_per_em, 2048);
        let map = program.char_map().unwrap();
        let wanted: Vec<u16> = "Aé€ΩЖ«".chars().map(|c| map[&(c as u32)]).collect();
        let subset = subset(&program, &wanted).unwrap();
        assert!(
            subset.program.len() < 8_000,
            "{} bytes",
            subset.program.len()
        );
        assert_eq!(&subset.old_ids[1..=wanted.len()], wanted.as_slice());

        let again = FontProgram::parse(&subset.program).unwrap();
        assert_eq!(again.num_glyphs as usize, subset.old_ids.len());
        for (new, old) in subset.old_ids.iter().enumerate() {
            assert_eq!(
                again.metrics(new as u16).unwrap(),
                program.metrics(*old).unwrap(),
                "glyph {old}"
            );
            let (before, after) = (
                program.glyph(*old).unwrap(),
                again.glyph(new as u16).unwrap(),
            );
            assert_eq!(before.is_empty(), after.is_empty());
            assert!(after.len() <= before.len() + 3);
        }
        // The whole-font checksum comes out at the magic value.
        let r = Reader(&subset.program);
        let head_at = (0..6)
            .map(|i| 12 + 16 * i)
            .find(|&rec| r.slice(rec, 4).unwrap() == b"head")
            .unwrap();
        let at = r.u32(head_at + 8).unwrap() as usize;
        let adjustment = r.u32(at + 8).unwrap();
        let mut zeroed = subset.program.clone();
        zeroed[at + 8..at + 12].copy_from_slice(&[0; 4]);
        assert_eq!(checksum(&zeroed).wrapping_add(adjustment), 0xB1B0_AFBA);
    }

    #[test]
    fn composite_glyphs_bring_their_parts_renumbered() {
        let program = FontProgram::parse(REGULAR).unwrap();
        let parts_of = |glyph: &[u8]| {
            let mut parts = Vec::new();
            walk_glyph(glyph, &mut Vec::new(), &mut |p| {
                parts.push(p);
                p
            })
            .unwrap();
            parts
        };
        // A composite built from at least one real outline (some reference the empty space).
        let composite = (1..program.num_glyphs)
            .find(|&g| {
                let glyph = program.glyph(g).unwrap();
                !glyph.is_empty()
                    && Reader(glyph).i16(0).unwrap() < 0
                    && parts_of(glyph)
                        .iter()
                        .any(|p| !program.glyph(*p).unwrap().is_empty())
            })
            .expect("Liberation Serif has composite glyphs");
        let subset = subset(&program, &[composite]).unwrap();
        assert!(
            subset.old_ids.len() > 2,
            "parts added: {:?}",
            subset.old_ids
        );
        let again = FontProgram::parse(&subset.program).unwrap();
        let parts = parts_of(again.glyph(1).unwrap());
        assert_eq!(
            parts.len(),
            parts_of(program.glyph(composite).unwrap()).len()
        );
        for p in parts {
            let old = subset.old_ids[p as usize];
            assert!(old != 0 || p == 0, "part {p} points at a kept glyph");
            assert_eq!(
                again.glyph(p).unwrap().is_empty(),
                program.glyph(old).unwrap().is_empty(),
                "part {p} (was {old})"
            );
        }
        assert!(
            subset
                .old_ids
                .iter()
                .skip(2)
                .any(|o| !program.glyph(*o).unwrap().is_empty())
        );
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(FontProgram::parse(b"").is_err());
        assert!(FontProgram::parse(&REGULAR[..100]).is_err());
        let cut = &REGULAR[..REGULAR.len() / 2];
        assert!(
            FontProgram::parse(cut)
                .and_then(|p| subset(&p, &[3000, 36]))
                .is_err()
        );
        let program = FontProgram::parse(REGULAR).unwrap();
        assert!(subset(&program, &[60_000]).is_err());
    }
}
