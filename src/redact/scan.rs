//! The scanner: every enabled detector over one normalized text, in a few linear passes
//! (digit groups; `@`; `:`; one packed search over key prefixes and key words; optional
//! base64 runs; user patterns), then overlapping spans resolved. A short text is read
//! once first to skip the character passes it gives nothing to start from, and a caller
//! that knows a text holds no keyword can skip the keyword pass.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::detector::{Detector, DetectorSet, Span, SpanKind};
use super::key_context::KeyContext;
use super::normalize::normalize;
use super::pattern::UserPattern;
use super::secrets::generic;
use super::secrets::{aws, github, jwt, private_key, slack};
use super::text::{at, before, is_word, preceded_by, preceded_in_clause_by, run_end};
use super::{card, email, iban, ip, phone, ssn};

/// What a literal found by the keyword pass triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    AwsKeyId,
    AwsSecretWord,
    Github,
    Slack,
    Jwt,
    Pem,
    SecretWord,
    /// Only for the prefilter: context words.
    Context,
    /// Only for the prefilter: field-rule literals.
    Field,
}

/// The keyword literals, in pattern-id order.
fn keyword_table() -> Vec<(&'static str, Trigger)> {
    let mut t = Vec::new();
    t.extend(aws::KEY_ID_PREFIXES.iter().map(|p| (*p, Trigger::AwsKeyId)));
    t.extend(
        aws::SECRET_WORDS
            .iter()
            .map(|p| (*p, Trigger::AwsSecretWord)),
    );
    t.extend(github::PREFIXES.iter().map(|p| (*p, Trigger::Github)));
    t.extend(slack::PREFIXES.iter().map(|p| (*p, Trigger::Slack)));
    t.push(("eyJ", Trigger::Jwt));
    t.push(("-----BEGIN ", Trigger::Pem));
    t.extend(
        generic::PASSWORD_WORDS
            .iter()
            .map(|p| (*p, Trigger::SecretWord)),
    );
    t.extend(
        generic::SECRET_WORDS
            .iter()
            .map(|p| (*p, Trigger::SecretWord)),
    );
    t.extend(ssn::CONTEXT_WORDS.iter().map(|p| (*p, Trigger::Context)));
    t.extend(phone::CONTEXT_WORDS.iter().map(|p| (*p, Trigger::Context)));
    t
}

/// The keyword automaton plus what each pattern triggers.
#[derive(Debug, Clone)]
pub(crate) struct Keywords {
    ac: Option<AhoCorasick>,
    literals: Vec<(String, Trigger)>,
    fast: Option<FastLiterals>,
    scan: Option<ScanLiterals>,
}

/// The literals the scanner acts on (not context words or field literals) as one
/// packed (SIMD) leftmost-longest searcher over ASCII-lower-cased text: the same
/// matches as the case-insensitive automaton, several times faster on short strings.
#[derive(Debug, Clone)]
struct ScanLiterals {
    searcher: aho_corasick::packed::Searcher,
    /// What each packed pattern triggers.
    triggers: Vec<Trigger>,
    /// The longest literal.
    max_len: usize,
}

impl ScanLiterals {
    fn new(literals: &[(String, Trigger)]) -> Option<ScanLiterals> {
        let mut patterns: Vec<(Vec<u8>, Trigger)> = Vec::new();
        for (lit, trigger) in literals {
            if matches!(trigger, Trigger::Context | Trigger::Field) {
                continue;
            }
            let lower = lit.to_ascii_lowercase().into_bytes();
            if lower.is_empty() {
                return None;
            }
            // A repeated literal keeps its first trigger, as the automaton does.
            if !patterns.iter().any(|(p, _)| *p == lower) {
                patterns.push((lower, *trigger));
            }
        }
        let mut builder = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .builder();
        for (p, _) in &patterns {
            builder.add(p);
        }
        let max_len = patterns.iter().map(|(p, _)| p.len()).max()?;
        Some(ScanLiterals {
            searcher: builder.build()?,
            triggers: patterns.into_iter().map(|(_, t)| t).collect(),
            max_len,
        })
    }

    /// The start of every occurrence in `bytes`, in any case, ascending: each literal
    /// occurrence starts here or lies in an occurrence that does. `None` if the text
    /// could not be read whole.
    fn starts(&self, bytes: &[u8]) -> Option<Vec<usize>> {
        let mut starts = Vec::new();
        let cut_short = lowered_chunks(
            bytes,
            &mut [0u8; FOLD_CHUNK],
            self.max_len,
            |pos, _, hay| {
                for m in self.searcher.find_iter(hay) {
                    let at = pos + m.start();
                    if starts.last().is_none_or(|&last| at > last) {
                        starts.push(at);
                    }
                }
                false
            },
        );
        (!cut_short).then_some(starts)
    }

    /// Every occurrence in `text`, leftmost-longest and not overlapping.
    fn each(&self, text: &[u8], f: &mut impl FnMut(usize, usize, Trigger)) {
        let mut short = [0u8; SHORT_CHUNK];
        let mut long = Vec::new();
        let lower: &mut [u8] = match short.get_mut(..text.len()) {
            Some(buf) => buf,
            None => {
                long.resize(text.len(), 0);
                &mut long
            }
        };
        for (d, s) in lower.iter_mut().zip(text) {
            *d = s.to_ascii_lowercase();
        }
        for m in self.searcher.find_iter(&*lower) {
            if let Some(t) = self.triggers.get(m.pattern().as_usize()) {
                f(m.start(), m.end(), *t);
            }
        }
    }
}

/// The prefilter's literals as one packed (SIMD) searcher over ASCII-lower-cased text:
/// key prefixes must then also match case-sensitively, key words and field literals
/// match in any case. Context words are left out: the prefilter's digit pass already
/// assumes every context.
#[derive(Debug, Clone)]
struct FastLiterals {
    searcher: aho_corasick::packed::Searcher,
    /// Per pattern: `None` when any case matches, else the exact spellings wanted.
    exact: Vec<Spellings>,
    max_len: usize,
}

/// The exact spellings a lower-cased literal must have in the raw text (`None`: any).
type Spellings = Option<Vec<Vec<u8>>>;

/// How much lower-cased text one packed search sees at a time.
const FOLD_CHUNK: usize = 4096;

/// Texts up to this long are lower-cased into a small buffer, in one piece.
const SHORT_CHUNK: usize = 128;

impl FastLiterals {
    fn new(literals: &[(String, Trigger)]) -> Option<FastLiterals> {
        let mut patterns: Vec<(Vec<u8>, Spellings)> = Vec::new();
        for (lit, trigger) in literals {
            let exact = match trigger {
                Trigger::Context => continue,
                Trigger::AwsKeyId
                | Trigger::Github
                | Trigger::Slack
                | Trigger::Jwt
                | Trigger::Pem => Some(lit.as_bytes().to_vec()),
                Trigger::AwsSecretWord | Trigger::SecretWord | Trigger::Field => None,
            };
            let lower = lit.to_ascii_lowercase().into_bytes();
            if lower.is_empty() || lower.len() >= FOLD_CHUNK / 2 {
                return None;
            }
            match patterns.iter_mut().find(|(p, _)| *p == lower) {
                Some((_, want)) => match (want.as_mut(), exact) {
                    (Some(list), Some(e)) => list.push(e),
                    (_, _) => *want = None,
                },
                None => patterns.push((lower, exact.map(|e| vec![e]))),
            }
        }
        let mut builder = aho_corasick::packed::Config::new().builder();
        for (p, _) in &patterns {
            builder.add(p);
        }
        let searcher = builder.build()?;
        let max_len = patterns.iter().map(|(p, _)| p.len()).max()?;
        Some(FastLiterals {
            searcher,
            exact: patterns.into_iter().map(|(_, e)| e).collect(),
            max_len,
        })
    }

    fn any(&self, bytes: &[u8]) -> bool {
        // Most strings are short: do not clear a whole chunk's buffer for them.
        if bytes.len() <= SHORT_CHUNK {
            return self.any_in(bytes, &mut [0u8; SHORT_CHUNK]);
        }
        self.any_in(bytes, &mut [0u8; FOLD_CHUNK])
    }

    /// [`any`](Self::any) with `buf` for the lower-cased text.
    fn any_in(&self, bytes: &[u8], buf: &mut [u8]) -> bool {
        lowered_chunks(bytes, buf, self.max_len, |_, chunk, hay| {
            let mut from = 0;
            while let Some(m) = self
                .searcher
                .find_in(hay, aho_corasick::Span::from(from..hay.len()))
            {
                let ok = match self.exact.get(m.pattern().as_usize()) {
                    Some(None) => true,
                    Some(Some(want)) => chunk
                        .get(m.start()..m.end())
                        .is_some_and(|raw| want.iter().any(|w| w.as_slice() == raw)),
                    None => false,
                };
                if ok {
                    return true;
                }
                from = m.start() + 1;
            }
            false
        })
    }
}

/// Reads `bytes` lower-cased into `buf`, a chunk at a time, the chunks overlapping so
/// that every literal up to `longest` bytes lies whole in one of them. `visit` gets
/// each chunk's offset, its raw bytes and its lower-cased copy, and returns `true` to
/// stop; so does this (also, failing closed, if a chunk could not be lower-cased).
fn lowered_chunks(
    bytes: &[u8],
    buf: &mut [u8],
    longest: usize,
    mut visit: impl FnMut(usize, &[u8], &[u8]) -> bool,
) -> bool {
    let step = buf.len().saturating_sub(longest.saturating_sub(1)).max(1);
    let mut pos = 0;
    loop {
        let end = (pos + buf.len()).min(bytes.len());
        let chunk = bytes.get(pos..end).unwrap_or(&[]);
        let Some(hay) = buf.get_mut(..chunk.len()) else {
            return true;
        };
        for (d, s) in hay.iter_mut().zip(chunk) {
            *d = s.to_ascii_lowercase();
        }
        if visit(pos, chunk, hay) {
            return true;
        }
        if end >= bytes.len() {
            return false;
        }
        pos += step;
    }
}

impl Keywords {
    /// The built-in literals plus `extra` (prefilter-only literals from field rules).
    pub(crate) fn new(extra: &[String]) -> Keywords {
        let mut literals: Vec<(String, Trigger)> = keyword_table()
            .into_iter()
            .map(|(s, t)| (s.to_owned(), t))
            .collect();
        literals.extend(extra.iter().map(|s| (s.clone(), Trigger::Field)));
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(literals.iter().map(|(s, _)| s.as_bytes()))
            .ok();
        let fast = FastLiterals::new(&literals);
        let scan = ScanLiterals::new(&literals);
        Keywords {
            ac,
            literals,
            fast,
            scan,
        }
    }

    /// Every keyword occurrence the scanner acts on: `(start, end, trigger)`, through
    /// the packed searcher, else the automaton (which also reports context words and
    /// field literals, for the caller to pass over).
    fn each_scanned(&self, text: &[u8], mut f: impl FnMut(usize, usize, Trigger)) {
        match &self.scan {
            Some(scan) => scan.each(text, &mut f),
            None => self.each(text, f),
        }
    }

    /// Every keyword occurrence: `(start, end, trigger)`. Without an automaton (it failed
    /// to build) a plain search, slower but equivalent.
    fn each(&self, text: &[u8], mut f: impl FnMut(usize, usize, Trigger)) {
        match &self.ac {
            Some(ac) => {
                for m in ac.find_iter(text) {
                    if let Some((_, t)) = self.literals.get(m.pattern().as_usize()) {
                        f(m.start(), m.end(), *t);
                    }
                }
            }
            None => {
                let lower = text.to_ascii_lowercase();
                for (lit, t) in &self.literals {
                    let lit = lit.to_ascii_lowercase();
                    for s in memchr::memmem::find_iter(&lower, lit.as_bytes()) {
                        f(s, s + lit.len(), *t);
                    }
                }
            }
        }
    }

    /// Where the literals the scanner acts on start in `bytes`, in any case; `None`
    /// when there is no packed searcher to tell.
    pub(crate) fn scanned_starts(&self, bytes: &[u8]) -> Option<Vec<usize>> {
        self.scan.as_ref()?.starts(bytes)
    }

    /// Whether any literal the prefilter looks for occurs in `bytes`: key prefixes in
    /// their detector's case, key words and field literals in any case. Without the
    /// packed searcher, any literal in any case (a superset).
    pub(crate) fn prefilter_hit(&self, bytes: &[u8]) -> bool {
        if let Some(fast) = &self.fast {
            return fast.any(bytes);
        }
        match &self.ac {
            Some(ac) => ac.is_match(bytes),
            None => {
                let mut found = false;
                self.each(bytes, |_, _, _| found = true);
                found
            }
        }
    }
}

/// Decodes standard and URL-safe base64, padded or not.
const B64_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const B64_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Shortest base64 run decoded, and the most decoded per run.
const MIN_BASE64: usize = 24;
const MAX_BASE64: usize = 1 << 20;

/// The configured detectors.
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    pub(crate) detectors: DetectorSet,
    pub(crate) keywords: Keywords,
    pub(crate) patterns: Vec<UserPattern>,
    pub(crate) decode_base64: bool,
}

impl Scanner {
    fn on(&self, d: Detector) -> bool {
        self.detectors.has(d)
    }

    /// Every match in `text` (normalized), overlaps resolved, in order.
    pub(crate) fn scan(&self, text: &str, ctx: &KeyContext, nested: bool) -> Vec<Span> {
        let mut out = Vec::new();
        self.scan_into(text, ctx, nested, true, &mut out);
        out
    }

    /// [`scan`](Self::scan) into `out` (cleared first), so callers can reuse it.
    /// `keywords` off skips the keyword pass, for a caller that knows the text holds
    /// none of the keywords in any case. Whether a match was dropped that reached past
    /// the one it overlapped (see [`resolve`]).
    pub(crate) fn scan_into(
        &self,
        text: &str,
        ctx: &KeyContext,
        nested: bool,
        keywords: bool,
        out: &mut Vec<Span>,
    ) -> bool {
        let t = text.as_bytes();
        out.clear();
        let has = Classes::of(t);
        self.whole_value(t, ctx, out);
        if has.digit {
            self.digit_pass(t, ctx, out);
        }
        if self.on(Detector::Email) && has.at {
            for a in memchr::memchr_iter(b'@', t) {
                if let Some((s, e)) = email::around(t, a) {
                    out.push(Span::new(s, e, Detector::Email));
                }
            }
        }
        if self.on(Detector::IpAddress) && has.colon {
            self.colon_pass(t, out);
        }
        if keywords {
            self.keyword_pass(t, ctx, out);
        } else if ctx.aws_secret && self.on(Detector::AwsSecretKey) {
            // The key alone puts AWS secrets in context.
            aws::secret_keys(t, |a, b| out.push(Span::new(a, b, Detector::AwsSecretKey)));
        }
        if self.decode_base64 && !nested {
            self.base64_pass(t, ctx, out);
        }
        for (i, p) in self.patterns.iter().enumerate() {
            for m in p.regex.find_iter(text) {
                if p.accepts(m.as_str()) {
                    out.push(Span {
                        start: m.start(),
                        end: m.end(),
                        kind: SpanKind::Pattern(i),
                    });
                }
            }
        }
        resolve(out)
    }

    /// A whole string under a secret key.
    fn whole_value(&self, t: &[u8], ctx: &KeyContext, out: &mut Vec<Span>) {
        if ctx.aws_secret && self.on(Detector::AwsSecretKey) && aws::is_secret_key(t) {
            out.push(Span::new(0, t.len(), Detector::AwsSecretKey));
        } else if let Some(strength) = ctx.secret
            && self.on(Detector::GenericSecret)
            && generic::is_secret_value(t, strength)
        {
            out.push(Span::new(0, t.len(), Detector::GenericSecret));
        }
    }

    /// Cards, SSNs, phones, IPv4 addresses and IBANs: one walk over groups of digits.
    fn digit_pass(&self, t: &[u8], ctx: &KeyContext, out: &mut Vec<Span>) {
        let mut i = 0;
        while let Some(j) = super::prefilter::next_digit(t, i) {
            if self.on(Detector::Iban)
                && j >= 2
                && at(t, j - 2).is_some_and(|b| b.is_ascii_uppercase())
                && at(t, j - 1).is_some_and(|b| b.is_ascii_uppercase())
                && !before(t, j - 2).is_some_and(is_word)
                && let Some(end) = iban::find(t, j - 2)
            {
                out.push(Span::new(j - 2, end, Detector::Iban));
                i = end;
                continue;
            }
            let prev = before(t, j);
            let inside_word = prev.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                || matches!(prev, Some(b'-' | b'.')) && before(t, j - 1).is_some_and(is_word);
            if inside_word {
                i = run_end(t, j, is_word);
                continue;
            }
            // A `(` or `+` right before the digits belongs to a phone number.
            let start = match prev {
                Some(b'(' | b'+') if !before(t, j - 1).is_some_and(is_word) => j - 1,
                _ => j,
            };
            let mut groups = [(0usize, 0usize); 12];
            let mut count = 0;
            let mut sep = None;
            let mut k = j;
            loop {
                let e = run_end(t, k, |b| b.is_ascii_digit());
                let Some(slot) = groups.get_mut(count) else {
                    break;
                };
                *slot = (k, e);
                count += 1;
                match at(t, e) {
                    Some(s @ (b' ' | b'-' | b'.'))
                        if at(t, e + 1).is_some_and(|b| b.is_ascii_digit())
                            && sep.is_none_or(|p| p == s)
                            && !(s == b'.' && decimal_fraction(t, e + 1)) =>
                    {
                        sep = Some(s);
                        k = e + 1;
                    }
                    _ => break,
                }
            }
            let groups = groups.get(..count).unwrap_or(&[]);
            let region_end = groups.last().map_or(j, |g| g.1);
            i = region_end.max(j + 1);
            if at(t, region_end).is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
                i = run_end(t, region_end, is_word);
                continue;
            }
            let mut slice_buf: [&[u8]; 12] = [&[]; 12];
            for (slot, &(a, b)) in slice_buf.iter_mut().zip(groups) {
                *slot = t.get(a..b).unwrap_or(&[]);
            }
            let slices = slice_buf.get(..groups.len()).unwrap_or(&[]);
            let short_groups = slices.iter().all(|g| g.len() <= 3);
            if sep == Some(b'.') && short_groups {
                // Dotted quads and version strings are never cards or phones.
                if self.on(Detector::IpAddress)
                    && ip::is_ipv4_groups(slices)
                    && !ctx.version
                    && !preceded_by(t, j, 24, ip::VERSION_WORDS)
                {
                    out.push(Span::new(j, region_end, Detector::IpAddress));
                }
                continue;
            }
            if self.on(Detector::UsSsn) && self.ssn(t, j, region_end, sep, slices, ctx, out) {
                continue;
            }
            let before_cards = out.len();
            // After a `+` only a phone number can follow.
            if self.on(Detector::CreditCard) && prev != Some(b'+') {
                cards(groups, slices, out);
            }
            if out.len() == before_cards && self.on(Detector::Phone) {
                // Only a bare 10-digit number needs phone context: look for the words
                // only then.
                let bare = slices.first().is_some_and(|g| g.len() == 10);
                let bare_ok = ctx.phone || bare && preceded_by(t, start, 24, phone::CONTEXT_WORDS);
                if let Some(end) = phone::parse(t, start, bare_ok) {
                    out.push(Span::new(start, end, Detector::Phone));
                    i = i.max(end);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ssn(
        &self,
        t: &[u8],
        j: usize,
        end: usize,
        sep: Option<u8>,
        slices: &[&[u8]],
        ctx: &KeyContext,
        out: &mut Vec<Span>,
    ) -> bool {
        let shaped = match slices {
            [a, b, c] => {
                a.len() == 3 && b.len() == 2 && c.len() == 4 && matches!(sep, Some(b'-' | b' '))
            }
            [one] => {
                one.len() == 9 && (ctx.ssn || preceded_in_clause_by(t, j, 32, ssn::CONTEXT_WORDS))
            }
            _ => false,
        };
        if !shaped {
            return false;
        }
        let mut digits = [0u8; 9];
        for (slot, d) in digits.iter_mut().zip(slices.iter().flat_map(|s| s.iter())) {
            *slot = *d;
        }
        if ssn::is_ssn(&digits) {
            out.push(Span::new(j, end, Detector::UsSsn));
            return true;
        }
        false
    }

    /// IPv6 addresses around colons.
    fn colon_pass(&self, t: &[u8], out: &mut Vec<Span>) {
        let mut next = 0;
        for c in memchr::memchr_iter(b':', t) {
            if c < next {
                continue;
            }
            let hexish = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_hexdigit() || b == b':');
            if !(hexish(before(t, c)) || hexish(at(t, c + 1))) {
                continue;
            }
            if let Some((s, e)) = ip::ipv6_at(t, c) {
                out.push(Span::new(s, e, Detector::IpAddress));
                next = e;
            } else {
                next = run_end(t, c, |b| b.is_ascii_hexdigit() || b == b':');
            }
        }
    }

    fn keyword_pass(&self, t: &[u8], ctx: &KeyContext, out: &mut Vec<Span>) {
        let mut aws_context = ctx.aws_secret;
        let exact = |s: usize, e: usize, want: &[u8]| t.get(s..e).is_some_and(|x| x == want);
        self.keywords.each_scanned(t, |s, e, trigger| {
            let lit = match trigger {
                Trigger::AwsKeyId => Detector::AwsAccessKey,
                Trigger::Github => Detector::GithubToken,
                Trigger::Slack => Detector::SlackToken,
                Trigger::Jwt => Detector::Jwt,
                Trigger::Pem => Detector::PrivateKey,
                Trigger::SecretWord => Detector::GenericSecret,
                Trigger::AwsSecretWord => {
                    aws_context = true;
                    return;
                }
                Trigger::Context | Trigger::Field => return,
            };
            if !self.on(lit) {
                return;
            }
            let found = match trigger {
                Trigger::AwsKeyId => {
                    let upper = t
                        .get(s..e)
                        .is_some_and(|x| x.iter().all(u8::is_ascii_uppercase));
                    let end = if upper { aws::key_id(t, s) } else { None };
                    aws_context |= end.is_some();
                    end.map(|end| (s, end))
                }
                Trigger::Github => {
                    let lower = t
                        .get(s..e)
                        .is_some_and(|x| x.iter().all(|b| !b.is_ascii_uppercase()));
                    if lower {
                        github::token(t, s).map(|end| (s, end))
                    } else {
                        None
                    }
                }
                Trigger::Slack => {
                    let lower = t
                        .get(s..e)
                        .is_some_and(|x| x.iter().all(|b| !b.is_ascii_uppercase()));
                    if lower {
                        slack::token(t, s).map(|end| (s, end))
                    } else {
                        None
                    }
                }
                Trigger::Jwt => exact(s, e, b"eyJ")
                    .then(|| jwt::token(t, s))
                    .flatten()
                    .map(|end| (s, end)),
                Trigger::Pem => exact(s, e, b"-----BEGIN ")
                    .then(|| private_key::block(t, s))
                    .flatten()
                    .map(|end| (s, end)),
                _ => generic::assignment(t, s, e),
            };
            if let Some((a, b)) = found {
                out.push(Span::new(a, b, lit));
            }
        });
        if aws_context && self.on(Detector::AwsSecretKey) {
            aws::secret_keys(t, |a, b| out.push(Span::new(a, b, Detector::AwsSecretKey)));
        }
    }

    /// Base64 runs whose decoded text holds something: the whole run is masked as the
    /// first type found inside.
    fn base64_pass(&self, t: &[u8], ctx: &KeyContext, out: &mut Vec<Span>) {
        let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
        let mut i = 0;
        while i < t.len() {
            if !at(t, i).is_some_and(is_b64) {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = run_end(t, i, is_b64);
            i = end;
            while at(t, end) == Some(b'=') && end - i < 2 {
                end += 1;
            }
            let run = t.get(start..end).unwrap_or(&[]);
            if run.len() < MIN_BASE64 || run.len() > MAX_BASE64 {
                continue;
            }
            let decoded = B64_STD.decode(run).or_else(|_| B64_URL.decode(run));
            let Ok(decoded) = decoded else { continue };
            let Ok(text) = std::str::from_utf8(&decoded) else {
                continue;
            };
            let inner = normalize(text);
            if let Some(first) = self.scan(inner.text(), ctx, true).first() {
                out.push(Span {
                    start,
                    end,
                    kind: first.kind,
                });
            }
            i = end;
        }
    }
}

/// Which bytes the character passes start from occur in a text. Short texts are read
/// once for all three, sparing a call per pass; long ones are left to the passes' own
/// searches.
struct Classes {
    digit: bool,
    at: bool,
    colon: bool,
}

/// Texts up to this long are classified in one read.
const CLASSIFIED: usize = 256;

impl Classes {
    fn of(t: &[u8]) -> Classes {
        if t.len() > CLASSIFIED {
            return Classes {
                digit: true,
                at: true,
                colon: true,
            };
        }
        // Branch-free, so the compiler reads many bytes per step.
        let (mut digit, mut at, mut colon) = (0u8, 0u8, 0u8);
        for &b in t {
            digit |= u8::from(b.wrapping_sub(b'0') < 10);
            at |= u8::from(b == b'@');
            colon |= u8::from(b == b':');
        }
        Classes {
            digit: digit != 0,
            at: at != 0,
            colon: colon != 0,
        }
    }
}

/// Whether the digit group at `i` (after a `.`) is too long to be part of a dotted card,
/// IP or phone: a decimal fraction.
fn decimal_fraction(t: &[u8], i: usize) -> bool {
    run_end(t, i, |b| b.is_ascii_digit()) - i > super::prefilter::MAX_DOTTED_GROUP as usize
}

/// Card numbers among digit groups: the longest window of whole groups with 12–19
/// digits that is a card, left to right.
pub(crate) fn cards(groups: &[(usize, usize)], slices: &[&[u8]], out: &mut Vec<Span>) {
    let mut s = 0;
    while s < slices.len() {
        let mut found = None;
        let mut buf = [0u8; 19];
        for e in (s + 1..=slices.len()).rev() {
            let window = slices.get(s..e).unwrap_or(&[]);
            let n: usize = window.iter().map(|g| g.len()).sum();
            if !(12..=19).contains(&n) {
                continue;
            }
            let mut k = 0;
            for g in window {
                for &d in *g {
                    if let Some(slot) = buf.get_mut(k) {
                        *slot = d;
                    }
                    k += 1;
                }
            }
            if card::is_card(buf.get(..n).unwrap_or(&[])) {
                found = Some(e);
                break;
            }
        }
        match found {
            Some(e) => {
                if let (Some(a), Some(b)) = (groups.get(s), groups.get(e - 1)) {
                    out.push(Span::new(a.0, b.1, Detector::CreditCard));
                }
                s = e;
            }
            None => s += 1,
        }
    }
}

/// The rank of a type when two spans cover the same text: specific before generic.
fn rank(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Builtin(d) => match d {
            Detector::PrivateKey => 0,
            Detector::Jwt => 1,
            Detector::GithubToken | Detector::SlackToken | Detector::AwsAccessKey => 2,
            Detector::AwsSecretKey => 3,
            Detector::CreditCard | Detector::Iban | Detector::UsSsn => 4,
            Detector::Email | Detector::IpAddress => 5,
            Detector::Phone => 6,
            Detector::GenericSecret => 8,
        },
        SpanKind::Pattern(_) => 7,
    }
}

/// Leaves `spans` non-overlapping: earliest start first, then longest, then most
/// specific. Whether a dropped span reached past the one it overlapped: its tail, which
/// stays unmasked, may match on its own once the kept one is masked, so the caller
/// scans the masked text again.
fn resolve(spans: &mut Vec<Span>) -> bool {
    if spans.len() <= 1 {
        spans.retain(|s| s.end > s.start);
        return false;
    }
    spans.sort_unstable_by_key(|s| (s.start, std::cmp::Reverse(s.end), rank(s.kind)));
    let mut end = 0;
    let mut first = true;
    let mut cut = false;
    spans.retain(|s| {
        let keep = s.end > s.start && (first || s.start >= end);
        if keep {
            end = s.end;
            first = false;
        } else if s.end > end {
            cut = true;
        }
        keep
    });
    cut
}
