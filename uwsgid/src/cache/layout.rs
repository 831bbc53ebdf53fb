//! Where each part of one cache sits in the shared mapping. Every part is
//! a run of 64-bit words (the metadata, read and written as atomics)
//! except the value blocks:
//!
//! ```text
//! lock word (u32) + header words | hash buckets | free-item stack | items | block bitmap | value blocks
//! ```
//!
//! An item is [`ITEM_WORDS`] words of metadata followed by its key, padded
//! to a word. Without `bitmap`, item `i`'s value is block `i`; with it, a
//! value takes consecutive blocks from its first one, and the bitmap (one
//! bit per block, set when used) says which are free. Item 0 is never
//! used, as in uWSGI, so a cache of `items = N` holds N − 1 items.

use crate::config::CacheSpec;

/// The header: the lock word's 8 bytes, then the counters.
pub const HEADER_BYTES: usize = 128;

/// Header words (after the lock's 8 bytes).
pub mod header {
    pub const N_ITEMS: usize = 0;
    /// Top of the free-item stack (0: no free item).
    pub const STACK_TOP: usize = 1;
    pub const LRU_HEAD: usize = 2;
    pub const LRU_TAIL: usize = 3;
    pub const HITS: usize = 4;
    pub const MISSES: usize = 5;
    /// Times a set found the cache full.
    pub const FULL: usize = 6;
    /// The earliest expiry (s since the epoch) the sweeper should look at.
    pub const NEXT_SCAN: usize = 7;
    /// Where the next search for free blocks starts (`bitmap`).
    pub const BITMAP_POS: usize = 8;
}

/// Item words.
pub mod item {
    pub const HASH: usize = 0;
    /// 0: a free item.
    pub const KEYSIZE: usize = 1;
    pub const VALSIZE: usize = 2;
    /// s since the epoch; 0: never.
    pub const EXPIRES: usize = 3;
    pub const HITS: usize = 4;
    /// The hash chain (item numbers; 0: none).
    pub const PREV: usize = 5;
    pub const NEXT: usize = 6;
    /// The least-recently-used list (`purge_lru`).
    pub const LRU_PREV: usize = 7;
    pub const LRU_NEXT: usize = 8;
    /// The value's first block.
    pub const FIRST_BLOCK: usize = 9;
}

pub const ITEM_WORDS: usize = 10;

const PAGE: usize = 4096;

/// The offsets of one cache, from its base (page-aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub items: usize,
    pub keysize: usize,
    pub blocksize: usize,
    pub blocks: usize,
    /// Whether values take consecutive blocks found in the bitmap.
    pub bitmap: bool,
    /// The longest value: a block, or every block with the bitmap.
    pub max_value: usize,
    pub hashsize: usize,
    /// Words per item, key included.
    pub item_words: usize,
    pub hash_at: usize,
    pub stack_at: usize,
    pub items_at: usize,
    /// The bitmap: one u64 word per 64 blocks (none without `bitmap`).
    pub bitmap_at: usize,
    pub bitmap_words: usize,
    pub data_at: usize,
    /// The whole cache, rounded up to a page.
    pub size: usize,
}

impl Layout {
    /// The layout of `spec`; None if it does not fit the address space
    /// (the option parser already refused anything near that).
    pub fn of(spec: &CacheSpec) -> Option<Layout> {
        let items = usize::try_from(spec.items).ok()?;
        let keysize = usize::try_from(spec.keysize).ok()?;
        let blocksize = usize::try_from(spec.blocksize).ok()?;
        let hashsize = usize::try_from(spec.hashsize).ok()?;
        let blocks = usize::try_from(spec.blocks.max(spec.items)).ok()?;
        let item_words = ITEM_WORDS + keysize.div_ceil(8);
        let hash_at = HEADER_BYTES;
        let stack_at = hash_at.checked_add(hashsize.checked_mul(8)?)?;
        let items_at = stack_at.checked_add(items.checked_mul(8)?)?;
        let bitmap_at = items_at.checked_add(items.checked_mul(item_words)?.checked_mul(8)?)?;
        let bitmap_words = if spec.bitmap { blocks.div_ceil(64) } else { 0 };
        let data_at = bitmap_at.checked_add(bitmap_words * 8)?;
        let data = blocks.checked_mul(blocksize)?;
        let end = data_at.checked_add(data)?;
        Some(Layout {
            items,
            keysize,
            blocksize,
            blocks,
            bitmap: spec.bitmap,
            max_value: if spec.bitmap { data } else { blocksize },
            hashsize,
            item_words,
            hash_at,
            stack_at,
            items_at,
            bitmap_at,
            bitmap_words,
            data_at,
            size: end.checked_next_multiple_of(PAGE)?,
        })
    }

    /// The bytes of all `specs`, one after the other.
    pub fn total(specs: &[CacheSpec]) -> Option<usize> {
        specs
            .iter()
            .try_fold(0usize, |sum, s| sum.checked_add(Layout::of(s)?.size))
    }
}
