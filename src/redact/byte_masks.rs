//! Byte classes of 64 bytes at a time, as bitmasks: bit `k` of a mask is byte `k` of
//! the window. The prefilter finds the few places worth a closer look with a handful
//! of shifts and ands on them, instead of visiting bytes one by one.
//!
//! The classes are computed sixteen bytes at a time with [`wide`]'s portable vectors
//! (SSE2 on x86-64, NEON on AArch64, plain arrays elsewhere), in safe code; processors
//! with AVX2 get the same masks from [`super::byte_masks_avx2`]. The tests hold every
//! mask equal to the same class computed one byte at a time.

use wide::{CmpEq, CmpLt, i8x16};

/// Bytes in a window.
pub(crate) const WIDTH: usize = 64;

/// The classes of the (up to) 64 bytes at one offset. Bytes past the end of the text
/// belong to no class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ByteMasks {
    /// `0`–`9`.
    pub(crate) digit: u64,
    /// Digits and phone punctuation: `0`–`9`, space, `-`, `.`, `(`, `)`, `+`.
    pub(crate) cluster: u64,
    /// `:`.
    pub(crate) colon: u64,
    /// Hex digits and colons: `0`–`9`, `a`–`f`, `A`–`F`, `:`.
    pub(crate) hexish: u64,
    /// `A`–`Z`.
    pub(crate) upper: u64,
}

impl ByteMasks {
    /// The masks of `t[i..i + 64]`.
    pub(crate) fn at(t: &[u8], i: usize) -> Self {
        let mut m = ByteMasks::default();
        match t.get(i..i + WIDTH) {
            Some(full) => m.add_window(full),
            None => {
                let mut padded = [0u8; WIDTH];
                for (d, s) in padded.iter_mut().zip(t.get(i..).unwrap_or(&[])) {
                    *d = *s;
                }
                m.add_window(&padded);
            }
        }
        m
    }

    /// Sets the bits of exactly 64 bytes, sixteen at a time.
    fn add_window(&mut self, window: &[u8]) {
        for (k, chunk) in window.chunks_exact(16).enumerate() {
            let mut a = [0i8; 16];
            for (d, s) in a.iter_mut().zip(chunk) {
                *d = *s as i8;
            }
            let v = i8x16::new(a);
            let shift = 16 * k as u32;
            let digit = in_range(v, b'0', b'9');
            let colon = eq(v, b':');
            // Setting bit 5 lower-cases letters (and moves no other byte into `a`–`f`).
            let hex_letter = in_range(v | i8x16::splat(0x20), b'a', b'f');
            self.digit |= bits(digit) << shift;
            self.cluster |= bits(digit | phone_punctuation(v)) << shift;
            self.colon |= bits(colon) << shift;
            self.hexish |= bits(digit | hex_letter | colon) << shift;
            self.upper |= bits(in_range(v, b'A', b'Z')) << shift;
        }
    }

    /// Every mask, in field order.
    #[cfg(test)]
    fn all(&self) -> [u64; 5] {
        [
            self.digit,
            self.cluster,
            self.colon,
            self.hexish,
            self.upper,
        ]
    }
}

/// The masks of one window together with those of its neighbours, so that a class of
/// the bytes just before or after a window's byte is one shift away.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neighbourhood {
    pub(crate) prev: ByteMasks,
    pub(crate) cur: ByteMasks,
    pub(crate) next: ByteMasks,
}

impl Neighbourhood {
    /// Digits from which at least seven bytes of digits and phone punctuation run on
    /// (the digit and the six after it): the shortest run that can hold a match of the
    /// digit pass is an IPv4 address such as `1.2.3.4`.
    pub(crate) fn long_clusters(&self) -> u64 {
        let run = wide_mask(self.cur.cluster, self.next.cluster);
        let two = run & run >> 1;
        let four = two & two >> 2;
        let seven = four & four >> 3;
        self.cur.digit & seven as u64
    }

    /// Colons that may start an IPv6 address: one before another colon (`::`), or one
    /// from which at least thirteen hex digits and colons run on, which the first of
    /// seven colons with hex digits between them has.
    pub(crate) fn ipv6_starts(&self) -> u64 {
        let colon = wide_mask(self.cur.colon, self.next.colon);
        let hexish = wide_mask(self.cur.hexish, self.next.hexish);
        let two = hexish & hexish >> 1;
        let four = two & two >> 2;
        let eight = four & four >> 4;
        let thirteen = eight & eight >> 5;
        self.cur.colon & (colon >> 1 | thirteen) as u64
    }

    /// Digits after two upper-case letters and before another digit: where an IBAN's
    /// check digits would be.
    pub(crate) fn iban_starts(&self) -> u64 {
        let digit_next = (wide_mask(self.cur.digit, self.next.digit) >> 1) as u64;
        let upper = wide_mask(self.prev.upper, self.cur.upper);
        let upper_before = ((upper << 1) & (upper << 2)) >> 64;
        self.cur.digit & digit_next & upper_before as u64
    }
}

/// `low` then `high` as one 128-bit mask.
pub(crate) fn wide_mask(low: u64, high: u64) -> u128 {
    u128::from(low) | u128::from(high) << 64
}

/// The high bits of the bytes of `v` (all-ones or zero after a comparison).
fn bits(v: i8x16) -> u64 {
    u64::from(v.move_mask() as u16)
}

fn eq(v: i8x16, b: u8) -> i8x16 {
    v.cmp_eq(i8x16::splat(b as i8))
}

/// Space, `(`, `)`, `+`, `-`, `.`: those in `(`..=`.` less `*` and `,`.
fn phone_punctuation(v: i8x16) -> i8x16 {
    let mid = in_range(v, b'(', b'.');
    (mid & !(eq(v, b'*') | eq(v, b','))) | eq(v, b' ')
}

/// Whether each byte of `v` lies in `lo..=hi`: adding `0x80 - lo` moves the range to
/// the lowest signed values, `-128..=-128 + (hi - lo)`, and every byte outside it above
/// them, so one signed comparison decides.
fn in_range(v: i8x16, lo: u8, hi: u8) -> i8x16 {
    let moved = v + i8x16::splat(0x80u8.wrapping_sub(lo) as i8);
    let above = i8::MIN
        .wrapping_add(hi.wrapping_sub(lo) as i8)
        .wrapping_add(1);
    moved.cmp_lt(i8x16::splat(above))
}

/// Bits `from..to` set (`from <= to <= 64`).
pub(crate) fn bit_range(from: usize, to: usize) -> u64 {
    let below_to = 1u64.checked_shl(to as u32).map_or(!0, |b| b - 1);
    below_to & (!0u64).checked_shl(from as u32).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`ByteMasks::all`] computed one byte at a time: the reference the vector code is
    /// tested against.
    fn masks_of_bytes(t: &[u8], i: usize) -> [u64; 5] {
        let mut m = [0u64; 5];
        for (k, &b) in t.get(i..).unwrap_or(&[]).iter().take(WIDTH).enumerate() {
            let digit = b.is_ascii_digit();
            let classes = [
                digit,
                digit || matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+'),
                b == b':',
                b.is_ascii_hexdigit() || b == b':',
                b.is_ascii_uppercase(),
            ];
            for (mask, on) in m.iter_mut().zip(classes) {
                *mask |= u64::from(on) << k;
            }
        }
        m
    }

    /// The neighbourhood of the window at `i`.
    fn around(t: &[u8], i: usize) -> Neighbourhood {
        Neighbourhood {
            prev: i
                .checked_sub(WIDTH)
                .map_or_else(ByteMasks::default, |p| ByteMasks::at(t, p)),
            cur: ByteMasks::at(t, i),
            next: ByteMasks::at(t, i + WIDTH),
        }
    }

    /// The neighbourhood's candidate masks computed one byte at a time.
    fn candidates_of_bytes(t: &[u8], i: usize) -> [u64; 3] {
        let is = |k: usize, f: fn(&u8) -> bool| t.get(k).is_some_and(f);
        let hexish = |b: &u8| b.is_ascii_hexdigit() || *b == b':';
        let cluster = |b: &u8| b.is_ascii_digit() || b" -.()+".contains(b);
        let mut m = [0u64; 3];
        for k in 0..WIDTH {
            let j = i + k;
            let long = is(j, u8::is_ascii_digit) && (j..j + 7).all(|x| is(x, cluster));
            let ipv6 = is(j, |b| *b == b':')
                && (is(j + 1, |b| *b == b':') || (j..j + 13).all(|x| is(x, hexish)));
            let iban = is(j, u8::is_ascii_digit)
                && is(j + 1, u8::is_ascii_digit)
                && j >= 2
                && is(j - 1, u8::is_ascii_uppercase)
                && is(j - 2, u8::is_ascii_uppercase);
            for (mask, on) in m.iter_mut().zip([long, ipv6, iban]) {
                *mask |= u64::from(on) << k;
            }
        }
        m
    }

    #[test]
    fn every_byte_value_is_classed_as_byte_by_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        for i in 0..all.len() {
            assert_eq!(
                ByteMasks::at(&all, i).all(),
                masks_of_bytes(&all, i),
                "at {i}"
            );
        }
    }

    #[test]
    fn short_tails_are_padded_with_no_class() {
        let t = b"12 x";
        let m = ByteMasks::at(t, 0);
        assert_eq!(m.digit, 0b0011);
        assert_eq!(m.cluster, 0b0111);
        assert_eq!(ByteMasks::at(t, 9).all(), [0; 5]);
    }

    #[test]
    fn candidates_reach_into_the_next_window_and_back_into_the_last() {
        let mut t = vec![b'x'; 3 * WIDTH];
        t.splice(WIDTH - 3..WIDTH + 4, *b"1.2.3.4");
        t.splice(2 * WIDTH - 2..2 * WIDTH + 12, *b"::1 GB82 AB:CD");
        let n = around(&t, WIDTH);
        assert_eq!(n.long_clusters(), 0);
        assert_eq!(n.ipv6_starts(), 1 << 62);
        let first = around(&t, 0);
        assert_eq!(first.long_clusters(), 1 << 61);
        let last = around(&t, 2 * WIDTH);
        assert_eq!(last.iban_starts(), 1 << 4);
        assert_eq!(last.ipv6_starts(), 0);
    }

    #[test]
    fn bit_ranges() {
        assert_eq!(bit_range(0, 0), 0);
        assert_eq!(bit_range(0, 3), 0b111);
        assert_eq!(bit_range(2, 5), 0b11100);
        assert_eq!(bit_range(60, 64), 0xF << 60);
        assert_eq!(bit_range(64, 64), 0);
    }

    proptest::proptest! {
        #[test]
        fn vectors_and_bytes_agree(
            t in proptest::collection::vec(proptest::sample::select(b"0123456789 -.()+,*/:aZGBf\x80\xff".to_vec()), 0..300),
            i in 0usize..310,
        ) {
            proptest::prop_assert_eq!(ByteMasks::at(&t, i).all(), masks_of_bytes(&t, i));
        }

        #[test]
        fn candidates_agree_with_bytes(
            t in proptest::collection::vec(proptest::sample::select(b"0123456789 -.:aZGBf".to_vec()), 0..300),
            w in 0usize..5,
        ) {
            let i = w * WIDTH;
            let n = around(&t, i);
            proptest::prop_assert_eq!(
                [n.long_clusters(), n.ipv6_starts(), n.iban_starts()],
                candidates_of_bytes(&t, i)
            );
        }
    }
}
