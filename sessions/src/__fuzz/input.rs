//! Structured choices read from the front of the fuzzer's bytes.

/// A cursor over the input that never fails: past the end it reads zeros
/// and empty slices, so every input is a test case and a mutation of any
/// byte changes a choice instead of being thrown away.
pub(super) struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next `len` bytes, or all that remain if fewer.
    pub(super) fn take(&mut self, len: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(len.min(self.bytes.len()));
        self.bytes = tail;
        head
    }

    pub(super) fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// A big-endian `u16` (bytes past the end read as zero).
    pub(super) fn u16(&mut self) -> u16 {
        let bytes = self.take(2);
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        u16::from_be_bytes([at(0), at(1)])
    }

    /// A big-endian `u64` (bytes past the end read as zero).
    pub(super) fn u64(&mut self) -> u64 {
        let mut word = [0u8; 8];
        let bytes = self.take(8);
        word[..bytes.len()].copy_from_slice(bytes);
        u64::from_be_bytes(word)
    }

    /// Everything not read yet.
    pub(super) fn rest(self) -> &'a [u8] {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zeros_past_the_end() {
        let mut input = Input::new(&[1, 2, 3]);
        assert_eq!(input.u16(), 0x0102);
        assert_eq!(input.u16(), 0x0300);
        assert_eq!((input.byte(), input.u64()), (0, 0));
        assert!(input.take(5).is_empty() && input.rest().is_empty());
    }
}
