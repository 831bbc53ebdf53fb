//! Packing a request description into a row of atomic words, 8 bytes at
//! a time, without allocating (the worker does it on every request).

use std::sync::atomic::{AtomicU64, Ordering};

use super::{INFO_BYTES, INFO_WORDS};

/// Packs bytes into a row of atomic words, 8 at a time.
pub struct Packer<'a> {
    words: &'a [AtomicU64; INFO_WORDS],
    buf: [u8; 8],
    fill: usize,
    word: usize,
    len: usize,
}

impl<'a> Packer<'a> {
    pub fn new(words: &'a [AtomicU64; INFO_WORDS]) -> Packer<'a> {
        Packer {
            words,
            buf: [0; 8],
            fill: 0,
            word: 0,
            len: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.len == INFO_BYTES {
                return;
            }
            self.buf[self.fill] = b;
            self.fill += 1;
            self.len += 1;
            if self.fill == 8 {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if let Some(word) = self.words.get(self.word) {
            word.store(u64::from_ne_bytes(self.buf), Ordering::Relaxed);
        }
        self.word += 1;
        self.buf = [0; 8];
        self.fill = 0;
    }

    /// Stores the last partial word; returns the length.
    pub fn finish(mut self) -> usize {
        if self.fill > 0 {
            self.flush();
        }
        self.len
    }
}
