//! One cache's memory, and the guard that holds its lock. The metadata is
//! read and written as atomics (so the master may read a counter without
//! the lock); keys and values are copied with plain memory copies, only
//! while the lock is held, which orders them between processes.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::layout::{HEADER_BYTES, ITEM_WORDS, Layout, header, item};
use crate::shared_lock::{self as lock, Taken};

/// One cache's bytes in a shared mapping.
pub struct Region {
    base: NonNull<u8>,
    pub layout: Layout,
}

// SAFETY: the metadata is atomics; the bytes are only touched under the
// cache's lock, which is held by one thread of one process at a time.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    /// # Safety
    /// `base` is 8-aligned, `layout.size` bytes long and lives (mapped) as
    /// long as the region.
    pub unsafe fn new(base: NonNull<u8>, layout: Layout) -> Region {
        Region { base, layout }
    }

    fn word_run(&self, at: usize, len: usize) -> &[AtomicU64] {
        // SAFETY: every run the layout names is inside the region and
        // 8-aligned; atomics are valid for any bit pattern.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(at).cast(), len) }
    }

    fn lock_word(&self) -> &AtomicU32 {
        // SAFETY: the first 4 bytes of the header, aligned.
        unsafe { &*self.base.as_ptr().cast::<AtomicU32>() }
    }

    pub fn header(&self, word: usize) -> &AtomicU64 {
        &self.word_run(8, (HEADER_BYTES - 8) / 8)[word]
    }

    /// Takes the lock. A lock taken over from a dead process empties the
    /// cache first: its holder may have died half-way through a change.
    pub fn lock(&self) -> Guard<'_> {
        let taken = lock::lock(self.lock_word());
        let guard = Guard { region: self };
        if taken == Taken::FromDeadOwner {
            crate::log::log_line!(
                "cache: a process died holding the lock of a cache; the cache is emptied"
            );
            guard.reset();
        }
        guard
    }

    /// Used items (no lock: a figure for status).
    pub fn used(&self) -> u64 {
        self.header(header::N_ITEMS).load(Ordering::Relaxed)
    }
}

/// The lock of a region, held.
pub struct Guard<'a> {
    region: &'a Region,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = lock::unlock(self.region.lock_word());
    }
}

impl Guard<'_> {
    pub fn layout(&self) -> &Layout {
        &self.region.layout
    }

    pub fn get(&self, word: usize) -> u64 {
        self.region.header(word).load(Ordering::Relaxed)
    }

    pub fn put(&self, word: usize, value: u64) {
        self.region.header(word).store(value, Ordering::Relaxed);
    }

    pub fn bucket(&self, b: usize) -> &AtomicU64 {
        &self
            .region
            .word_run(self.layout().hash_at, self.layout().hashsize)[b]
    }

    pub fn stack(&self, i: usize) -> &AtomicU64 {
        &self
            .region
            .word_run(self.layout().stack_at, self.layout().items)[i]
    }

    fn item_words(&self, i: usize) -> &[AtomicU64] {
        let l = self.layout();
        let at = l.items_at + i.min(l.items - 1) * l.item_words * 8;
        self.region.word_run(at, l.item_words)
    }

    /// Word `field` of item `i` (item numbers come from the structure,
    /// always below `items`).
    pub fn item(&self, i: u64, field: usize) -> u64 {
        self.item_words(index(i))[field].load(Ordering::Relaxed)
    }

    pub fn set_item(&self, i: u64, field: usize, value: u64) {
        self.item_words(index(i))[field].store(value, Ordering::Relaxed);
    }

    /// The key of item `i`.
    pub fn key(&self, i: u64) -> &[u8] {
        let len = usize::try_from(self.item(i, item::KEYSIZE))
            .unwrap_or(0)
            .min(self.layout().keysize);
        let words = &self.item_words(index(i))[ITEM_WORDS..];
        // SAFETY: the key words follow the metadata inside the item; the
        // lock is held, so no other thread writes them meanwhile.
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), len) }
    }

    pub fn write_key(&self, i: u64, key: &[u8]) {
        let words = &self.item_words(index(i))[ITEM_WORDS..];
        let len = key.len().min(self.layout().keysize);
        // SAFETY: as in `key`; the destination is the item's key room.
        unsafe {
            std::ptr::copy_nonoverlapping(key.as_ptr(), words.as_ptr().cast::<u8>().cast_mut(), len)
        }
    }

    /// One word of the block bitmap (`bitmap` caches only).
    pub fn bitmap(&self, w: usize) -> &AtomicU64 {
        &self
            .region
            .word_run(self.layout().bitmap_at, self.layout().bitmap_words)[w]
    }

    /// Where item `i`'s value starts, and how many bytes the blocks from
    /// there to the end hold.
    fn block(&self, i: u64) -> (*mut u8, usize) {
        let l = self.layout();
        let first = usize::try_from(self.item(i, item::FIRST_BLOCK))
            .unwrap_or(0)
            .min(l.blocks - 1);
        // SAFETY: block `first` (< blocks) lies inside the region.
        let at = unsafe {
            self.region
                .base
                .as_ptr()
                .add(l.data_at + first * l.blocksize)
        };
        (at, (l.blocks - first) * l.blocksize)
    }

    /// The first `len` bytes of item `i`'s value.
    pub fn value(&self, i: u64, len: usize) -> &[u8] {
        let (at, room) = self.block(i);
        // SAFETY: inside the blocks; the lock is held.
        unsafe { std::slice::from_raw_parts(at, len.min(room)) }
    }

    /// Writes item `i`'s value from its first block on.
    pub fn write_value(&self, i: u64, value: &[u8]) {
        let (at, room) = self.block(i);
        // SAFETY: as in `value`.
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), at, value.len().min(room)) }
    }

    /// Empties the cache: every item free, the counters of use kept.
    pub fn reset(&self) {
        let l = *self.layout();
        for b in 0..l.hashsize {
            self.bucket(b).store(0, Ordering::Relaxed);
        }
        for i in 1..l.items as u64 {
            for field in 0..ITEM_WORDS {
                self.set_item(i, field, 0);
            }
            self.stack(index(i)).store(i, Ordering::Relaxed);
        }
        for w in 0..l.bitmap_words {
            self.bitmap(w).store(0, Ordering::Relaxed);
        }
        self.put(header::STACK_TOP, l.items as u64 - 1);
        for word in [
            header::N_ITEMS,
            header::LRU_HEAD,
            header::LRU_TAIL,
            header::NEXT_SCAN,
            header::BITMAP_POS,
        ] {
            self.put(word, 0);
        }
    }
}

fn index(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}
