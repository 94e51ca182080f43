//! Unicode tricks in command positions: what the inspectors should see, and what was odd.
//!
//! [`normalize_command`] turns text that will be run (a shell line, an SQL statement, a
//! kubectl command) into the form the inspectors parse, and lists in plain English
//! everything that looked like an attempt to make the text read differently to a person,
//! to a deny rule and to the program that runs it. A non-empty
//! [`Normalized::suspicious`] means the caller adds the label `unicode.suspicious`.
//!
//! What it does, in this order, in one pass over the text:
//!
//! * removes bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069), tag characters (U+E0000–U+E007F, which can spell hidden ASCII),
//!   variation selectors, the other `Default_Ignorable_Code_Point`s (zero-width space and
//!   joiners, word joiner, byte-order mark, soft hyphen, Hangul fillers …) and C1 control
//!   characters;
//! * maps non-ASCII white space (no-break space, the U+2000–U+200A spaces, ideographic
//!   space, Ogham space mark, line and paragraph separators, NEL …) to an ASCII space;
//! * folds every decimal digit (`Nd`: Arabic-Indic `٤`, Devanagari `४`, fullwidth `４`,
//!   mathematical `𝟒` …) to its ASCII digit, by digit value;
//! * flags (does not change) letters that are not ASCII but look like an ASCII letter
//!   (Cyrillic `а е о р с у х і ј ѕ`, Greek `ο α ν ρ τ`, their capitals, and a few
//!   Armenian, Cherokee and Latin look-alikes such as dotless `ı`);
//!
//! then applies NFKC, which folds compatibility forms (fullwidth `ｒｍ`, ligatures,
//! mathematical letters, the Angstrom sign …) and composes combining sequences; any change
//! NFKC makes is reported.
//!
//! Decisions:
//!
//! * **Accented Latin letters are not suspicious.** `café`, `naïve` or `Ångström` cannot
//!   be mistaken for an ASCII word by a reader, NFKC leaves precomposed letters alone, and
//!   none of them turns into a different ASCII command, so they pass unflagged. A
//!   decomposed `e` + U+0301 is composed by NFKC and therefore reported.
//! * **Look-alike letters are judged per word** (in the spirit of Unicode TS #39 mixed- and
//!   whole-script confusables). A look-alike is always reported when its word also has
//!   ASCII letters (`сurl` with a Cyrillic `с`). A word made only of look-alikes (`рор`,
//!   which reads as `pop`) is reported unless the text also has letters of a non-Latin
//!   script that look like no ASCII letter: then the text is genuinely written in that
//!   script and short words such as the Russian `с` or `а` are not tricks. Words with such
//!   letters (`привет`, `λάθος`) are plainly not Latin and are never reported, so text in
//!   other scripts inside a command (a commit message, a file name) is not flagged.
//! * **Reasons are per kind, not per character**: each kind names its first occurrence
//!   (code point and byte offset in the *input*) and how many there were, so a megabyte of
//!   zero-width spaces gives one reason, not a million.
//! * Punctuation look-alikes (en dash for `-`, division slash for `/`) that NFKC leaves
//!   alone are not reported: they make a command fail, not do something else.
//!
//! ASCII input takes a fast path: it is returned unchanged with no reasons, and nothing
//! is allocated but the returned `String`. All work is linear in the input (NFKC's
//! canonical reordering sorts each run of combining marks, which is at worst
//! `n log n` in the run's length); nothing recurses.
//!
//! Tables are from Unicode 16.0.0 (`DerivedCoreProperties.txt` for
//! `Default_Ignorable_Code_Point`, `PropList.txt` for `White_Space` and `Bidi_Control`,
//! `DerivedGeneralCategory.txt` for `Nd`).

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The text to inspect and what was suspicious about it.
///
/// ```
/// use tollgate::classify::unicode::normalize_command;
///
/// // A zero-width space inside `rm`, a fullwidth `ｒ`, and a no-break space.
/// let n = normalize_command("r\u{200B}m -rf\u{00A0}/ ; ｒm x");
/// assert_eq!(n.text, "rm -rf / ; rm x");
/// assert_eq!(n.suspicious.len(), 3);
///
/// // Plain ASCII is returned as it is.
/// let n = normalize_command("ls -la");
/// assert_eq!(n.text, "ls -la");
/// assert!(n.suspicious.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The normalised text: what the inspectors parse.
    pub text: String,
    /// Why the input looked suspicious, in plain English; empty when it did not. A
    /// non-empty list means the caller adds the label `unicode.suspicious`.
    pub suspicious: Vec<String>,
}

/// Normalises text found in a command position (see the [module docs](self) for the
/// rules) and reports the Unicode tricks it contained.
///
/// ```
/// use tollgate::classify::unicode::normalize_command;
///
/// // A Cyrillic `с` in `curl` is kept, but reported.
/// let n = normalize_command("\u{0441}url https://example.com");
/// assert_eq!(n.text, "\u{0441}url https://example.com");
/// assert_eq!(n.suspicious, ["non-Latin letter U+0441 looks like c at byte 0"]);
///
/// // Arabic-Indic digits are read as ASCII digits.
/// assert_eq!(normalize_command("head -n \u{0664}\u{0662}").text, "head -n 42");
/// ```
pub fn normalize_command(text: &str) -> Normalized {
    if text.is_ascii() {
        return Normalized {
            text: text.to_owned(),
            suspicious: Vec::new(),
        };
    }

    let mut seen = Seen::default();
    let mut word = Word::default();
    let mut folded = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let kind = kind_of(c);
        match kind {
            Kind::Removed(why) => {
                seen.removed(why, c, at);
                // Removed characters do not end a word: `с\u{200B}url` is one word.
                continue;
            }
            Kind::Space => {
                seen.space.note(c, at);
                folded.push(' ');
            }
            Kind::Digit(d) => {
                seen.digit.note(c, at);
                folded.push(d);
            }
            Kind::Other => {
                if !c.is_ascii() && !nfkc_keeps(c) {
                    seen.compat.note(c, at);
                }
                folded.push(c);
            }
        }
        word.step(c, at, &mut seen.words);
    }
    word.end(&mut seen.words);
    seen.words.finish(&mut seen.confusable);

    let mut suspicious = seen.reasons();
    let text = if folded.is_ascii() {
        folded
    } else {
        let composed: String = folded.nfkc().collect();
        if composed == folded {
            folded
        } else {
            if seen.compat.count == 0 {
                suspicious.push(
                    "NFKC normalisation composed combining characters into different letters"
                        .to_owned(),
                );
            }
            // NFKC output goes through the same removals and foldings, so the returned
            // text never holds what the first pass takes out (Unicode 16 has no such
            // mapping, but the normalisation tables may be newer than ours).
            composed
                .chars()
                .filter_map(|c| match kind_of(c) {
                    Kind::Removed(_) => None,
                    Kind::Space => Some(' '),
                    Kind::Digit(d) => Some(d),
                    Kind::Other => Some(c),
                })
                .collect()
        }
    };
    Normalized { text, suspicious }
}

/// What to do with one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Removed from the text.
    Removed(Removal),
    /// Replaced by an ASCII space.
    Space,
    /// Replaced by this ASCII digit.
    Digit(char),
    /// Kept (it may still be a look-alike or changed by NFKC).
    Other,
}

/// Why a character is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    Bidi,
    Tag,
    Selector,
    Invisible,
    Control,
}

fn kind_of(c: char) -> Kind {
    if c.is_ascii() {
        return Kind::Other;
    }
    if in_ranges(c, BIDI_CONTROL) {
        Kind::Removed(Removal::Bidi)
    } else if ('\u{E0000}'..='\u{E007F}').contains(&c) {
        Kind::Removed(Removal::Tag)
    } else if in_ranges(c, VARIATION_SELECTORS) {
        Kind::Removed(Removal::Selector)
    } else if in_ranges(c, DEFAULT_IGNORABLE) {
        Kind::Removed(Removal::Invisible)
    } else if in_ranges(c, WHITE_SPACE) {
        Kind::Space
    } else if c.is_control() {
        Kind::Removed(Removal::Control)
    } else if let Some(d) = decimal_digit(c) {
        Kind::Digit(d)
    } else {
        Kind::Other
    }
}

/// Whether NFKC leaves the single character `c` as it is.
fn nfkc_keeps(c: char) -> bool {
    match is_nfkc_quick(std::iter::once(c)) {
        IsNormalized::Yes => true,
        IsNormalized::No | IsNormalized::Maybe => {
            let mut it = std::iter::once(c).nfkc();
            it.next() == Some(c) && it.next().is_none()
        }
    }
}

/// NFKC of one character, for a reason's text.
fn nfkc_of(c: char) -> String {
    std::iter::once(c).nfkc().collect()
}

/// The first occurrence and the number of one kind of finding.
#[derive(Debug, Default)]
struct Tally {
    count: usize,
    first: Option<(char, usize)>,
}

impl Tally {
    fn note(&mut self, c: char, at: usize) {
        self.count = self.count.saturating_add(1);
        if self.first.is_none() {
            self.first = Some((c, at));
        }
    }

    /// Adds `other`'s count, keeping the earlier first occurrence.
    fn absorb(&mut self, other: &Tally) {
        self.count = self.count.saturating_add(other.count);
        match (self.first, other.first) {
            (Some((_, a)), Some((_, b))) if b < a => self.first = other.first,
            (None, Some(_)) => self.first = other.first,
            _ => {}
        }
    }

    /// `" (N in total)"` when there was more than one.
    fn total(&self, what: &str) -> String {
        if self.count > 1 {
            format!(" ({} {what} in total)", self.count)
        } else {
            String::new()
        }
    }
}

/// Hidden ASCII spelled with tag characters, kept short.
const HIDDEN_TEXT_MAX: usize = 64;

/// Everything seen in one pass.
#[derive(Debug, Default)]
struct Seen {
    bidi: Tally,
    tag: Tally,
    hidden: String,
    selector: Tally,
    invisible: Tally,
    control: Tally,
    space: Tally,
    digit: Tally,
    words: Words,
    confusable: Tally,
    compat: Tally,
}

impl Seen {
    fn removed(&mut self, why: Removal, c: char, at: usize) {
        match why {
            Removal::Bidi => self.bidi.note(c, at),
            Removal::Tag => {
                self.tag.note(c, at);
                if ('\u{E0020}'..='\u{E007E}').contains(&c) && self.hidden.len() < HIDDEN_TEXT_MAX {
                    let ascii = u32::from(c) - 0xE0000;
                    if let Some(a) = char::from_u32(ascii) {
                        self.hidden.push(a);
                    }
                }
            }
            Removal::Selector => self.selector.note(c, at),
            Removal::Invisible => self.invisible.note(c, at),
            Removal::Control => self.control.note(c, at),
        }
    }

    fn reasons(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((c, at)) = self.bidi.first {
            out.push(format!(
                "bidirectional control {} removed at byte {at}{}: it can make text display \
                 in a different order than it runs",
                code(c),
                self.bidi.total("bidirectional controls"),
            ));
        }
        if let Some((c, at)) = self.tag.first {
            let spelled = if self.hidden.is_empty() {
                String::new()
            } else {
                format!(", spelling hidden text {:?}", self.hidden)
            };
            out.push(format!(
                "invisible tag character {} removed at byte {at}{}{spelled}",
                code(c),
                self.tag.total("tag characters"),
            ));
        }
        if let Some((c, at)) = self.selector.first {
            out.push(format!(
                "variation selector {} removed at byte {at}{}",
                code(c),
                self.selector.total("variation selectors"),
            ));
        }
        if let Some((c, at)) = self.invisible.first {
            out.push(format!(
                "invisible character {} removed at byte {at}{}",
                code(c),
                self.invisible.total("invisible characters"),
            ));
        }
        if let Some((c, at)) = self.control.first {
            out.push(format!(
                "control character {} removed at byte {at}{}",
                code(c),
                self.control.total("control characters"),
            ));
        }
        if let Some((c, at)) = self.space.first {
            out.push(format!(
                "non-ASCII space {} at byte {at} read as a space{}",
                code(c),
                self.space.total("non-ASCII spaces"),
            ));
        }
        if let Some((c, at)) = self.digit.first {
            let value = decimal_digit(c).unwrap_or('?');
            out.push(format!(
                "non-ASCII digit {} at byte {at} read as {value}{}",
                code(c),
                self.digit.total("non-ASCII digits"),
            ));
        }
        if let Some((c, at)) = self.confusable.first {
            let (like, latin) = confusable(c).unwrap_or(('?', false));
            let script = if latin { "non-ASCII" } else { "non-Latin" };
            out.push(format!(
                "{script} letter {} looks like {like} at byte {at}{}",
                code(c),
                self.confusable.total("look-alike letters"),
            ));
        }
        if let Some((c, at)) = self.compat.first {
            out.push(format!(
                "NFKC normalisation changed the text: {} at byte {at} became {:?}{}",
                code(c),
                nfkc_of(c),
                self.compat.total("changed characters"),
            ));
        }
        out
    }
}

/// `U+XXXX`.
fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The word being read, for look-alike letters: see the module docs.
#[derive(Debug, Default)]
struct Word {
    /// The word has an ASCII letter.
    ascii: bool,
    /// The word has a letter of a non-Latin script that looks like no ASCII letter.
    other_script: bool,
    /// The look-alikes of the word: the first and the count.
    lookalikes: Tally,
}

impl Word {
    fn step(&mut self, c: char, at: usize, words: &mut Words) {
        if c.is_ascii_alphabetic() {
            self.ascii = true;
        } else if c.is_ascii() {
            if !c.is_ascii_digit() {
                self.end(words);
            }
        } else if confusable(c).is_some() {
            self.lookalikes.note(c, at);
        } else if c.is_alphabetic() {
            if !is_latin(c) {
                self.other_script = true;
                words.other_script = true;
            }
        } else if !c.is_numeric() && !is_mark(c) {
            self.end(words);
        }
    }

    fn end(&mut self, words: &mut Words) {
        if self.lookalikes.first.is_some() {
            if self.ascii {
                words.mixed.absorb(&self.lookalikes);
            } else if !self.other_script {
                words.whole.absorb(&self.lookalikes);
            }
        }
        *self = Word::default();
    }
}

/// Look-alikes found in the words of the text.
#[derive(Debug, Default)]
struct Words {
    /// In words that also have ASCII letters.
    mixed: Tally,
    /// In words made only of look-alikes (and marks, digits, Latin letters).
    whole: Tally,
    /// The text has a letter of a non-Latin script that looks like no ASCII letter.
    other_script: bool,
}

impl Words {
    fn finish(&self, out: &mut Tally) {
        out.absorb(&self.mixed);
        if !self.other_script {
            out.absorb(&self.whole);
        }
    }
}

/// Letters of the Latin blocks (Latin-1 Supplement to Latin Extended-E), which are not
/// evidence that the text is written in another script.
fn is_latin(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00C0..=0x02AF | 0x1D00..=0x1DBF | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF
            | 0xAB30..=0xAB6F
    )
}

/// Combining marks keep a word going (`é` written as `e` + U+0301).
fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

fn in_ranges(c: char, ranges: &[(u32, u32)]) -> bool {
    let c = u32::from(c);
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The ASCII digit of a decimal digit (`Nd`) of any script.
fn decimal_digit(c: char) -> Option<char> {
    let cp = u32::from(c);
    let &(zero, _) = DECIMAL_DIGITS
        .iter()
        .find(|&&(lo, hi)| lo <= cp && cp <= hi)?;
    // Every `Nd` range is a run of whole 0–9 sequences (checked by a test).
    let value = (cp - zero) % 10;
    char::from_digit(value, 10)
}

/// The ASCII letter `c` looks like, and whether `c` is itself a Latin letter.
fn confusable(c: char) -> Option<(char, bool)> {
    let i = CONFUSABLES.binary_search_by_key(&c, |&(k, _, _)| k).ok()?;
    CONFUSABLES.get(i).map(|&(_, like, latin)| (like, latin))
}

/// `Bidi_Control` (Unicode 16.0.0, PropList.txt).
const BIDI_CONTROL: &[(u32, u32)] = &[
    (0x061C, 0x061C),
    (0x200E, 0x200F),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
];

/// Variation selectors: Mongolian free variation selectors, VS1–VS16 and VS17–VS256
/// (all `Default_Ignorable_Code_Point`s, reported on their own).
const VARIATION_SELECTORS: &[(u32, u32)] = &[
    (0x180B, 0x180D),
    (0x180F, 0x180F),
    (0xFE00, 0xFE0F),
    (0xE0100, 0xE01EF),
];

/// `Default_Ignorable_Code_Point` (Unicode 16.0.0, DerivedCoreProperties.txt).
const DEFAULT_IGNORABLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),   // soft hyphen
    (0x034F, 0x034F),   // combining grapheme joiner
    (0x061C, 0x061C),   // Arabic letter mark
    (0x115F, 0x1160),   // Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),   // Khmer inherent vowels
    (0x180B, 0x180F),   // Mongolian free variation selectors and vowel separator
    (0x200B, 0x200F),   // zero-width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),   // bidi embeddings and overrides
    (0x2060, 0x206F),   // word joiner, invisible operators, bidi isolates, deprecated
    (0x3164, 0x3164),   // Hangul filler
    (0xFE00, 0xFE0F),   // variation selectors 1–16
    (0xFEFF, 0xFEFF),   // zero-width no-break space (byte-order mark)
    (0xFFA0, 0xFFA0),   // halfwidth Hangul filler
    (0xFFF0, 0xFFF8),   // unassigned specials
    (0x1BCA0, 0x1BCA3), // shorthand format controls
    (0x1D173, 0x1D17A), // musical symbol format controls
    (0xE0000, 0xE0FFF), // tags, variation selectors 17–256, reserved
];

/// Non-ASCII `White_Space` (Unicode 16.0.0, PropList.txt).
const WHITE_SPACE: &[(u32, u32)] = &[
    (0x0085, 0x0085),
    (0x00A0, 0x00A0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
];

/// General category `Nd` (Unicode 16.0.0, DerivedGeneralCategory.txt): each range starts
/// at a digit zero and holds whole runs of ten.
const DECIMAL_DIGITS: &[(u32, u32)] = &[
    (0x0030, 0x0039),
    (0x0660, 0x0669),
    (0x06F0, 0x06F9),
    (0x07C0, 0x07C9),
    (0x0966, 0x096F),
    (0x09E6, 0x09EF),
    (0x0A66, 0x0A6F),
    (0x0AE6, 0x0AEF),
    (0x0B66, 0x0B6F),
    (0x0BE6, 0x0BEF),
    (0x0C66, 0x0C6F),
    (0x0CE6, 0x0CEF),
    (0x0D66, 0x0D6F),
    (0x0DE6, 0x0DEF),
    (0x0E50, 0x0E59),
    (0x0ED0, 0x0ED9),
    (0x0F20, 0x0F29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19D9),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
    (0x104A0, 0x104A9),
    (0x10D30, 0x10D39),
    (0x10D40, 0x10D49),
    (0x11066, 0x1106F),
    (0x110F0, 0x110F9),
    (0x11136, 0x1113F),
    (0x111D0, 0x111D9),
    (0x112F0, 0x112F9),
    (0x11450, 0x11459),
    (0x114D0, 0x114D9),
    (0x11650, 0x11659),
    (0x116C0, 0x116C9),
    (0x116D0, 0x116E3),
    (0x11730, 0x11739),
    (0x118E0, 0x118E9),
    (0x11950, 0x11959),
    (0x11BF0, 0x11BF9),
    (0x11C50, 0x11C59),
    (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9),
    (0x11F50, 0x11F59),
    (0x16130, 0x16139),
    (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59),
    (0x16D70, 0x16D79),
    (0x1CCF0, 0x1CCF9),
    (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9),
    (0x1E4F0, 0x1E4F9),
    (0x1E5F1, 0x1E5FA),
    (0x1E950, 0x1E959),
    (0x1FBF0, 0x1FBF9),
];

/// Letters that are not ASCII but look like an ASCII letter (a hand-picked subset of
/// Unicode TS #39 `confusables.txt` for the letters that NFKC leaves alone), sorted by
/// code point: (letter, look-alike, whether the letter is itself Latin).
const CONFUSABLES: &[(char, char, bool)] = &[
    ('\u{0131}', 'i', true),  // dotless i
    ('\u{01C0}', 'l', true),  // dental click
    ('\u{0237}', 'j', true),  // dotless j
    ('\u{0251}', 'a', true),  // Latin alpha
    ('\u{0261}', 'g', true),  // script g
    ('\u{0269}', 'i', true),  // Latin iota
    ('\u{037F}', 'J', false), // Greek capital yot
    ('\u{0391}', 'A', false), // Greek capitals
    ('\u{0392}', 'B', false),
    ('\u{0395}', 'E', false),
    ('\u{0396}', 'Z', false),
    ('\u{0397}', 'H', false),
    ('\u{0399}', 'I', false),
    ('\u{039A}', 'K', false),
    ('\u{039C}', 'M', false),
    ('\u{039D}', 'N', false),
    ('\u{039F}', 'O', false),
    ('\u{03A1}', 'P', false),
    ('\u{03A4}', 'T', false),
    ('\u{03A5}', 'Y', false),
    ('\u{03A7}', 'X', false),
    ('\u{03B1}', 'a', false), // Greek small letters
    ('\u{03B3}', 'y', false),
    ('\u{03B9}', 'i', false),
    ('\u{03BA}', 'k', false),
    ('\u{03BD}', 'v', false),
    ('\u{03BF}', 'o', false),
    ('\u{03C1}', 'p', false),
    ('\u{03C4}', 't', false),
    ('\u{03C5}', 'u', false),
    ('\u{03C7}', 'x', false),
    ('\u{03F2}', 'c', false), // lunate sigma
    ('\u{03F3}', 'j', false), // yot
    ('\u{03F9}', 'C', false), // capital lunate sigma
    ('\u{0405}', 'S', false), // Cyrillic capitals
    ('\u{0406}', 'I', false),
    ('\u{0408}', 'J', false),
    ('\u{0410}', 'A', false),
    ('\u{0412}', 'B', false),
    ('\u{0415}', 'E', false),
    ('\u{041A}', 'K', false),
    ('\u{041C}', 'M', false),
    ('\u{041D}', 'H', false),
    ('\u{041E}', 'O', false),
    ('\u{0420}', 'P', false),
    ('\u{0421}', 'C', false),
    ('\u{0422}', 'T', false),
    ('\u{0423}', 'Y', false),
    ('\u{0425}', 'X', false),
    ('\u{0430}', 'a', false), // Cyrillic small letters
    ('\u{0435}', 'e', false),
    ('\u{043E}', 'o', false),
    ('\u{0440}', 'p', false),
    ('\u{0441}', 'c', false),
    ('\u{0443}', 'y', false),
    ('\u{0445}', 'x', false),
    ('\u{0455}', 's', false),
    ('\u{0456}', 'i', false),
    ('\u{0458}', 'j', false),
    ('\u{0474}', 'V', false),
    ('\u{0475}', 'v', false),
    ('\u{04AE}', 'Y', false),
    ('\u{04AF}', 'y', false),
    ('\u{04BB}', 'h', false),
    ('\u{04C0}', 'I', false),
    ('\u{04CF}', 'l', false),
    ('\u{0501}', 'd', false),
    ('\u{051A}', 'Q', false),
    ('\u{051B}', 'q', false),
    ('\u{051C}', 'W', false),
    ('\u{051D}', 'w', false),
    ('\u{054D}', 'U', false), // Armenian
    ('\u{0555}', 'O', false),
    ('\u{0566}', 'q', false),
    ('\u{0570}', 'h', false),
    ('\u{0578}', 'n', false),
    ('\u{057D}', 'u', false),
    ('\u{0585}', 'o', false),
    ('\u{13A0}', 'D', false), // Cherokee
    ('\u{13A1}', 'R', false),
    ('\u{13A2}', 'T', false),
    ('\u{13A9}', 'Y', false),
    ('\u{13AA}', 'A', false),
    ('\u{13AB}', 'J', false),
    ('\u{13AC}', 'E', false),
    ('\u{13B3}', 'W', false),
    ('\u{13B7}', 'M', false),
    ('\u{13BB}', 'H', false),
    ('\u{13C0}', 'G', false),
    ('\u{13C3}', 'Z', false),
    ('\u{13D2}', 'R', false),
    ('\u{13DA}', 'S', false),
    ('\u{13DE}', 'L', false),
    ('\u{13DF}', 'C', false),
    ('\u{13E2}', 'P', false),
    ('\u{13E6}', 'K', false),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Normalized {
        normalize_command(s)
    }

    fn assert_clean(s: &str) {
        let n = norm(s);
        assert!(n.suspicious.is_empty(), "{s:?}: {:?}", n.suspicious);
    }

    fn assert_reason(s: &str, expected_text: &str, needle: &str) -> Normalized {
        let n = norm(s);
        assert_eq!(n.text, expected_text, "{s:?}");
        assert!(
            n.suspicious.iter().any(|r| r.contains(needle)),
            "{s:?}: no reason containing {needle:?} in {:?}",
            n.suspicious
        );
        n
    }

    #[test]
    fn ascii_fast_path() {
        for s in [
            "",
            "ls -la /tmp",
            "DROP TABLE users; -- \t\r\n\x0b\x0c",
            "\x00\x7f",
        ] {
            let n = norm(s);
            assert_eq!(n.text, s);
            assert!(n.suspicious.is_empty());
            assert_eq!(n.suspicious.capacity(), 0);
        }
    }

    #[test]
    fn zero_width_and_other_invisibles_are_removed() {
        for (c, name) in [
            ('\u{200B}', "ZWSP"),
            ('\u{200C}', "ZWNJ"),
            ('\u{200D}', "ZWJ"),
            ('\u{2060}', "WORD JOINER"),
            ('\u{FEFF}', "BOM"),
            ('\u{00AD}', "SOFT HYPHEN"),
            ('\u{034F}', "CGJ"),
            ('\u{3164}', "HANGUL FILLER"),
            ('\u{FFA0}', "HALFWIDTH HANGUL FILLER"),
            ('\u{115F}', "CHOSEONG FILLER"),
            ('\u{180E}', "MONGOLIAN VOWEL SEPARATOR"),
            ('\u{2064}', "INVISIBLE PLUS"),
            ('\u{1D173}', "MUSICAL BEGIN BEAM"),
            ('\u{1BCA0}', "SHORTHAND LETTER OVERLAP"),
        ] {
            let input = format!("r{c}m -rf /");
            let n = assert_reason(&input, "rm -rf /", "invisible character");
            assert_eq!(n.suspicious.len(), 1, "{name}: {:?}", n.suspicious);
            assert!(n.suspicious[0].contains("at byte 1"), "{name}");
        }
    }

    #[test]
    fn bidi_controls_are_removed_and_reported_as_such() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let input = format!("echo {c}safe");
            let n = assert_reason(&input, "echo safe", "bidirectional control");
            assert_eq!(n.suspicious.len(), 1, "{:?}", n.suspicious);
        }
    }

    #[test]
    fn tag_characters_reveal_hidden_text() {
        let hidden: String = "rm -rf /"
            .chars()
            .filter_map(|c| char::from_u32(0xE0000 + u32::from(c)))
            .collect();
        let input = format!("ls{hidden}");
        let n = assert_reason(&input, "ls", "tag character");
        assert!(
            n.suspicious[0].contains("\"rm -rf /\""),
            "{:?}",
            n.suspicious
        );
        assert!(n.suspicious[0].contains("8 tag characters in total"));
    }

    #[test]
    fn variation_selectors_are_removed() {
        assert_reason("cat\u{FE0F} x", "cat x", "variation selector U+FE0F");
        assert_reason("cat\u{E0100} x", "cat x", "variation selector U+E0100");
        assert_reason("cat\u{180B} x", "cat x", "variation selector U+180B");
    }

    #[test]
    fn c1_controls_are_removed() {
        assert_reason("su\u{0080}do", "sudo", "control character U+0080");
        assert_reason("su\u{009B}do", "sudo", "control character U+009B");
    }

    #[test]
    fn non_ascii_spaces_become_ascii_spaces() {
        for c in [
            '\u{00A0}', '\u{2000}', '\u{2005}', '\u{200A}', '\u{3000}', '\u{1680}', '\u{205F}',
            '\u{202F}', '\u{2028}', '\u{2029}', '\u{0085}',
        ] {
            let input = format!("{c}sudo{c}ls");
            let n = assert_reason(&input, " sudo ls", "non-ASCII space");
            assert_eq!(
                n.suspicious.len(),
                1,
                "U+{:04X}: {:?}",
                u32::from(c),
                n.suspicious
            );
            assert!(n.suspicious[0].contains("2 non-ASCII spaces in total"));
        }
    }

    #[test]
    fn decimal_digits_of_every_script_fold_to_ascii() {
        assert_reason(
            "head -n \u{0664}\u{0662}",
            "head -n 42",
            "non-ASCII digit U+0664",
        );
        assert_reason("\u{096A}\u{0967}\u{0967}\u{0967}", "4111", "read as 4");
        assert_reason("\u{FF14}\u{FF11}", "41", "non-ASCII digit U+FF14");
        assert_reason("\u{1D7D2}", "4", "non-ASCII digit"); // mathematical bold 4
        assert_reason(
            "\u{06F9}\u{0E59}\u{1FBF7}",
            "997",
            "3 non-ASCII digits in total",
        );
        assert_reason("\u{116E3}", "9", "read as 9"); // second run of a two-run range
    }

    #[test]
    fn digit_table_is_whole_runs_of_ten() {
        let mut last = 0;
        for &(lo, hi) in DECIMAL_DIGITS {
            assert!(lo > last || last == 0, "sorted");
            assert_eq!((hi - lo + 1) % 10, 0, "U+{lo:04X}");
            last = hi;
            // The zero of every run is a zero: NFKC agrees where it folds (fullwidth,
            // mathematical), and no range starts at a char that is not a digit.
            let zero = char::from_u32(lo).map(decimal_digit);
            assert_eq!(zero, Some(Some('0')));
        }
        assert_eq!(decimal_digit('\u{1D7CE}'), Some('0'));
        assert_eq!(decimal_digit('\u{1D7D8}'), Some('0')); // double-struck zero
        assert_eq!(decimal_digit('\u{1D7FF}'), Some('9'));
        assert_eq!(decimal_digit('\u{00B2}'), None); // superscript two is No, not Nd
        assert_eq!(decimal_digit('\u{2463}'), None); // circled four is No
    }

    #[test]
    fn math_digits_fold_like_nfkc() {
        for cp in 0x1D7CE..=0x1D7FF_u32 {
            let c = char::from_u32(cp).unwrap_or('?');
            assert_eq!(
                decimal_digit(c).map(String::from),
                Some(nfkc_of(c)),
                "U+{cp:04X}"
            );
        }
        for cp in 0xFF10..=0xFF19_u32 {
            let c = char::from_u32(cp).unwrap_or('?');
            assert_eq!(
                decimal_digit(c).map(String::from),
                Some(nfkc_of(c)),
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn confusables_are_flagged_not_changed() {
        let n = assert_reason(
            "\u{0441}url x",
            "\u{0441}url x",
            "non-Latin letter U+0441 looks like c at byte 0",
        );
        assert_eq!(n.suspicious.len(), 1);
        let n = assert_reason(
            "DR\u{041E}P TABLE t",
            "DR\u{041E}P TABLE t",
            "non-Latin letter U+041E looks like O at byte 2",
        );
        assert_eq!(n.suspicious.len(), 1);
        for (c, like) in [
            ('а', 'a'),
            ('е', 'e'),
            ('о', 'o'),
            ('р', 'p'),
            ('с', 'c'),
            ('у', 'y'),
            ('х', 'x'),
            ('і', 'i'),
            ('ј', 'j'),
            ('ѕ', 's'),
            ('А', 'A'),
            ('Е', 'E'),
            ('О', 'O'),
            ('Р', 'P'),
            ('С', 'C'),
            ('У', 'Y'),
            ('Х', 'X'),
            ('І', 'I'),
            ('Ј', 'J'),
            ('Ѕ', 'S'),
            ('ο', 'o'),
            ('α', 'a'),
            ('ν', 'v'),
            ('ρ', 'p'),
            ('τ', 't'),
            ('Ο', 'O'),
            ('Α', 'A'),
            ('Ν', 'N'),
            ('Ρ', 'P'),
            ('Τ', 'T'),
        ] {
            assert_eq!(confusable(c).map(|(l, _)| l), Some(like), "{c}");
            let input = format!("x{c}x");
            let n = norm(&input);
            assert_eq!(n.text, input);
            assert_eq!(n.suspicious.len(), 1, "{c}: {:?}", n.suspicious);
            assert!(n.suspicious[0].contains(&format!("looks like {like} at byte 1")));
        }
        assert_reason(
            "l\u{0131}nk",
            "l\u{0131}nk",
            "non-ASCII letter U+0131 looks like i",
        );
    }

    #[test]
    fn whole_script_confusables_are_flagged() {
        // `рор` (all Cyrillic) reads as `pop`.
        let n = assert_reason(
            "\u{0440}\u{043E}\u{0440}",
            "\u{0440}\u{043E}\u{0440}",
            "U+0440",
        );
        assert!(n.suspicious[0].contains("3 look-alike letters in total"));
        // A zero-width space does not split the word.
        assert_reason("\u{0441}\u{200B}url", "\u{0441}url", "looks like c");
        // Mixed-script words are flagged even in Russian text; whole-script ones are not.
        assert_reason("привет \u{0441}url", "привет \u{0441}url", "at byte 13");
        assert_clean("привет \u{0440}\u{043E}\u{0440}");
        // The first occurrence is the earliest, whichever kind of word it was in.
        let n = assert_reason(
            "\u{0440}\u{043E}\u{0440} \u{0441}url",
            "\u{0440}\u{043E}\u{0440} \u{0441}url",
            "at byte 0",
        );
        assert!(n.suspicious[0].contains("4 look-alike letters in total"));
    }

    #[test]
    fn confusable_table_is_sorted_and_non_ascii() {
        for pair in CONFUSABLES.windows(2) {
            if let [a, b] = pair {
                assert!(a.0 < b.0, "{:?} before {:?}", a.0, b.0);
            }
        }
        for &(c, like, latin) in CONFUSABLES {
            assert!(!c.is_ascii() && like.is_ascii_alphabetic() && c.is_alphabetic());
            assert!(!latin || u32::from(c) < 0x0370);
        }
    }

    #[test]
    fn compatibility_forms_are_folded_and_reported() {
        assert_reason(
            "\u{FF52}\u{FF4D} -rf /",
            "rm -rf /",
            "U+FF52 at byte 0 became \"r\"",
        );
        assert_reason("\u{FB01}nd .", "find .", "U+FB01"); // ﬁ ligature
        assert_reason("\u{1D42B}m x", "rm x", "NFKC"); // mathematical bold r
        assert_reason("\u{FF1B}reboot", ";reboot", "U+FF1B"); // fullwidth semicolon
        assert_reason("ls\u{037E} reboot", "ls; reboot", "U+037E"); // Greek question mark
        assert_reason("\u{212B}", "\u{00C5}", "U+212B"); // Angstrom sign
    }

    #[test]
    fn combining_sequences_composed_by_nfkc_are_reported() {
        let n = assert_reason("cafe\u{0301}", "caf\u{00E9}", "composed");
        assert_eq!(n.suspicious.len(), 1);
    }

    #[test]
    fn benign_non_ascii_is_not_flagged() {
        assert_clean("echo café naïve Ångström");
        assert_clean("git commit -m 'привет мир'");
        assert_clean("echo 'λάθος'");
        assert_clean("echo 日本語のテキスト 한국어");
        assert_clean("cat résumé.txt");
        assert_clean("git commit -m 'Встреча с клиентом'"); // `с` alone is Russian here
    }

    #[test]
    fn other_numbers_changed_by_nfkc_are_still_reported() {
        // Superscripts and circled digits are not `Nd` but NFKC folds them.
        // Not a clean input after all: make sure the behaviour is what we document.
        let n = norm("echo \u{00B2}");
        assert_eq!(n.text, "echo 2");
        assert!(!n.suspicious.is_empty());
    }

    #[test]
    fn several_kinds_give_one_reason_each() {
        let n = norm("\u{202E}r\u{200B}m\u{00A0}-rf \u{0664} \u{0441}url \u{FF52}");
        assert_eq!(n.text, "rm -rf 4 \u{0441}url r");
        assert_eq!(n.suspicious.len(), 6, "{:?}", n.suspicious);
    }

    #[test]
    fn reasons_are_bounded() {
        let input = "\u{200B}".repeat(100_000) + "ls";
        let n = norm(&input);
        assert_eq!(n.text, "ls");
        assert_eq!(n.suspicious.len(), 1);
        assert!(n.suspicious[0].contains("100000 invisible characters in total"));
    }

    #[test]
    fn output_is_stable() {
        for s in [
            "r\u{200B}m\u{00A0}-rf",
            "\u{FF52}\u{FF4D}",
            "cafe\u{0301}",
            "\u{0664}\u{FFA0}\u{FF10}",
            "\u{FB01}\u{2460}\u{3000}x",
            "\u{0441}url",
        ] {
            let once = norm(s).text;
            let twice = norm(&once).text;
            assert_eq!(once, twice, "{s:?}");
        }
    }

    #[test]
    fn nfkc_never_reintroduces_removed_characters() {
        // The second pass in `normalize_command` is a safety net; with the current
        // tables it has nothing to do. Check every code point once.
        for cp in 0x80..=0x10FFFF_u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if kind_of(c) != Kind::Other || nfkc_keeps(c) {
                continue;
            }
            for out in std::iter::once(c).nfkc() {
                let kind = kind_of(out);
                assert!(
                    matches!(kind, Kind::Other),
                    "U+{cp:04X} -> U+{:04X} ({kind:?})",
                    u32::from(out)
                );
            }
        }
    }
}
