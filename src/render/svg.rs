//! Laid-out pages as SVG, for the web desk's live preview: the same `Page`s the PDF is
//! written from, so the preview breaks lines and pages exactly where the PDF does. Text is
//! set in the family `Notes Serif`, which the desk serves from the same Liberation Serif
//! files the PDF embeds (`static/desk.css`); a justified line's extra space after each
//! U+0020 becomes `word-spacing`, as the PDF's TJ offsets do.

use std::fmt::Write as _;

use super::layout::{HANG_WIDTH, Line, PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::markup::{Face, Span};

/// One `<svg>` element per page; `draft` marks each page as the PDF's watermark does.
pub fn pages(pages: &[Page], draft: bool) -> Vec<String> {
    pages.iter().map(|page| write_page(page, draft)).collect()
}

fn write_page(page: &Page, draft: bool) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"page\" viewBox=\"0 0 {PAGE_WIDTH} {PAGE_HEIGHT}\">\
         <rect width=\"{PAGE_WIDTH}\" height=\"{PAGE_HEIGHT}\" fill=\"#ffffff\"/>"
    );
    if draft {
        let _ = write!(
            out,
            "<text class=\"draft\" x=\"150\" y=\"{:.2}\" font-size=\"120\" font-weight=\"bold\" \
             fill=\"#d9d9d9\" transform=\"rotate(-45 150 {:.2})\">DRAFT</text>",
            PAGE_HEIGHT - 250.0,
            PAGE_HEIGHT - 250.0
        );
    }
    for rule in &page.rules {
        let y = PAGE_HEIGHT - rule.y;
        let _ = write!(
            out,
            "<line x1=\"{:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"#000000\" stroke-width=\"0.5\"/>",
            rule.x1, rule.x2
        );
    }
    for line in &page.lines {
        if let Some(label) = &line.hang {
            text(
                &mut out,
                line.x - HANG_WIDTH,
                line,
                std::slice::from_ref(label),
                0.0,
            );
        }
        text(&mut out, line.x, line, &line.spans, line.word_gap);
    }
    out.push_str("</svg>");
    out
}

/// One line's spans from (x, line.y), each face a `tspan`.
fn text(out: &mut String, x: f32, line: &Line, spans: &[Span], word_gap: f32) {
    let _ = write!(
        out,
        "<text x=\"{x:.2}\" y=\"{:.2}\" font-size=\"{}\"",
        PAGE_HEIGHT - line.y,
        line.size
    );
    if word_gap.abs() >= 0.005 {
        let _ = write!(out, " word-spacing=\"{word_gap:.3}\"");
    }
    out.push('>');
    for span in spans {
        let attributes = match span.face {
            Face::Regular => "",
            Face::Bold => " font-weight=\"bold\"",
            Face::Italic => " font-style=\"italic\"",
            Face::BoldItalic => " font-weight=\"bold\" font-style=\"italic\"",
        };
        let _ = write!(out, "<tspan{attributes}>");
        escape(out, &span.text);
        out.push_str("</tspan>");
    }
    out.push_str("</text>");
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::layout::{Role, Rule};

    #[test]
    fn lines_are_placed_from_the_top_with_their_faces_and_escaped() {
        let page = Page {
            lines: vec![Line {
                x: 70.0,
                y: PAGE_HEIGHT - 100.0,
                size: 12.0,
                spans: vec![
                    Span {
                        face: Face::Regular,
                        text: "A <b> & ".to_owned(),
                    },
                    Span {
                        face: Face::Bold,
                        text: "bold".to_owned(),
                    },
                ],
                word_gap: 1.5,
                hang: None,
                role: Role::Footer,
            }],
            rules: vec![Rule {
                x1: 10.0,
                x2: 20.0,
                y: PAGE_HEIGHT - 5.0,
            }],
        };
        let svg = &pages(&[page], true)[0];
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(
            svg.contains(
                "<text x=\"70.00\" y=\"100.00\" font-size=\"12\" word-spacing=\"1.500\">\
             <tspan>A &lt;b&gt; &amp; </tspan><tspan font-weight=\"bold\">bold</tspan></text>"
            ),
            "{svg}"
        );
        assert!(svg.contains("y1=\"5.00\""), "{svg}");
        assert!(svg.contains(">DRAFT</text>"), "{svg}");
        assert!(!pages(&[Page::default()], false)[0].contains("DRAFT"));
    }
}
