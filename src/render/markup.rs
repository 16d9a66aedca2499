//! Body markup (a small Markdown subset) into blocks of styled text, with pulldown-cmark:
//! paragraphs, numbered points, bullets, *emphasis*, **strong**, block quotes and `# `
//! centred headings. Characters pass through exactly as written: no smart quotes, no
//! ligatures, so the PDF's text extracts as the drafter typed it.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A face of the body font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    fn with(self, bold: bool, italic: bool) -> Self {
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }
}

/// A run of text in one face. A `\n` inside is a forced line break.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub face: Face,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Vec<Span>),
    /// Centred and bold, as the title of an annex or attached text.
    Heading(Vec<Span>),
    /// A point of a list: `label` (`1.`, `–`) hangs in the margin of the text.
    Item {
        label: String,
        depth: usize,
        spans: Vec<Span>,
    },
    Quote(Vec<Span>),
}

/// Parses body markup into blocks.
pub fn parse(markup: &str) -> Vec<Block> {
    let mut builder = Builder::default();
    for event in Parser::new_ext(markup, Options::empty()) {
        builder.event(event);
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    spans: Vec<Span>,
    bold: usize,
    italic: usize,
    heading: bool,
    quote: usize,
    /// Open lists: the next number for ordered ones, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The label of the item whose text is being collected.
    item: Option<String>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::Heading { .. }) => self.heading = true,
            Event::End(TagEnd::Heading(_)) => {
                self.heading = false;
                let spans = self.take();
                self.push(Block::Heading(spans));
            }
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Start(Tag::BlockQuote(_)) => self.quote += 1,
            Event::End(TagEnd::BlockQuote(_)) => self.quote = self.quote.saturating_sub(1),
            Event::Start(Tag::List(first)) => {
                self.flush_item();
                self.lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                self.flush_item();
                self.lists.pop();
            }
            Event::Start(Tag::Item) => {
                self.flush_item();
                let label = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}.", *n - 1)
                    }
                    _ => "–".to_owned(),
                };
                self.item = Some(label);
            }
            Event::End(TagEnd::Item) => self.flush_item(),
            Event::End(TagEnd::Paragraph) => {
                if self.item.is_some() {
                    // A loose list item's paragraphs: keep collecting, separated by a break.
                    self.text("\n");
                } else {
                    let spans = self.take();
                    let block = if self.quote > 0 {
                        Block::Quote(spans)
                    } else {
                        Block::Paragraph(spans)
                    };
                    self.push(block);
                }
            }
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                self.text(&text)
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => self.push(Block::Paragraph(vec![Span {
                face: Face::Regular,
                text: "___".into(),
            }])),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        let face = Face::Regular.with(self.bold > 0 || self.heading, self.italic > 0);
        match self.spans.last_mut() {
            Some(last) if last.face == face => last.text.push_str(text),
            _ => self.spans.push(Span {
                face,
                text: text.to_owned(),
            }),
        }
    }

    fn take(&mut self) -> Vec<Span> {
        let mut spans = std::mem::take(&mut self.spans);
        if let Some(last) = spans.last_mut() {
            let trimmed = last.text.trim_end_matches('\n').len();
            last.text.truncate(trimmed);
        }
        spans.retain(|s| !s.text.is_empty());
        spans
    }

    fn flush_item(&mut self) {
        if let Some(label) = self.item.take() {
            let spans = self.take();
            if !spans.is_empty() {
                let depth = self.lists.len().saturating_sub(1);
                self.push(Block::Item {
                    label,
                    depth,
                    spans,
                });
            }
        }
    }

    fn push(&mut self, block: Block) {
        let empty = match &block {
            Block::Paragraph(s)
            | Block::Heading(s)
            | Block::Quote(s)
            | Block::Item { spans: s, .. } => s.is_empty(),
        };
        if !empty {
            self.blocks.push(block);
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush_item();
        let spans = self.take();
        self.push(Block::Paragraph(spans));
        self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Vec<Span> {
        vec![Span {
            face: Face::Regular,
            text: text.into(),
        }]
    }

    #[test]
    fn paragraphs_headings_and_emphasis() {
        let blocks =
            parse("First *one* and **two**.\nSame paragraph.\n\n# A Title\n\nLast ***both***");
        assert_eq!(blocks.len(), 3);
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![
                Span {
                    face: Face::Regular,
                    text: "First ".into()
                },
                Span {
                    face: Face::Italic,
                    text: "one".into()
                },
                Span {
                    face: Face::Regular,
                    text: " and ".into()
                },
                Span {
                    face: Face::Bold,
                    text: "two".into()
                },
                Span {
                    face: Face::Regular,
                    text: ". Same paragraph.".into()
                },
            ])
        );
        assert_eq!(
            blocks[1],
            Block::Heading(vec![Span {
                face: Face::Bold,
                text: "A Title".into()
            }])
        );
        assert!(matches!(&blocks[2], Block::Paragraph(s) if s[1].face == Face::BoldItalic));
    }

    #[test]
    fn numbered_points_and_bullets() {
        let blocks = parse("1. First point\n2. Second point\n   - a bullet\n\n> quoted text");
        assert_eq!(
            blocks[0],
            Block::Item {
                label: "1.".into(),
                depth: 0,
                spans: plain("First point")
            }
        );
        assert_eq!(
            blocks[1],
            Block::Item {
                label: "2.".into(),
                depth: 0,
                spans: plain("Second point")
            }
        );
        assert_eq!(
            blocks[2],
            Block::Item {
                label: "–".into(),
                depth: 1,
                spans: plain("a bullet")
            }
        );
        assert_eq!(blocks[3], Block::Quote(plain("quoted text")));
    }

    #[test]
    fn numbering_follows_the_first_number() {
        let blocks = parse("3. Third\n4. Fourth");
        assert!(matches!(&blocks[0], Block::Item { label, .. } if label == "3."));
        assert!(matches!(&blocks[1], Block::Item { label, .. } if label == "4."));
    }

    #[test]
    fn characters_pass_through_unchanged() {
        let text = "« Déclaration » d’œuvre — ß ł ż, Ελληνικά, Български \"quotes\" -- fi";
        assert_eq!(parse(text), vec![Block::Paragraph(plain(text))]);
    }
}
