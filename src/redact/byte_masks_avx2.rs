//! The byte-class masks of [`super::byte_masks`] with AVX2, for processors that have
//! it (checked at run time by [`available`]): 32 bytes per instruction, and all five
//! classes from one pair of nibble-table lookups instead of a range test per class.
//!
//! Every byte gets a set of class bits: the bits its low nibble allows, and-ed with
//! those its high nibble allows (`vpshufb` looks both up, 32 bytes at a time). Each
//! bit is a class whose bytes are all the low nibbles of one set under all the high
//! nibbles of another, so the and is exact; a class that is not of that shape is the
//! union of two bits (`A`–`Z` is `0x41`–`0x4F` and `0x50`–`0x5A`). A class's mask is
//! then its bit shifted to the top of each byte and gathered (`vpmovmskb`).
//!
//! The functions are safe to call from code compiled for AVX2; the one call from
//! code that is not sits in the prefilter, after [`available`]. The tests hold the
//! masks equal to the portable ones for every byte value.

use std::arch::x86_64::{
    __m256i, _mm256_and_si256, _mm256_movemask_epi8, _mm256_set1_epi8, _mm256_shuffle_epi8,
    _mm256_slli_epi16, _mm256_srli_epi16,
};

use super::byte_masks::{ByteMasks, WIDTH};

/// `0`–`9`, in the top bit so that its mask needs no shift.
const DIGIT: u8 = 1 << 7;
/// `:`.
const COLON: u8 = 1 << 6;
/// Space, `(`, `)`, `+`, `-`, `.`.
const PUNCT: u8 = 1 << 5;
/// `a`–`f`, `A`–`F`.
const HEX_LETTER: u8 = 1 << 4;
/// `A`–`O`.
const UPPER_LOW: u8 = 1 << 3;
/// `P`–`Z`.
const UPPER_HIGH: u8 = 1 << 2;

/// The class bits each low nibble allows.
const BY_LOW_NIBBLE: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut lo = 0;
    while lo < 16 {
        let mut bits = 0;
        if lo <= 9 {
            bits |= DIGIT;
        }
        if lo == 0xA {
            bits |= COLON;
        }
        if matches!(lo, 0x0 | 0x8 | 0x9 | 0xB | 0xD | 0xE) {
            bits |= PUNCT;
        }
        if lo >= 1 && lo <= 6 {
            bits |= HEX_LETTER;
        }
        if lo >= 1 {
            bits |= UPPER_LOW;
        }
        if lo <= 0xA {
            bits |= UPPER_HIGH;
        }
        t[lo] = bits;
        lo += 1;
    }
    t
};

/// The class bits each high nibble allows.
const BY_HIGH_NIBBLE: [u8; 16] = {
    let mut t = [0u8; 16];
    t[0x2] = PUNCT;
    t[0x3] = DIGIT | COLON;
    t[0x4] = HEX_LETTER | UPPER_LOW;
    t[0x5] = UPPER_HIGH;
    t[0x6] = HEX_LETTER;
    t
};

/// Whether this processor runs the functions here.
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// The masks of `t[i..i + 64]` (bytes past the end belong to no class), as
/// [`ByteMasks::at`] computes them.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn masks_at(t: &[u8], i: usize) -> ByteMasks {
    let halves = |w: &[u8]| -> Option<([u8; 32], [u8; 32])> {
        Some((w.get(..32)?.try_into().ok()?, w.get(32..)?.try_into().ok()?))
    };
    let (first, second) = match t.get(i..i + WIDTH).and_then(halves) {
        Some(full) => full,
        None => {
            let mut padded = [0u8; WIDTH];
            for (d, s) in padded.iter_mut().zip(t.get(i..).unwrap_or(&[])) {
                *d = *s;
            }
            let [a, b]: [[u8; 32]; 2] = bytemuck::cast(padded);
            (a, b)
        }
    };
    let low = Masks32::of(first);
    let high = Masks32::of(second);
    let join = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
    let digit = join(low.digit, high.digit);
    let colon = join(low.colon, high.colon);
    ByteMasks {
        digit,
        cluster: digit | join(low.punct, high.punct),
        colon,
        hexish: digit | colon | join(low.hex_letter, high.hex_letter),
        upper: join(low.upper, high.upper),
    }
}

/// The class masks of 32 bytes.
struct Masks32 {
    digit: u32,
    colon: u32,
    punct: u32,
    hex_letter: u32,
    upper: u32,
}

impl Masks32 {
    #[target_feature(enable = "avx2")]
    #[inline]
    fn of(bytes: [u8; 32]) -> Masks32 {
        let v: __m256i = bytemuck::cast(bytes);
        let nibble = _mm256_set1_epi8(0x0F);
        let low = _mm256_and_si256(v, nibble);
        // The 16-bit shift moves bits across bytes; the and drops them.
        let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble);
        let classes = _mm256_and_si256(
            _mm256_shuffle_epi8(table(&BY_LOW_NIBBLE), low),
            _mm256_shuffle_epi8(table(&BY_HIGH_NIBBLE), high),
        );
        // A left shift of 16-bit lanes by `s < 8` moves bit `7 - s` of every byte to
        // its top bit; the bits it carries across bytes land below the top.
        let top = |m: __m256i| _mm256_movemask_epi8(m) as u32;
        Masks32 {
            digit: top(classes),
            colon: top(_mm256_slli_epi16::<1>(classes)),
            punct: top(_mm256_slli_epi16::<2>(classes)),
            hex_letter: top(_mm256_slli_epi16::<3>(classes)),
            upper: top(_mm256_slli_epi16::<4>(classes)) | top(_mm256_slli_epi16::<5>(classes)),
        }
    }
}

/// A nibble table in both 128-bit lanes (`vpshufb` looks up within each lane).
#[inline]
fn table(t: &[u8; 16]) -> __m256i {
    bytemuck::cast([*t, *t])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 and the portable masks at `i`; `None` on a processor without AVX2,
    /// where these tests have nothing to compare (`byte_masks`' own tests hold the
    /// portable masks to the byte-by-byte reference everywhere).
    fn both(t: &[u8], i: usize) -> Option<(ByteMasks, ByteMasks)> {
        if !available() {
            return None;
        }
        // SAFETY: the processor has AVX2, checked just above.
        #[allow(unsafe_code)]
        let fast = unsafe { masks_at(t, i) };
        Some((fast, ByteMasks::at(t, i)))
    }

    #[test]
    fn every_byte_value_is_classed_as_the_portable_masks_class_it() {
        let all: Vec<u8> = (0..=255u8).collect();
        for i in 0..all.len() + 1 {
            if let Some((fast, portable)) = both(&all, i) {
                assert_eq!(fast, portable, "at {i}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn avx2_and_portable_masks_agree(
            t in proptest::collection::vec(proptest::sample::select(b"0123456789 -.()+,*/:;@[`{aZGBfPpOo\x80\xff".to_vec()), 0..300),
            i in 0usize..310,
        ) {
            if let Some((fast, portable)) = both(&t, i) {
                proptest::prop_assert_eq!(fast, portable);
            }
        }
    }
}
