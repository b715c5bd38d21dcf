#![no_main]
//! `cbor_precheck`: the properties are in `sessions::__fuzz::cbor_precheck`,
//! shared with the corpus replay of `cargo test -p sessions`. This binary
//! adds what the library cannot measure without `unsafe` (which it forbids):
//! the size of every allocation, through a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, remembering the largest block asked for.
struct Counting;

/// The largest block asked for since the last [`take_largest`].
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the caller's own arguments;
// the only addition is an atomic store.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The largest allocation since the previous call; resets the count.
fn take_largest() -> Option<usize> {
    Some(LARGEST.swap(0, Ordering::Relaxed))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessions::__fuzz::cbor_precheck(data, take_largest));
