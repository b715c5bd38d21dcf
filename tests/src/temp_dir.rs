//! A directory for one test, under the system temp dir, removed on drop.

use std::fs;
use std::path::{Path, PathBuf};

use sessions::store::SessionId;

/// A fresh, empty directory named after a random id, removed with
/// everything in it when dropped.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// let path = dir.path().to_owned();
/// assert!(path.is_dir());
/// drop(dir);
/// assert!(!path.exists());
/// ```
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates the directory.
    ///
    /// # Panics
    ///
    /// When the system temp dir is not writable.
    #[must_use]
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("sessions-test-{}", SessionId::generate()));
        fs::create_dir(&path).expect("the temp dir is writable");
        Self(path)
    }

    /// Where it is.
    ///
    /// ```
    /// let dir = sessions_tests::TempDir::new();
    /// assert!(dir.path().starts_with(std::env::temp_dir()));
    /// ```
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `store` inside it: a path for a store to create, so that tests see
    /// what the store does to a directory it makes itself.
    ///
    /// ```
    /// let dir = sessions_tests::TempDir::new();
    /// assert_eq!(dir.store(), dir.path().join("store"));
    /// assert!(!dir.store().exists());
    /// ```
    #[must_use]
    pub fn store(&self) -> PathBuf {
        self.0.join("store")
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temp dir fails no test.
        let _ = fs::remove_dir_all(&self.0);
    }
}
