//! PDF/A-2b for issued notes: the XMP metadata (the conformance claim and the same title,
//! author, subject, tool and dates as the information dictionary, with the number as
//! identifier and the note's language) and an sRGB output intent. The rest of what the
//! level asks is true of every note we write: fonts embedded, no encryption, a file ID.

use std::io::Write;
use std::sync::LazyLock;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use lopdf::{Dictionary, Document, Object, Stream};

use super::pdf::{Metadata, PdfError};

/// sRGB from Debian's icc-profiles-free (licence in `icc/`).
const SRGB: &[u8] = include_bytes!("../../icc/sRGB.icc");

/// The profile deflated once per process at the best level: it is the same in every
/// issued note, so no render needs to compress it again.
static SRGB_DEFLATED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(SRGB)
        .and_then(|()| encoder.finish())
        .expect("deflating a compiled-in profile into memory cannot fail")
});

/// Marks `pdf` as PDF/A-2b: its XMP metadata and output intent, added to the catalog.
pub fn make_archival(pdf: &mut Document, meta: &Metadata<'_>) -> Result<(), PdfError> {
    let metadata = pdf.add_object(Stream::new(
        Dictionary::from_iter([("Type", "Metadata".into()), ("Subtype", "XML".into())]),
        xmp(meta).into_bytes(),
    ));
    let profile = pdf.add_object(Stream::new(
        Dictionary::from_iter([("N", 3.into()), ("Filter", "FlateDecode".into())]),
        SRGB_DEFLATED.clone(),
    ));
    let intent = Dictionary::from_iter([
        ("Type", "OutputIntent".into()),
        ("S", "GTS_PDFA1".into()),
        (
            "OutputConditionIdentifier",
            Object::string_literal("sRGB IEC61966-2.1"),
        ),
        (
            "RegistryName",
            Object::string_literal("http://www.color.org"),
        ),
        ("Info", Object::string_literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", profile.into()),
    ]);
    let catalog = pdf.catalog_mut().map_err(|e| PdfError::new(&e))?;
    catalog.set("Metadata", metadata);
    catalog.set("OutputIntents", vec![Object::Dictionary(intent)]);
    Ok(())
}

/// The XMP packet; its values are those of the information dictionary, as PDF/A requires.
fn xmp(meta: &Metadata<'_>) -> String {
    let date = meta.created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
<dc:identifier>{subject}</dc:identifier>
<dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
<xmp:CreatorTool>{creator}</xmp:CreatorTool>
<xmp:CreateDate>{date}</xmp:CreateDate>
<xmp:ModifyDate>{date}</xmp:ModifyDate>
<xmp:MetadataDate>{date}</xmp:MetadataDate>
<pdf:Producer>{producer}</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#,
        bom = '\u{FEFF}',
        title = escape(meta.title),
        author = escape(meta.author),
        subject = escape(meta.subject),
        language = escape(meta.language),
        creator = super::pdf::CREATOR,
        producer = super::pdf::PRODUCER,
    )
}

/// `text` as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
