//! Byte helpers shared by the detectors: word boundaries, context words, entropy.

/// A byte that continues a word (`[A-Za-z0-9_]`).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte at `i`, or `None` out of range.
pub(crate) fn at(text: &[u8], i: usize) -> Option<u8> {
    text.get(i).copied()
}

/// The byte before `i`.
pub(crate) fn before(text: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| at(text, j))
}

/// Whether any of `words` (lowercase) occurs in the `window` bytes before `start`,
/// compared case-insensitively.
pub(crate) fn preceded_by(text: &[u8], start: usize, window: usize, words: &[&str]) -> bool {
    let from = start.saturating_sub(window);
    let Some(slice) = text.get(from..start) else {
        return false;
    };
    let mut lower = [0u8; 64];
    let n = slice.len().min(lower.len());
    let tail = slice.get(slice.len() - n..).unwrap_or(&[]);
    for (d, s) in lower.iter_mut().zip(tail) {
        *d = s.to_ascii_lowercase();
    }
    let hay = lower.get(..n).unwrap_or(&[]);
    words.iter().any(|w| contains(hay, w.as_bytes()))
}

/// Whether `word` occurs in the short `hay`. A substring searcher is built per call,
/// which costs more than comparing at each occurrence of the word's first byte.
fn contains(hay: &[u8], word: &[u8]) -> bool {
    let Some((&first, rest)) = word.split_first() else {
        return true;
    };
    memchr::memchr_iter(first, hay).any(|i| {
        hay.get(i + 1..i + word.len())
            .is_some_and(|tail| tail == rest)
    })
}

/// Like [`preceded_by`], but only within the clause the value sits in: the window
/// stops at a line break, `;`, `,`, `|`, the `]` closing an earlier mask, a sentence end (`. ` before a capital), or an
/// earlier `key=` / `key:` assignment than the value's own. So in
/// `ssn=… order_number=255165867` the `ssn` belongs to another field.
pub(crate) fn preceded_in_clause_by(
    text: &[u8],
    start: usize,
    window: usize,
    words: &[&str],
) -> bool {
    let from = start.saturating_sub(window);
    let Some(slice) = text.get(from..start) else {
        return false;
    };
    let mut cut = 0;
    let mut assignments = 0;
    for (i, &b) in slice.iter().enumerate().rev() {
        let boundary = match b {
            b'\n' | b'\r' | b';' | b',' | b'|' | b']' => true,
            b'=' | b':' => {
                assignments += 1;
                assignments == 2
            }
            b'.' => {
                slice.get(i + 1) == Some(&b' ')
                    && slice.get(i + 2).is_some_and(u8::is_ascii_uppercase)
            }
            _ => false,
        };
        if boundary {
            cut = i + 1;
            break;
        }
    }
    preceded_by(text, start, start - (from + cut), words)
}

/// Shannon entropy of `bytes`, in bits per byte.
pub(crate) fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The end of the run of bytes satisfying `pred` starting at `i`.
pub(crate) fn run_end(text: &[u8], mut i: usize, pred: impl Fn(u8) -> bool) -> usize {
    while at(text, i).is_some_and(&pred) {
        i += 1;
    }
    i
}

/// The start of the run of bytes satisfying `pred` ending at `i` (exclusive).
pub(crate) fn run_start(text: &[u8], mut i: usize, pred: impl Fn(u8) -> bool) -> usize {
    while before(text, i).is_some_and(&pred) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_words_and_entropy() {
        assert!(preceded_by(b"My SSN: 123", 8, 16, &["ssn"]));
        assert!(!preceded_by(b"order 123", 6, 16, &["ssn"]));
        assert!(entropy(b"aaaa") < 0.1);
        assert!(entropy(b"abcdefgh") > 2.9);
        assert_eq!(run_end(b"123ab", 0, |b| b.is_ascii_digit()), 3);
        assert_eq!(run_start(b"ab123", 5, |b| b.is_ascii_digit()), 2);
    }
}
