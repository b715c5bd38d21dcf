//! Temp files: where every record is written before it is renamed into
//! place, and the sweep of those that crashed writers left behind.

use std::fs::{self, File, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Result;
use crate::store::record::is_corrupt;

use super::safe::{create_new, open_record, remove_if_exists};

/// Temp files are `.<pid>-<counter>-<random>.tmp`; no record name starts
/// with a dot.
const TEMP_SUFFIX: &str = ".tmp";
/// An empty, unlocked temp file younger than this may belong to a writer
/// that created it and has not locked it yet.
const TEMP_GRACE: Duration = Duration::from_secs(10);

/// A temp file being written. Its writer holds a `flock` on it until it is
/// renamed or removed, which tells sweepers that it is not abandoned.
/// Dropped without [`persist`](Self::persist), it is removed.
pub(super) struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    /// Creates a uniquely named temp file in `dir`, locks it, writes
    /// `bytes` and syncs them.
    pub(super) fn write(dir: &Path, bytes: &[u8]) -> Result<Self> {
        let path = dir.join(temp_name());
        let file = create_new(&path)?;
        let mut temp = Self {
            path,
            file,
            persisted: false,
        };
        // Blocks only while a sweeper looks at the new, empty file.
        temp.file.lock()?;
        temp.file.write_all(bytes)?;
        temp.file.sync_all()?;
        Ok(temp)
    }

    /// Renames the temp file over `target`.
    pub(super) fn persist(mut self, target: &Path) -> Result<()> {
        fs::rename(&self.path, target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Best effort: what is left is swept by the next cleanup.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether `name` is a temp file's name (whoever made it).
pub(super) fn is_temp_name(name: &str) -> bool {
    name.len() > 1 + TEMP_SUFFIX.len() && name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Removes every abandoned temp file in `dir`; returns how many. What is
/// not a regular file under a temp name is left in place with a warning.
pub(super) fn sweep_temps(dir: &Path) -> Result<usize> {
    let (mut swept, mut invalid) = (0, 0);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_temp_name) {
            continue;
        }
        match sweep_temp(&entry.path()) {
            Ok(true) => swept += 1,
            Ok(false) => {}
            Err(error) if is_corrupt(&error) => invalid += 1,
            Err(error) => return Err(error),
        }
    }
    if swept > 0 {
        tracing::debug!(count = swept, "swept temp files of crashed session writers");
    }
    if invalid > 0 {
        tracing::warn!(
            count = invalid,
            "session directory holds temp names that are not regular files"
        );
    }
    Ok(swept)
}

/// Removes the temp file at `path` if its writer is gone: nobody holds its
/// lock, and it has content or has been empty for [`TEMP_GRACE`]. Something
/// other than a regular file there is an error, [corrupt], and stays.
///
/// [corrupt]: crate::store::record::corrupt
pub(super) fn sweep_temp(path: &Path) -> Result<bool> {
    let Some(file) = open_record(path)? else {
        return Ok(false);
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(false),
        Err(TryLockError::Error(error)) => return Err(error.into()),
    }
    let meta = file.metadata()?;
    let old = meta
        .modified()
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age >= TEMP_GRACE);
    if meta.len() == 0 && !old {
        return Ok(false);
    }
    remove_if_exists(path)
}

fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u64 = rand::random();
    format!(".{}-{n}-{random:016x}{TEMP_SUFFIX}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;

    #[test]
    fn temp_names_are_unique_hidden_and_recognised() {
        let (a, b) = (temp_name(), temp_name());
        assert_ne!(a, b);
        assert!(is_temp_name(&a) && a.starts_with('.'));
        assert!(!is_temp_name(".tmp"));
        assert!(!is_temp_name(".locks") && !is_temp_name(".owners"));
        assert!(!is_temp_name(&SessionId::generate().to_string()));
    }
}
