//! One sharedarea: its bytes, and its header (lock and counters). Every
//! operation takes the area's lock, unless the calling thread holds it
//! already through `sharedarea_rlock`/`wlock`: uWSGI's own operations do
//! not wait on a lock their thread holds either (the rwlock refuses the
//! second lock and they go on).

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::shared_lock;

/// An area's header, 64 bytes in the mapping's first page(s).
#[repr(C)]
pub struct Header {
    lock: AtomicU32,
    _pad: u32,
    /// Writes so far (uWSGI's `updates`).
    updates: AtomicU64,
    /// Reads so far (uWSGI's `hits`).
    hits: AtomicU64,
    _rest: [u64; 5],
}

/// One area of the shared mapping.
pub struct Area {
    header: NonNull<Header>,
    data: NonNull<u8>,
    len: usize,
}

// SAFETY: the bytes are shared memory written under the area's lock (or,
// through a memoryview, by the app's own discipline, as in uWSGI); the
// header's fields are atomics.
unsafe impl Send for Area {}
// SAFETY: as above.
unsafe impl Sync for Area {}

/// The area's lock for one operation; released on drop if it took it.
struct Held<'a> {
    word: &'a AtomicU32,
    took: bool,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.took {
            let _ = shared_lock::unlock(self.word);
        }
    }
}

impl Area {
    /// # Safety
    /// `header` and `data .. data + len` must stay mapped, shared and
    /// writable as long as the area lives.
    pub(super) unsafe fn new(header: NonNull<Header>, data: NonNull<u8>, len: usize) -> Area {
        Area { header, data, len }
    }

    fn header(&self) -> &Header {
        // SAFETY: `new`'s contract; the fields are atomics or padding.
        unsafe { self.header.as_ref() }
    }

    fn hold(&self) -> Held<'_> {
        let word = &self.header().lock;
        let took = !shared_lock::held_by_me(word);
        if took {
            shared_lock::lock(word);
        }
        Held { word, took }
    }

    /// Its size in bytes (whole pages).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty (never: an area has at least one page).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `len` bytes from `pos` (the rest of the area for 0), or None out of
    /// bounds, as uWSGI's `uwsgi_sharedarea_read`.
    pub fn read(&self, pos: u64, len: u64) -> Option<Vec<u8>> {
        let (start, len) = self.span(pos, len)?;
        let _held = self.hold();
        // SAFETY: `span` checked the range lies inside the area.
        let bytes = unsafe { std::slice::from_raw_parts(self.data.as_ptr().add(start), len) };
        let out = bytes.to_vec();
        self.header().hits.fetch_add(1, Ordering::Relaxed);
        Some(out)
    }

    /// Writes `bytes` at `pos`; false out of bounds.
    pub fn write(&self, pos: u64, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return self.span(pos, 1).is_some();
        }
        let Some((start, len)) = self.span(pos, bytes.len() as u64) else {
            return false;
        };
        let _held = self.hold();
        // SAFETY: as in `read`; `bytes` is not inside the shared mapping's
        // writable view held by anyone else under this lock.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.data.as_ptr().add(start), len);
        }
        self.header().updates.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// The `N` bytes at `pos`.
    pub fn read_array<const N: usize>(&self, pos: u64) -> Option<[u8; N]> {
        self.read(pos, N as u64)?.try_into().ok()
    }

    /// Adds `delta` to the native-endian integer of `N` bytes at `pos`,
    /// wrapping, under one lock (uWSGI's `inc32`/`dec64`…).
    pub fn add<const N: usize>(&self, pos: u64, delta: i64) -> bool {
        let Some((start, _)) = self.span(pos, N as u64) else {
            return false;
        };
        let _held = self.hold();
        // SAFETY: as in `read`.
        let cell = unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr().add(start), N) };
        match N {
            4 => {
                let mut word = [0u8; 4];
                word.copy_from_slice(cell);
                let sum = i32::from_ne_bytes(word).wrapping_add(delta as i32);
                cell.copy_from_slice(&sum.to_ne_bytes());
            }
            8 => {
                let mut word = [0u8; 8];
                word.copy_from_slice(cell);
                let sum = i64::from_ne_bytes(word).wrapping_add(delta);
                cell.copy_from_slice(&sum.to_ne_bytes());
            }
            _ => return false,
        }
        self.header().updates.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// `sharedarea_rlock`/`wlock`: the lock, held until [`Area::unlock`].
    pub fn lock(&self) {
        shared_lock::lock(&self.header().lock);
    }

    pub fn unlock(&self) {
        let _ = shared_lock::unlock(&self.header().lock);
    }

    /// The bytes themselves, for a memoryview.
    pub fn memory(&self) -> (NonNull<u8>, usize) {
        (self.data, self.len)
    }

    /// Reads and writes so far.
    pub fn counters(&self) -> (u64, u64) {
        let h = self.header();
        (
            h.hits.load(Ordering::Relaxed),
            h.updates.load(Ordering::Relaxed),
        )
    }

    /// The byte range `[pos, pos + len)` (to the end for 0), if inside.
    fn span(&self, pos: u64, len: u64) -> Option<(usize, usize)> {
        let start = usize::try_from(pos).ok().filter(|p| *p < self.len)?;
        let len = match usize::try_from(len).ok()? {
            0 => self.len - start,
            n => n,
        };
        (start.checked_add(len)? <= self.len).then_some((start, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An area of `len` bytes over heap memory.
    fn area(len: usize) -> (Area, Box<Header>, Vec<u8>) {
        let mut header = Box::new(Header {
            lock: AtomicU32::new(0),
            _pad: 0,
            updates: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            _rest: [0; 5],
        });
        let mut data = vec![0u8; len];
        // SAFETY: both live as long as the returned area in each test.
        let area = unsafe {
            Area::new(
                NonNull::from(header.as_mut()),
                NonNull::new(data.as_mut_ptr()).expect("not null"),
                len,
            )
        };
        (area, header, data)
    }

    #[test]
    fn reads_and_writes_stay_inside_the_area() {
        let (a, _h, _d) = area(4096);
        assert!(a.write(10, b"hello"));
        assert_eq!(a.read(10, 5), Some(b"hello".to_vec()));
        assert_eq!(a.read(4090, 0).map(|v| v.len()), Some(6));
        assert!(!a.write(4094, b"abc"));
        assert_eq!(a.read(4094, 3), None);
        assert_eq!(a.read(4096, 1), None);
        assert_eq!(a.read(u64::MAX, 1), None);
        assert_eq!(a.counters(), (2, 1), "failed calls count nothing");
    }

    #[test]
    fn sums_wrap_and_check_their_whole_width() {
        let (a, _h, _d) = area(4096);
        assert!(a.add::<8>(400, i64::MAX) && a.add::<8>(400, 2));
        assert_eq!(
            a.read_array::<8>(400).map(i64::from_ne_bytes),
            Some(i64::MIN + 1)
        );
        assert!(a.add::<4>(500, -3));
        assert_eq!(a.read_array::<4>(500).map(i32::from_ne_bytes), Some(-3));
        assert!(!a.add::<8>(4092, 1), "8 bytes from 4092 leave the area");
        assert!(a.add::<4>(4092, 1));
    }

    #[test]
    fn an_operation_inside_a_held_lock_does_not_wait_for_it() {
        let (a, _h, _d) = area(4096);
        a.lock();
        assert!(a.write(0, b"x"));
        assert_eq!(a.read(0, 1), Some(b"x".to_vec()));
        a.unlock();
        assert!(!shared_lock::is_locked(&a.header().lock));
    }
}
