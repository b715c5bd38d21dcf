//! Opening files in a directory that is trusted for nothing: no symlink is
//! followed, nothing but a regular file is used, and no open blocks.

use std::fmt;
use std::fs::{self, DirBuilder, File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};

use rustix::fs::OFlags;
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::store::record::corrupt;

/// Mode of the session directory and of its lock directory.
pub(super) const DIR_MODE: u32 = 0o700;
/// Mode of record, temp and lock files.
pub(super) const FILE_MODE: u32 = 0o600;
/// The permission bits that let group or others change a directory.
const FOREIGN_WRITE: u32 = 0o022;

/// Why [`FileStore`](crate::FileStore) refuses a directory or a lock file
/// in it: someone other than this process's user could change what the
/// store reads, or make it write elsewhere. The `source` of
/// [`Error::UnsafeStoreDir`](crate::Error::UnsafeStoreDir).
///
/// ```
/// use sessions::store::UnsafeDir;
///
/// let problem = UnsafeDir::Writable { mode: 0o777 };
/// assert_eq!(problem.to_string(), "mode 777 lets group or others write to it");
/// assert_eq!(UnsafeDir::Symlink.to_string(), "it is a symbolic link");
/// let index = UnsafeDir::OwnerIndex.to_string();
/// assert_eq!(index, "it holds files that the store did not make");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsafeDir {
    /// The directory is a symbolic link: whoever can change the link picks
    /// where sessions go.
    Symlink,
    /// The directory belongs to another user, who could plant files in it.
    NotOwned {
        /// The directory's owner.
        owner: u32,
        /// This process's effective user id.
        user: u32,
    },
    /// Group or others may write to the directory: create, rename or
    /// remove files in it. The store does not narrow such a mode itself,
    /// since the damage may be done already.
    Writable {
        /// The directory's permission bits.
        mode: u32,
    },
    /// A lock file is not a regular file: a symbolic link (possibly
    /// dangling, which the store would otherwise create), a FIFO, a device.
    NotRegularFile,
    /// The owner index (the directory `.owners`) holds what the store
    /// did not make: an owner's directory that is a symbolic link, not a
    /// directory, another user's or writable by others, or a directory
    /// where a session's entry belongs. The error names `.owners`, not
    /// the owner's directory, whose name would tie it to a person.
    OwnerIndex,
}

impl fmt::Display for UnsafeDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Symlink => f.write_str("it is a symbolic link"),
            Self::NotOwned { owner, user } => {
                write!(
                    f,
                    "it belongs to uid {owner}, not to this process's uid {user}"
                )
            }
            Self::Writable { mode } => {
                write!(f, "mode {mode:o} lets group or others write to it")
            }
            Self::NotRegularFile => f.write_str("it is not a regular file"),
            Self::OwnerIndex => f.write_str("it holds files that the store did not make"),
        }
    }
}

impl std::error::Error for UnsafeDir {}

/// Opens the directory `path`, creating it (mode 0700, parents included)
/// if missing. Refuses a symlink, a directory of another user, and one that
/// group or others may write to; narrows any other mode to 0700.
///
/// `path` is normalised first: with a trailing slash the kernel would
/// resolve a symlink before `O_NOFOLLOW` could see it.
pub(super) fn open_dir(path: &Path) -> Result<(PathBuf, File)> {
    let path: PathBuf = path.components().collect();
    let refuse = |problem| Error::UnsafeStoreDir {
        path: path.clone(),
        problem,
    };
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(refuse(UnsafeDir::Symlink)),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(&path)?;
        }
        Err(error) => return Err(error.into()),
    }
    // Checked again on the open descriptor, which a swap of the path after
    // the look above cannot change.
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::DIRECTORY | OFlags::NOFOLLOW))
        .open(&path)
        .map_err(|error| match Errno::from_io_error(&error) {
            Some(Errno::LOOP) => refuse(UnsafeDir::Symlink),
            _ => error.into(),
        })?;
    let meta = dir.metadata()?;
    if let Some(problem) = problem(&meta) {
        return Err(refuse(problem));
    }
    if meta.mode() & 0o7777 != DIR_MODE {
        dir.set_permissions(Permissions::from_mode(DIR_MODE))?;
    }
    Ok((path, dir))
}

/// What makes a directory with metadata `meta` unsafe, if anything.
pub(super) fn problem(meta: &Metadata) -> Option<UnsafeDir> {
    let user = rustix::process::geteuid().as_raw();
    let mode = meta.mode() & 0o7777;
    if meta.uid() != user {
        Some(UnsafeDir::NotOwned {
            owner: meta.uid(),
            user,
        })
    } else if mode & FOREIGN_WRITE != 0 {
        Some(UnsafeDir::Writable { mode })
    } else {
        None
    }
}

/// Opens the record or temp file at `path` for reading, if there is one.
/// A symlink, FIFO, socket or device there is [corrupt]: refused without
/// being followed or blocked on.
pub(super) fn open_record(path: &Path) -> Result<Option<File>> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::NONBLOCK))
        .open(path);
    match opened {
        Ok(file) => Ok(Some(regular(file)?.ok_or_else(not_regular)?)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) if is_not_regular(&error) => Err(not_regular()),
        Err(error) => Err(error.into()),
    }
}

/// Opens the lock file at `path`, creating it (mode 0600) if missing. A
/// symlink there, even a dangling one, is refused and its target never
/// created; so is any other file that is not a regular file.
pub(super) fn open_lock_file(path: &Path) -> Result<File> {
    let refuse = || Error::UnsafeStoreDir {
        path: path.to_owned(),
        problem: UnsafeDir::NotRegularFile,
    };
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::NONBLOCK))
        .open(path);
    match opened {
        Ok(file) => regular(file)?.ok_or_else(refuse),
        Err(error) if is_not_regular(&error) => Err(refuse()),
        Err(error) => Err(error.into()),
    }
}

/// Creates the file `path` (mode 0600), which must not exist: not even as
/// a symlink, which `O_EXCL` and `O_NOFOLLOW` both refuse to follow.
pub(super) fn create_new(path: &Path) -> Result<File> {
    Ok(OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(flags(OFlags::NOFOLLOW))
        .open(path)?)
}

/// Removes the file at `path`, whatever it is but a directory (an unlink
/// follows nothing); whether there was one.
pub(super) fn remove_if_exists(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// `file` if it is a regular file, in blocking mode again.
///
/// `O_NONBLOCK` is what made opening it safe (a FIFO opened for reading
/// would wait for a writer); it is cleared so that nothing relies on the
/// kernel ignoring it for regular files.
fn regular(file: File) -> Result<Option<File>> {
    if !file.metadata()?.file_type().is_file() {
        return Ok(None);
    }
    let flags = rustix::fs::fcntl_getfl(&file).map_err(io::Error::from)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK).map_err(io::Error::from)?;
    Ok(Some(file))
}

/// Whether opening failed on what is not a regular file: a symlink under
/// `O_NOFOLLOW` (`ELOOP`), a socket or a FIFO without a reader (`ENXIO`).
fn is_not_regular(error: &io::Error) -> bool {
    matches!(Errno::from_io_error(error), Some(Errno::LOOP | Errno::NXIO))
}

fn not_regular() -> Error {
    corrupt("not a regular file")
}

/// `flags` as `OpenOptionsExt::custom_flags` takes them.
fn flags(flags: OFlags) -> i32 {
    flags.bits().cast_signed()
}
