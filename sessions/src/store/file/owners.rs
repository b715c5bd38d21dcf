//! The owner index of a session directory: one empty file per owned
//! session, in one directory per owner. Everything here blocks.
//!
//! ```text
//! dir/.owners/                      0700, checked like `.locks` when the store opens
//! dir/.owners/<owner>/              0700, named by `OwnerId::to_hex` (64 hex digits)
//! dir/.owners/<owner>/<session id>  0600, empty: an entry
//! ```
//!
//! An entry only says where to look. The record's own owner field decides:
//! an entry whose record is gone or names another owner is stale, is never
//! believed, and is removed where it is found. `Dir` orders its steps so
//! that a crash leaves at worst such a stale entry, never a live owned
//! record without one.
//!
//! Everything is reached from the descriptor of `.owners`, opened and
//! checked once, with `*at` calls, so a path is never resolved twice: an
//! owner directory is opened with `O_DIRECTORY | O_NOFOLLOW` (a symlink or
//! anything but a directory there is refused), and entries are created
//! with `O_EXCL | O_NOFOLLOW`, looked at without following and unlinked,
//! never opened for reading. No symlink is followed and nothing is created
//! outside the store, whatever is planted here.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::id::SessionId;

use super::safe::{DIR_MODE, FILE_MODE, UnsafeDir, open_dir, problem};

/// Where the index lives, inside the session directory. Starts with a dot,
/// so that it is neither a record's name nor a temp file's.
pub(super) const INDEX_DIR: &str = ".owners";
/// How many times [`Index::add`] makes an owner directory again when the
/// removal of its last entry (another id's, another process's) took it
/// away between the `mkdir` and the entry's creation.
const ATTEMPTS: usize = 16;
/// Length of an owner directory's name: two hex digits per digest byte.
const OWNER_NAME_LEN: usize = 64;

/// The `.owners` directory of a session directory, open.
pub(super) struct Index {
    path: PathBuf,
    handle: File,
}

/// What one owner's directory holds.
#[derive(Debug, Default)]
pub(super) struct Listing {
    /// The ids whose entry is a regular file.
    pub(super) ids: Vec<SessionId>,
    /// How many names were ids under something else than a regular file
    /// (a symlink, a directory, a FIFO): never used, left for an operator.
    pub(super) invalid: usize,
}

impl Index {
    /// Opens `dir/.owners`, creating it if missing; refuses it as
    /// [`open_dir`] refuses any directory of the store.
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let (path, handle) = open_dir(&dir.join(INDEX_DIR))?;
        Ok(Self { path, handle })
    }

    /// Makes sure `owner`'s directory holds the entry `name`, durably: the
    /// entry and its directory are synced before this returns, so that a
    /// record written after it never outlives its entry in a crash.
    ///
    /// `present` says that the live record already had this owner, so the
    /// entry was made durable by the write that gave it the owner: then one
    /// `fstatat` that finds it is all this costs. That look goes through
    /// `owner` even if it is a symlink; it only reads metadata, and
    /// [`list`](Self::list) refuses such a directory, so trusting it fails
    /// closed. When the entry is missing, it is made as for a new owner.
    pub(super) fn add(&self, owner: &str, name: &str, present: bool) -> Result<()> {
        if present && self.has(owner, name) {
            return Ok(());
        }
        for _ in 0..ATTEMPTS {
            let Some(dir) = self.make_owner_dir(owner)? else {
                continue;
            };
            if self.create_entry(&dir, name)? {
                // Both synced even when they were there already: their
                // creator may have died between creating and syncing them.
                dir.sync_all()?;
                self.handle.sync_all()?;
                return Ok(());
            }
        }
        Err(io::Error::other("an owner directory kept being removed under a new entry").into())
    }

    /// Removes the entry `name` of `owner`, whatever file it is (an unlink
    /// follows nothing), then `owner`'s directory if that left it empty;
    /// whether there was an entry. Not synced: an entry that comes back
    /// after a crash is stale, and dropped when found.
    pub(super) fn remove(&self, owner: &str, name: &str) -> Result<bool> {
        let Some(dir) = self.open_owner_dir(owner)? else {
            return Ok(false);
        };
        let removed = match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) => true,
            Err(Errno::NOENT) => false,
            // A directory under an entry's name: not ours to remove.
            Err(Errno::ISDIR | Errno::PERM) => return Err(self.refuse()),
            Err(errno) => return Err(io_error(errno)),
        };
        self.remove_if_empty(owner)?;
        Ok(removed)
    }

    /// The entries of `owner`; none when the owner has no directory.
    /// Refuses an owner directory that is a symlink or no directory.
    pub(super) fn list(&self, owner: &str) -> Result<Listing> {
        let mut listing = Listing::default();
        let Some(dir) = self.open_owner_dir(owner)? else {
            return Ok(listing);
        };
        for entry in rustix::fs::Dir::read_from(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let Some(name) = entry.file_name().to_str().ok() else {
                continue;
            };
            // Not an id: `.`, `..` or a stranger's file, none of our business.
            let Ok(id) = name.parse::<SessionId>() else {
                continue;
            };
            let regular = match entry.file_type() {
                FileType::RegularFile => true,
                // Some file systems do not say; ask without following.
                FileType::Unknown => is_regular_at(&dir, name)?,
                _ => false,
            };
            if regular {
                listing.ids.push(id);
            } else {
                listing.invalid += 1;
            }
        }
        Ok(listing)
    }

    /// The names of the owner directories, and how many names of owners
    /// are something else than a directory (left for an operator). Names
    /// that are not an owner's are ignored.
    pub(super) fn owners(&self) -> Result<(Vec<String>, usize)> {
        let (mut owners, mut invalid) = (Vec::new(), 0);
        for entry in rustix::fs::Dir::read_from(&self.handle).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let Some(name) = entry.file_name().to_str().ok().filter(|n| is_owner_name(n)) else {
                continue;
            };
            match entry.file_type() {
                // Unknown is checked when the directory is opened.
                FileType::Directory | FileType::Unknown => owners.push(name.to_owned()),
                _ => invalid += 1,
            }
        }
        Ok((owners, invalid))
    }

    /// Removes `owner`'s directory if it is empty; whether it did. An
    /// `rmdir` follows nothing and removes only an empty directory, so
    /// this is safe against any other writer: one that is adding an entry
    /// makes the directory again ([`add`](Self::add)).
    pub(super) fn remove_if_empty(&self, owner: &str) -> Result<bool> {
        match rustix::fs::unlinkat(&self.handle, owner, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOTEMPTY | Errno::EXIST | Errno::NOENT | Errno::NOTDIR) => Ok(false),
            Err(errno) => Err(io_error(errno)),
        }
    }

    /// Whether `owner`'s directory has a regular file `name`. Any failure
    /// is a no: the caller then makes the entry, and meets the failure
    /// there if it is real.
    fn has(&self, owner: &str, name: &str) -> bool {
        rustix::fs::statat(
            &self.handle,
            format!("{owner}/{name}"),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile)
    }

    /// Makes `owner`'s directory (mode 0700) if missing and opens it;
    /// `None` if it was removed before it could be opened.
    fn make_owner_dir(&self, owner: &str) -> Result<Option<File>> {
        match rustix::fs::mkdirat(&self.handle, owner, Mode::from_raw_mode(DIR_MODE)) {
            Ok(()) | Err(Errno::EXIST) => self.open_owner_dir(owner),
            Err(errno) => Err(io_error(errno)),
        }
    }

    /// Opens `owner`'s directory without following a symlink; `None` if
    /// there is none. A symlink, anything but a directory, or a directory
    /// another user owns or others may write to is refused.
    fn open_owner_dir(&self, owner: &str) -> Result<Option<File>> {
        let flags = OFlags::RDONLY
            | OFlags::DIRECTORY
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        match rustix::fs::openat(&self.handle, owner, flags, Mode::empty()) {
            Ok(fd) => {
                let dir = File::from(fd);
                match problem(&dir.metadata()?) {
                    Some(_) => Err(self.refuse()),
                    None => Ok(Some(dir)),
                }
            }
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => Err(self.refuse()),
            Err(errno) => Err(io_error(errno)),
        }
    }

    /// Creates the empty entry `name` (mode 0600) in the owner directory
    /// `dir`; an existing regular file will do. `false` when `dir` was
    /// removed since it was opened (the kernel refuses to create in it).
    fn create_entry(&self, dir: &File, name: &str) -> Result<bool> {
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        match rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(FILE_MODE)) {
            Ok(_) => Ok(true),
            // `O_EXCL` refuses a symlink too, dangling or not.
            Err(Errno::EXIST) if is_regular_at(dir, name)? => Ok(true),
            Err(Errno::EXIST) => Err(self.refuse()),
            Err(Errno::NOENT) => Ok(false),
            Err(errno) => Err(io_error(errno)),
        }
    }

    /// The error for something in the index that the store did not make.
    /// It names `.owners`, not the owner's directory, whose name would tie
    /// the error to a person (see [`OwnerId`](crate::store::OwnerId)'s
    /// `Debug`).
    fn refuse(&self) -> Error {
        Error::UnsafeStoreDir {
            path: self.path.clone(),
            problem: UnsafeDir::OwnerIndex,
        }
    }
}

/// Whether `dir` has a regular file `name`, looked at without following.
fn is_regular_at(dir: &File, name: &str) -> Result<bool> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile),
        Err(Errno::NOENT) => Ok(false),
        Err(errno) => Err(io_error(errno)),
    }
}

/// Whether `name` is an owner directory's: [`OWNER_NAME_LEN`] lowercase
/// hex digits, as [`OwnerId::to_hex`](crate::store::OwnerId::to_hex)
/// writes them.
fn is_owner_name(name: &str) -> bool {
    name.len() == OWNER_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn io_error(errno: Errno) -> Error {
    Error::Io(io::Error::from(errno))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OwnerId;

    #[test]
    fn owner_names_are_the_hex_of_owner_ids_only() {
        let hex = OwnerId::new("user", "ada").to_hex();
        assert!(is_owner_name(&hex));
        assert!(!is_owner_name(&hex.to_uppercase()));
        assert!(!is_owner_name(&hex[1..]));
        assert!(!is_owner_name(&format!("{hex}0")));
        assert!(!is_owner_name(&format!("{}g", &hex[1..])));
        assert!(!is_owner_name(INDEX_DIR) && !is_owner_name(".."));
    }
}
