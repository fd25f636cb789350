//! Fork safety: after `fork()`, a child holds none of its parent's
//! connections, threads or locks, and each starts afresh when first used
//! (docs/fork.md). libspread lives in php-fpm workers, PHP queue
//! workers that `pcntl_fork`, Python `multiprocessing` and celery pools.
//!
//! Two tools, chosen for what a fork copies:
//!
//! - [`PerProcess`]: state made once per process (the transport a client
//!   caches, the pool of HTTP agents, the delivery threads' registry, the
//!   in-process order turns). A process id check, not `pthread_atfork`: the
//!   child finds a value its parent made and makes its own, leaving the
//!   parent's untouched (never used, closed nor dropped there: dropping a
//!   TLS connection could send close_notify into the parent's session).
//!   Each process gets a new value rather than a reset one, so a mutex that
//!   a thread of the parent held at the fork (that thread does not exist in
//!   the child) is never waited for.
//! - [`HeldLock`]: the spool's `flock` locks. They belong to the open file,
//!   which a fork shares, so a child that never calls libspread would keep
//!   them for as long as it lives. A process id check cannot help (the child
//!   may never call us), so a `pthread_atfork` child handler puts an
//!   O_CLOEXEC `/dev/null` over every locked descriptor in the child (dup3:
//!   async-signal-safe, and the number stays valid for the owner's drop),
//!   and dropping a lock unlocks it explicitly (LOCK_UN releases it for
//!   every descriptor of the open file), so even a child forked between the
//!   lock and its registration cannot keep it past the parent's unlock.

use std::fs::File;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::{Once, OnceLock};

/// A value made at most once per process. A child of `fork()` that finds
/// its parent's makes its own and leaks the parent's.
pub(crate) struct PerProcess<T> {
    /// A `Box<(pid, value)>`, or null. Replaced only when the pid is another
    /// process's, and what it replaces is never freed here: a reference
    /// handed out before the fork stays valid.
    ptr: AtomicPtr<(u32, T)>,
    /// Send and Sync as `OnceLock<T>` is.
    _value: PhantomData<OnceLock<T>>,
}

impl<T> PerProcess<T> {
    pub(crate) const fn new() -> Self {
        PerProcess { ptr: AtomicPtr::new(std::ptr::null_mut()), _value: PhantomData }
    }

    /// This process's value, if it was made.
    pub(crate) fn get(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-null pointer comes from Box::into_raw in get_or_init and
        // is freed only by Drop, which has `&mut self`, so it outlives `&self`.
        let (pid, value) = unsafe { p.as_ref()? };
        (*pid == std::process::id()).then_some(value)
    }

    /// This process's value, made by `make` if this process has none yet.
    /// Two threads may both make one; the first stored wins, the other is dropped.
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        if let Some(value) = self.get() {
            return value;
        }
        let pid = std::process::id();
        let fresh = Box::into_raw(Box::new((pid, make())));
        let mut current = self.ptr.load(Ordering::Acquire);
        loop {
            // SAFETY: as in `get`.
            if let Some((owner, value)) = unsafe { current.as_ref() } {
                if *owner == pid {
                    // Another thread of this process stored one first.
                    // SAFETY: `fresh` came from Box::into_raw above and was never shared.
                    drop(unsafe { Box::from_raw(fresh) });
                    return value;
                }
            }
            match self.ptr.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
                // What was there (null, or the parent's) is left as it is: leaked on purpose.
                // SAFETY: `fresh` is stored now and lives until Drop.
                Ok(_) => return unsafe { &(*fresh).1 },
                Err(now) => current = now,
            }
        }
    }
}

impl<T> Default for PerProcess<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Clone for PerProcess<T> {
    /// A copy holds this process's value (if any), never another process's.
    fn clone(&self) -> Self {
        let copy = PerProcess::new();
        if let Some(value) = self.get() {
            copy.get_or_init(|| value.clone());
        }
        copy
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if p.is_null() {
            return;
        }
        // SAFETY: from Box::into_raw, and we have `&mut self`: nobody else holds it.
        let boxed = unsafe { Box::from_raw(p) };
        if boxed.0 != std::process::id() {
            // The parent's (its sockets, its threads' state): not ours to close.
            std::mem::forget(boxed);
        }
    }
}

/// Locked descriptors the atfork child handler lets go of. Fixed slots of
/// atomics: the handler may neither allocate nor take a lock that the
/// forking thread's siblings could have held. More locks held at once than
/// slots (far more than a process uses: one per send in flight, plus a
/// flush) still unlock on drop, only not at a fork.
const SLOTS: usize = 1024;
static HELD: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];
/// An O_CLOEXEC descriptor put over each held one in a child.
static PLACEHOLDER: AtomicI32 = AtomicI32::new(-1);
static INSTALL: Once = Once::new();

/// Runs in the child of every fork(), in the thread that forked, before
/// fork returns there: only async-signal-safe calls and atomics.
extern "C" fn in_child() {
    let placeholder = PLACEHOLDER.load(Ordering::Relaxed);
    if placeholder < 0 {
        return;
    }
    for slot in &HELD {
        let fd = slot.swap(-1, Ordering::Relaxed);
        if fd >= 0 {
            // The child's descriptor now points at /dev/null: the lock's open
            // file is the parent's alone. O_CLOEXEC, as the lock files were.
            // SAFETY: dup3 on two descriptors of this process; no memory involved.
            unsafe { libc::dup3(placeholder, fd, libc::O_CLOEXEC) };
        }
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a NUL-terminated path; the descriptor is kept for the process's life.
        let mut fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            // No /dev/null (a bare chroot): a pipe's end serves as well.
            let mut ends = [-1; 2];
            // SAFETY: `ends` has room for the two descriptors.
            if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } == 0 {
                // SAFETY: our own descriptor, not used elsewhere.
                unsafe { libc::close(ends[1]) };
                fd = ends[0];
            }
        }
        PLACEHOLDER.store(fd, Ordering::Relaxed);
        // SAFETY: registers a handler that only uses atomics and dup3.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

/// A file locked with `flock` that a forked child cannot keep locked (see
/// the module's note): dropping it unlocks, then closes.
pub(crate) struct HeldLock {
    file: File,
    slot: Option<usize>,
}

impl HeldLock {
    /// Takes ownership of an already locked file.
    pub(crate) fn new(file: File) -> HeldLock {
        install();
        let fd = file.as_raw_fd();
        let slot = HELD.iter().position(|s| s.compare_exchange(-1, fd, Ordering::AcqRel, Ordering::Relaxed).is_ok());
        HeldLock { file, slot }
    }

    #[allow(dead_code)] // for the spool's rewrite, which reads through its locks
    pub(crate) fn file(&self) -> &File {
        &self.file
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        // First the unlock: it holds for every descriptor of the open file,
        // a child's included. Then the slot, while the number is still ours
        // (a child forked now gets /dev/null over a lock already let go).
        let _ = self.file.unlock();
        if let Some(slot) = self.slot {
            // In a child the handler emptied the slot already: then nothing to do.
            let _ = HELD[slot].compare_exchange(self.file.as_raw_fd(), -1, Ordering::AcqRel, Ordering::Relaxed);
        }
        // The file closes after this.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    #[test]
    fn per_process_makes_once_and_clones_this_process_value() {
        let v: PerProcess<String> = PerProcess::new();
        assert!(v.get().is_none());
        assert_eq!(v.get_or_init(|| "a".into()), "a");
        assert_eq!(v.get_or_init(|| "b".into()), "a");
        assert_eq!(v.clone().get().map(String::as_str), Some("a"));
    }

    #[test]
    fn a_dropped_lock_is_free_even_through_a_duplicate() {
        let path = std::env::temp_dir().join(format!("spread-heldlock-{}", std::process::id()));
        let open = || OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
        let first = open();
        first.try_lock().unwrap();
        let held = HeldLock::new(first);
        let fd = held.file().as_raw_fd();
        assert!(HELD.iter().any(|s| s.load(Ordering::Relaxed) == fd));
        assert!(open().try_lock().is_err(), "held");
        // A duplicate of the descriptor (what a child forked before the registration has).
        let dup = held.file().try_clone().unwrap();
        drop(held);
        assert!(open().try_lock().is_ok(), "the unlock holds for the duplicate too");
        drop(dup);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_child_finds_dev_null_where_the_lock_was() {
        let path = std::env::temp_dir().join(format!("spread-heldlock-fork-{}", std::process::id()));
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
        file.try_lock().unwrap();
        let held = HeldLock::new(file);
        let fd = held.file().as_raw_fd();
        // SAFETY: the child only calls fstat and _exit (async-signal-safe).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let ok = unsafe { libc::fstat(fd, &mut st) } == 0
                && st.st_mode & libc::S_IFMT == libc::S_IFCHR
                && st.st_rdev == libc::makedev(1, 3)
                && unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC != 0;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child still had the locked file ({status})");
        drop(held);
        let _ = std::fs::remove_file(&path);
    }
}
