//! uWSGI 2.0.31's cache operations (`core/cache.c`), on a locked region:
//! items chained by the djb33x hash of their key, a stack of free items,
//! one value block per item (or consecutive blocks from the bitmap,
//! `blocks.rs`), and a least-recently-used list for `purge_lru`. One difference: an expired item is never returned; it is
//! removed when found (uWSGI returns it until its sweeper runs, unless
//! `lazy_expire`).

use std::borrow::Cow;

use super::layout::{header, item};
use super::region::Guard;
use crate::config::CacheSpec;
use crate::log::log_line;

/// What a set does on a key that exists, and how it computes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cache_set`: fails when the key exists.
    Set,
    /// `cache_update`: replaces.
    Update,
    /// `cache_inc` and kin: a 64-bit number, the expiry of an existing
    /// item kept.
    Math(MathOp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    Inc,
    Dec,
    Mul,
    Div,
}

impl MathOp {
    fn apply(self, num: i64, delta: i64) -> i64 {
        match self {
            MathOp::Inc => num.wrapping_add(delta),
            MathOp::Dec => num.wrapping_sub(delta),
            MathOp::Mul => num.wrapping_mul(delta),
            MathOp::Div if delta == 0 => 0,
            MathOp::Div => num.wrapping_div(delta),
        }
    }
}

/// uWSGI's hash: Bernstein's, over C `char`s (signed, as x86 has them).
pub fn djb33x(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |hash, &b| {
        (hash << 5).wrapping_add(hash) ^ (b as i8 as i32 as u32)
    })
}

impl Guard<'_> {
    fn bucket_of(&self, hash: u32) -> usize {
        hash as usize % self.layout().hashsize
    }

    /// The item holding `key`, if any and not expired at `now`.
    pub fn find(&self, key: &[u8], now: u64) -> Option<u64> {
        let hash = djb33x(key);
        let mut slot = self.bucket(self.bucket_of(hash)).load(relaxed());
        let mut rounds = 0;
        while slot != 0 {
            if self.item(slot, item::HASH) == u64::from(hash) && self.key(slot) == key {
                let expires = self.item(slot, item::EXPIRES);
                if expires != 0 && expires <= now {
                    self.remove(slot);
                    return None;
                }
                return Some(slot);
            }
            slot = self.item(slot, item::NEXT);
            rounds += 1;
            if rounds > self.layout().items {
                // A loop: the structure is damaged. uWSGI reloads the app.
                log_line!("cache: a loop was found in a hash chain; the cache is emptied");
                self.reset();
                return None;
            }
        }
        None
    }

    /// The value of `key`, counting a hit or a miss.
    pub fn read(&self, spec: &CacheSpec, key: &[u8], now: u64) -> Option<Vec<u8>> {
        let Some(slot) = self.find(key, now) else {
            self.bump(header::MISSES);
            return None;
        };
        if spec.purge_lru {
            self.lru_remove(slot);
            self.lru_add(slot);
        }
        self.set_item(slot, item::HITS, self.item(slot, item::HITS) + 1);
        self.bump(header::HITS);
        let len = usize::try_from(self.item(slot, item::VALSIZE)).unwrap_or(0);
        Some(self.value(slot, len).to_vec())
    }

    fn bump(&self, word: usize) {
        self.put(word, self.get(word).wrapping_add(1));
    }

    /// Stores `value` under `key` (uWSGI's `uwsgi_cache_set2`); `expires`
    /// is in seconds from `now` (0: never). False when uWSGI fails: empty
    /// key or value, key or value too long, the key exists (`Mode::Set`),
    /// or the cache is full.
    pub fn write(
        &self,
        spec: &CacheSpec,
        key: &[u8],
        value: &[u8],
        expires: u64,
        mode: Mode,
        now: u64,
    ) -> bool {
        let l = *self.layout();
        if key.is_empty() || value.is_empty() || key.len() > l.keysize || value.len() > l.max_value
        {
            return false;
        }
        if matches!(mode, Mode::Math(_)) && value.len() != 8 {
            return false;
        }
        let expires = match expires {
            0 => 0,
            // Wrapping as uWSGI's C does: a negative expiry is already past.
            secs => now.wrapping_add(secs),
        };
        match self.find(key, now) {
            None => self.insert(spec, key, value, expires, mode),
            Some(_) if mode == Mode::Set => false,
            Some(slot) => {
                if !matches!(mode, Mode::Math(_)) {
                    self.touch(spec, slot, expires);
                }
                let bytes = self.new_value(slot, value, mode, None);
                if l.bitmap && !self.move_blocks(spec, slot, bytes.len()) {
                    return false;
                }
                self.put_value(slot, &bytes);
                true
            }
        }
    }

    /// Gives `slot` new blocks for a value of `len` bytes, then frees its
    /// old ones (uWSGI's order: a full cache keeps the old value).
    fn move_blocks(&self, spec: &CacheSpec, slot: u64, len: usize) -> bool {
        let Some(first) = self.take_blocks(self.blocks_for(len)) else {
            self.full(spec);
            return false;
        };
        let old_len = usize::try_from(self.item(slot, item::VALSIZE)).unwrap_or(0);
        self.release_blocks(self.item(slot, item::FIRST_BLOCK), old_len);
        self.set_item(slot, item::FIRST_BLOCK, first);
        true
    }

    fn insert(&self, spec: &CacheSpec, key: &[u8], value: &[u8], expires: u64, mode: Mode) -> bool {
        if self.get(header::STACK_TOP) == 0 {
            self.full(spec);
            if self.get(header::STACK_TOP) == 0 {
                return false;
            }
        }
        let top = self.get(header::STACK_TOP);
        let slot = self.stack(top as usize).load(relaxed());
        let bytes = self.new_value(slot, value, mode, Some(spec.math_initial));
        let first = if self.layout().bitmap {
            match self.take_blocks(self.blocks_for(bytes.len())) {
                Some(first) => first,
                None => {
                    self.full(spec);
                    return false;
                }
            }
        } else {
            slot
        };
        self.put(header::STACK_TOP, top - 1);
        self.set_item(slot, item::FIRST_BLOCK, first);
        if spec.purge_lru {
            self.lru_add(slot);
        }
        self.note_expiry(expires);
        let hash = djb33x(key);
        self.set_item(slot, item::EXPIRES, expires);
        self.set_item(slot, item::HASH, u64::from(hash));
        self.set_item(slot, item::HITS, 0);
        self.write_key(slot, key);
        self.put_value(slot, &bytes);
        self.set_item(slot, item::KEYSIZE, key.len() as u64);
        // Appended at the end of its bucket's chain, as uWSGI does.
        self.set_item(slot, item::NEXT, 0);
        let bucket = self.bucket(self.bucket_of(hash));
        let mut last = bucket.load(relaxed());
        if last == 0 {
            bucket.store(slot, relaxed());
            self.set_item(slot, item::PREV, 0);
        } else {
            while self.item(last, item::NEXT) != 0 {
                last = self.item(last, item::NEXT);
            }
            self.set_item(last, item::NEXT, slot);
            self.set_item(slot, item::PREV, last);
        }
        self.bump(header::N_ITEMS);
        true
    }

    /// What `slot` is to hold: `value`, or for a math op the number it
    /// makes, from `initial` for a new item. An existing value of another
    /// length is read as a number from its first 8 bytes, as uWSGI does.
    fn new_value<'v>(
        &self,
        slot: u64,
        value: &'v [u8],
        mode: Mode,
        initial: Option<i64>,
    ) -> Cow<'v, [u8]> {
        let Mode::Math(op) = mode else {
            return Cow::Borrowed(value);
        };
        let delta = i64::from_ne_bytes(value.try_into().unwrap_or([0; 8]));
        let num = match initial {
            Some(initial) => initial,
            None => i64::from_ne_bytes(self.value(slot, 8).try_into().unwrap_or([0; 8])),
        };
        Cow::Owned(op.apply(num, delta).to_ne_bytes().to_vec())
    }

    fn put_value(&self, slot: u64, bytes: &[u8]) {
        self.write_value(slot, bytes);
        self.set_item(slot, item::VALSIZE, bytes.len() as u64);
    }

    fn touch(&self, spec: &CacheSpec, slot: u64, expires: u64) {
        if spec.purge_lru {
            self.lru_remove(slot);
            self.lru_add(slot);
        }
        self.note_expiry(expires);
        self.set_item(slot, item::EXPIRES, expires);
    }

    fn note_expiry(&self, expires: u64) {
        let next = self.get(header::NEXT_SCAN);
        if expires != 0 && (next == 0 || next > expires) {
            self.put(header::NEXT_SCAN, expires);
        }
    }

    /// Removes `key`; false if it was not there.
    pub fn delete(&self, key: &[u8], now: u64) -> bool {
        match self.find(key, now) {
            Some(slot) => {
                self.remove(slot);
                true
            }
            None => false,
        }
    }

    /// Frees item `slot` (uWSGI's `uwsgi_cache_del2` by index).
    pub fn remove(&self, slot: u64) {
        if self.item(slot, item::KEYSIZE) == 0 {
            return;
        }
        if self.layout().bitmap {
            let len = usize::try_from(self.item(slot, item::VALSIZE)).unwrap_or(0);
            self.release_blocks(self.item(slot, item::FIRST_BLOCK), len);
        }
        let top = self.get(header::STACK_TOP) + 1;
        self.stack(top as usize).store(slot, relaxed());
        self.put(header::STACK_TOP, top);
        let (prev, next) = (self.item(slot, item::PREV), self.item(slot, item::NEXT));
        if prev != 0 {
            self.set_item(prev, item::NEXT, next);
        } else {
            let hash = self.item(slot, item::HASH) as u32;
            self.bucket(self.bucket_of(hash)).store(next, relaxed());
        }
        if next != 0 {
            self.set_item(next, item::PREV, prev);
        }
        if self.get(header::LRU_HEAD) == slot
            || self.item(slot, item::LRU_PREV) != 0
            || self.item(slot, item::LRU_NEXT) != 0
        {
            self.lru_remove(slot);
        }
        self.put(header::N_ITEMS, self.get(header::N_ITEMS).saturating_sub(1));
        for field in [
            item::KEYSIZE,
            item::VALSIZE,
            item::HASH,
            item::PREV,
            item::NEXT,
            item::EXPIRES,
            item::LRU_PREV,
            item::LRU_NEXT,
            item::FIRST_BLOCK,
        ] {
            self.set_item(slot, field, 0);
        }
    }

    /// Every item removed (`cache_clear`).
    pub fn clear(&self) {
        for slot in 1..self.layout().items as u64 {
            self.remove(slot);
        }
    }

    /// The keys, in uWSGI's order (bucket by bucket, each chain in order),
    /// expired items left out.
    pub fn keys(&self, now: u64) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        for b in 0..self.layout().hashsize {
            let mut slot = self.bucket(b).load(relaxed());
            let mut rounds = 0;
            while slot != 0 && rounds <= self.layout().items {
                let expires = self.item(slot, item::EXPIRES);
                if expires == 0 || expires > now {
                    keys.push(self.key(slot).to_vec());
                }
                slot = self.item(slot, item::NEXT);
                rounds += 1;
            }
        }
        keys
    }

    /// Removes the items expired at `now`, if one may be; returns how many.
    pub fn sweep(&self, now: u64) -> u64 {
        let next = self.get(header::NEXT_SCAN);
        if next == 0 || next > now {
            return 0;
        }
        self.put(header::NEXT_SCAN, 0);
        let mut freed = 0;
        for slot in 1..self.layout().items as u64 {
            let expires = self.item(slot, item::EXPIRES);
            if expires == 0 || self.item(slot, item::KEYSIZE) == 0 {
                continue;
            }
            if expires <= now {
                self.remove(slot);
                freed += 1;
            } else {
                self.note_expiry(expires);
            }
        }
        freed
    }

    /// The cache is full: uWSGI's line, then drop the least recently used
    /// item (`purge_lru`) or everything (`clear_on_full`).
    fn full(&self, spec: &CacheSpec) {
        if !spec.ignore_full {
            if spec.purge_lru {
                log_line!("LRU item will be purged from cache \"{}\"", spec.name);
            } else {
                log_line!("*** DANGER cache \"{}\" is FULL !!! ***", spec.name);
            }
        }
        self.bump(header::FULL);
        let head = self.get(header::LRU_HEAD);
        if spec.purge_lru && head != 0 {
            self.remove(head);
        }
        if spec.clear_on_full {
            self.clear();
        }
    }

    fn lru_remove(&self, slot: u64) {
        let (prev, next) = (
            self.item(slot, item::LRU_PREV),
            self.item(slot, item::LRU_NEXT),
        );
        if next != 0 {
            self.set_item(next, item::LRU_PREV, prev);
        } else {
            self.put(header::LRU_TAIL, prev);
        }
        if prev != 0 {
            self.set_item(prev, item::LRU_NEXT, next);
        } else {
            self.put(header::LRU_HEAD, next);
        }
        self.set_item(slot, item::LRU_PREV, 0);
        self.set_item(slot, item::LRU_NEXT, 0);
    }

    fn lru_add(&self, slot: u64) {
        let tail = self.get(header::LRU_TAIL);
        if tail != 0 {
            self.set_item(tail, item::LRU_NEXT, slot);
        } else {
            self.put(header::LRU_HEAD, slot);
        }
        self.set_item(slot, item::LRU_NEXT, 0);
        self.set_item(slot, item::LRU_PREV, tail);
        self.put(header::LRU_TAIL, slot);
    }
}

fn relaxed() -> std::sync::atomic::Ordering {
    std::sync::atomic::Ordering::Relaxed
}

#[cfg(test)]
mod tests;
