//! The block bitmap of a `bitmap` cache (uWSGI's
//! `uwsgi_cache_find_free_blocks`, `cache_mark_blocks`,
//! `cache_unmark_blocks`): one bit per value block, set when used; a value
//! takes consecutive blocks, found first-fit from where the last search
//! ended, then from the first block; a run never wraps past the last one.

use std::sync::atomic::Ordering;

use super::layout::header;
use super::region::Guard;

impl Guard<'_> {
    /// Blocks a value of `len` bytes takes.
    pub fn blocks_for(&self, len: usize) -> usize {
        len.div_ceil(self.layout().blocksize).max(1)
    }

    fn used(&self, block: usize) -> bool {
        self.bitmap(block / 64).load(Ordering::Relaxed) & (1 << (block % 64)) != 0
    }

    fn set_bits(&self, first: usize, count: usize, used: bool) {
        for block in first..(first + count).min(self.layout().blocks) {
            let word = self.bitmap(block / 64);
            let bit = 1u64 << (block % 64);
            let old = word.load(Ordering::Relaxed);
            word.store(if used { old | bit } else { old & !bit }, Ordering::Relaxed);
        }
    }

    /// The first of `need` consecutive free blocks, marked used (and the
    /// next search set to start after them); None when there is no such
    /// run.
    pub fn take_blocks(&self, need: usize) -> Option<u64> {
        let blocks = self.layout().blocks;
        let start = usize::try_from(self.get(header::BITMAP_POS)).unwrap_or(0) % blocks;
        let (mut run, mut base) = (0, 0);
        // From where the last search ended to the end, then from the start
        // (a run does not wrap past the last block).
        for block in (start..blocks).chain(0..blocks) {
            if block == 0 {
                run = 0;
            }
            if self.used(block) {
                run = 0;
                continue;
            }
            if run == 0 {
                base = block;
            }
            run += 1;
            if run == need {
                self.set_bits(base, need, true);
                let next = base + need;
                self.put(
                    header::BITMAP_POS,
                    if next >= blocks { 0 } else { next as u64 },
                );
                return Some(base as u64);
            }
        }
        None
    }

    /// Frees the blocks of a value of `len` bytes from `first`.
    pub fn release_blocks(&self, first: u64, len: usize) {
        let first = usize::try_from(first).unwrap_or(usize::MAX);
        self.set_bits(first, self.blocks_for(len), false);
    }
}
