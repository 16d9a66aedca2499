//! What changed between two texts, word by word: the desk's view of two versions of a
//! note, and the approver's view of the changes since the version they last saw. Pure.

/// Whether a run of text is in both texts, only the old one, or only the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// Above this many word pairs the texts are shown as wholly replaced: the comparison's
/// cost grows with the product of their lengths.
const MAX_PAIRS: usize = 4_000_000;

/// The runs of `old` and `new`, in reading order, adjacent words of one kind merged.
pub fn words(old: &str, new: &str) -> Vec<(Change, String)> {
    let a: Vec<&str> = tokens(old);
    let b: Vec<&str> = tokens(new);
    let mut runs: Vec<(Change, String)> = Vec::new();
    let mut push = |change: Change, text: &str| match runs.last_mut() {
        Some((last, run)) if *last == change => run.push_str(text),
        _ => runs.push((change, text.to_owned())),
    };
    if a.len().saturating_mul(b.len()) > MAX_PAIRS {
        a.iter().for_each(|t| push(Change::Removed, t));
        b.iter().for_each(|t| push(Change::Added, t));
        return runs;
    }
    // lcs[i][j]: the longest common run of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            push(Change::Same, a[i]);
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            push(Change::Removed, a[i]);
            i += 1;
        } else {
            push(Change::Added, b[j]);
            j += 1;
        }
    }
    a[i..].iter().for_each(|t| push(Change::Removed, t));
    b[j..].iter().for_each(|t| push(Change::Added, t));
    runs
}

/// Words with the whitespace that follows each, so that the runs put back together give
/// the texts exactly.
fn tokens(text: &str) -> Vec<&str> {
    text.split_inclusive(char::is_whitespace).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuilt(runs: &[(Change, String)], side: Change) -> String {
        runs.iter()
            .filter(|(c, _)| *c == Change::Same || *c == side)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    #[test]
    fn changed_words_are_marked_and_both_texts_can_be_read_back() {
        let old = "The Council is invited to approve the text.";
        let new = "The Council is invited to confirm the agreed text.\nThanks.";
        let runs = words(old, new);
        assert_eq!(rebuilt(&runs, Change::Removed), old);
        assert_eq!(rebuilt(&runs, Change::Added), new);
        assert!(
            runs.contains(&(Change::Removed, "approve ".to_owned())),
            "{runs:?}"
        );
        assert!(
            runs.contains(&(Change::Added, "confirm ".to_owned())),
            "{runs:?}"
        );
        assert_eq!(
            runs[0],
            (Change::Same, "The Council is invited to ".to_owned())
        );
        assert_eq!(words("same", "same"), [(Change::Same, "same".to_owned())]);
        assert!(words("", "").is_empty());
    }
}
