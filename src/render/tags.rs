//! The tagged PDF's logical structure, built from the roles layout gives each line: the
//! institution block, number, marking and codes as paragraphs, the kind as the heading,
//! the From/To/Subject rows as a table, then the body's headings, paragraphs, quotes and
//! lists in reading order. Page content refers to it by marked-content ids (`draw.rs`);
//! the footer, rules and DRAFT marks are artifacts outside it. printpdf writes marked
//! content but no structure tree, so the tree is added to the document it hands back.

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::layout::{BlockRole, Role};
use super::pdf::PdfError;

/// What one marked-content sequence of a page shows: a line of `role`, or the label of
/// a list point when `label`. Its index in the page's list is its marked-content id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tagged {
    pub role: Role,
    pub label: bool,
}

impl Tagged {
    /// The standard structure type of the element that holds this content.
    pub fn structure_type(&self) -> &'static str {
        match self.role {
            Role::Kind => "H1",
            Role::RowLabel(_) => "TH",
            Role::RowValue(_) => "TD",
            Role::Body(_, BlockRole::Heading) => "H2",
            Role::Body(_, BlockRole::Quote) => "BlockQuote",
            Role::Body(_, BlockRole::Item { .. }) if self.label => "Lbl",
            Role::Body(_, BlockRole::Item { .. }) => "LBody",
            Role::Institution
            | Role::PlaceAndDate
            | Role::Number
            | Role::Marking
            | Role::InterinstitutionalFile
            | Role::Codes
            | Role::Footer
            | Role::Body(_, BlockRole::Paragraph) => "P",
        }
    }
}

/// Which element a node is: consecutive content of the same element shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Document,
    Leaf(Tagged),
    Table,
    Row(usize),
    /// A list, by its first item's block; and a list point, by its block.
    List(usize),
    Item(usize),
}

#[derive(Debug)]
enum Kid {
    Node(usize),
    Content { page: usize, mcid: usize },
}

#[derive(Debug)]
struct Node {
    key: Key,
    structure_type: &'static str,
    parent: usize,
    kids: Vec<Kid>,
}

/// The structure tree under construction; node 0 is the document.
struct Tree {
    nodes: Vec<Node>,
    /// For each page, the node holding each marked-content id.
    parents: Vec<Vec<usize>>,
    /// The open lists, outermost first: each one's key block and its current item.
    lists: Vec<(usize, usize)>,
    block: Option<usize>,
}

impl Tree {
    fn new(pages: usize) -> Self {
        Self {
            nodes: vec![Node {
                key: Key::Document,
                structure_type: "Document",
                parent: 0,
                kids: Vec::new(),
            }],
            parents: vec![Vec::new(); pages],
            lists: Vec::new(),
            block: None,
        }
    }

    /// Places content `mcid` of `page` under the elements `tagged` belongs to.
    fn add(&mut self, page: usize, mcid: usize, tagged: Tagged) {
        let mut path = self.path(tagged);
        path.push((Key::Leaf(tagged), tagged.structure_type()));
        let mut parent = 0;
        for (key, structure_type) in path {
            let last = match self.nodes[parent].kids.last() {
                Some(Kid::Node(last)) if self.nodes[*last].key == key => Some(*last),
                _ => None,
            };
            parent = last.unwrap_or_else(|| {
                self.nodes.push(Node {
                    key,
                    structure_type,
                    parent,
                    kids: Vec::new(),
                });
                let node = self.nodes.len() - 1;
                self.nodes[parent].kids.push(Kid::Node(node));
                node
            });
        }
        self.nodes[parent].kids.push(Kid::Content { page, mcid });
        self.parents[page].push(parent);
    }

    /// The elements above the leaf that holds `tagged`, outermost first.
    fn path(&mut self, tagged: Tagged) -> Vec<(Key, &'static str)> {
        match tagged.role {
            Role::RowLabel(row) | Role::RowValue(row) => {
                vec![(Key::Table, "Table"), (Key::Row(row), "TR")]
            }
            Role::Body(block, BlockRole::Item { depth }) => {
                if self.block != Some(block) {
                    self.block = Some(block);
                    if self.lists.len() > depth {
                        self.lists.truncate(depth + 1);
                        self.lists[depth].1 = block;
                    }
                    while self.lists.len() <= depth {
                        self.lists.push((block, block));
                    }
                }
                let mut path = Vec::with_capacity(3 * (depth + 1));
                for (level, &(list, item)) in self.lists.iter().enumerate() {
                    path.push((Key::List(list), "L"));
                    path.push((Key::Item(item), "LI"));
                    if level < depth {
                        // A nested list lives in its parent point's body.
                        let body = Tagged {
                            role: Role::Body(item, BlockRole::Item { depth: level }),
                            label: false,
                        };
                        path.push((Key::Leaf(body), "LBody"));
                    }
                }
                path
            }
            Role::Body(block, _) => {
                self.block = Some(block);
                self.lists.clear();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// Adds the structure tree of the document's pages to `pdf` (`marks[i]`: page i's
/// marked content in id order), and the catalog entries of a tagged PDF.
pub fn add_structure(pdf: &mut Document, marks: &[Vec<Tagged>]) -> Result<(), PdfError> {
    let mut tree = Tree::new(marks.len());
    for (page, tagged) in marks.iter().enumerate() {
        for (mcid, t) in tagged.iter().enumerate() {
            tree.add(page, mcid, *t);
        }
    }
    let pages: Vec<ObjectId> = pdf.get_pages().into_values().collect();
    let root = pdf.new_object_id();
    let ids: Vec<ObjectId> = tree.nodes.iter().map(|_| pdf.new_object_id()).collect();
    for (node, &id) in tree.nodes.iter().zip(&ids) {
        let kids: Vec<Object> = node
            .kids
            .iter()
            .map(|kid| match kid {
                Kid::Node(n) => ids[*n].into(),
                Kid::Content { page, mcid } => Dictionary::from_iter([
                    ("Type", "MCR".into()),
                    ("Pg", pages[*page].into()),
                    ("MCID", (*mcid as i64).into()),
                ])
                .into(),
            })
            .collect();
        let parent = if node.key == Key::Document {
            root
        } else {
            ids[node.parent]
        };
        pdf.objects.insert(
            id,
            Dictionary::from_iter([
                ("Type", "StructElem".into()),
                ("S", node.structure_type.into()),
                ("P", parent.into()),
                ("K", kids.into()),
            ])
            .into(),
        );
    }
    let mut numbers = Vec::with_capacity(2 * pages.len());
    for (i, (page, parents)) in pages.iter().zip(&tree.parents).enumerate() {
        numbers.push((i as i64).into());
        numbers.push(Object::Array(
            parents.iter().map(|n| ids[*n].into()).collect(),
        ));
        pdf.get_object_mut(*page)
            .and_then(Object::as_dict_mut)
            .map_err(|e| PdfError::new(&e))?
            .set("StructParents", i as i64);
    }
    pdf.objects.insert(
        root,
        Dictionary::from_iter([
            ("Type", "StructTreeRoot".into()),
            ("K", ids[0].into()),
            (
                "ParentTree",
                Dictionary::from_iter([("Nums", numbers.into())]).into(),
            ),
            ("ParentTreeNextKey", (pages.len() as i64).into()),
        ])
        .into(),
    );
    let catalog = pdf.catalog_mut().map_err(|e| PdfError::new(&e))?;
    catalog.set("StructTreeRoot", root);
    catalog.set("MarkInfo", Dictionary::from_iter([("Marked", true.into())]));
    catalog.set(
        "ViewerPreferences",
        Dictionary::from_iter([("DisplayDocTitle", true.into())]),
    );
    Ok(())
}
