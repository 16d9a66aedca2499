//! "Did you mean": the closest configured name to one that is not known.

use std::collections::BTreeSet;

/// "unknown X `foo`; did you mean `bar`?", pointing at the configuration key that lists them.
pub(super) fn unknown<T: std::fmt::Display>(
    input: &str,
    what: &str,
    known: &BTreeSet<T>,
    key: &str,
) -> String {
    let names: Vec<String> = known.iter().map(ToString::to_string).collect();
    let closest = names
        .iter()
        .map(|n| (edit_distance(&input.to_uppercase(), &n.to_uppercase()), n))
        .min()
        .filter(|(d, _)| *d <= 2);
    match closest {
        Some((_, name)) => format!("unknown {what} `{input}`; did you mean `{name}`?"),
        None => format!(
            "unknown {what} `{input}`; the configuration (`{key}`) knows: {}",
            names.join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}
