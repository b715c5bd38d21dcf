use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::*;
use crate::store::Times;

/// A directory of its own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("sessions-recent-{}", SessionId::generate()));
        fs::create_dir(&path).unwrap();
        Self(path)
    }

    fn handle(&self) -> File {
        File::open(&self.0).unwrap()
    }

    /// Writes `bytes` to a new file renamed over `name`, as the store does.
    fn replace(&self, name: &str, bytes: &[u8]) {
        let temp = self.0.join(format!(".tmp-{}", SessionId::generate()));
        fs::write(&temp, bytes).unwrap();
        fs::rename(&temp, self.0.join(name)).unwrap();
    }

    fn stamp(&self, name: &str) -> Stamp {
        Stamp::of(rustix::fs::stat(self.0.join(name)).unwrap()).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        fs::remove_dir_all(&self.0).ok();
    }
}

fn record(payload: &[u8]) -> Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_mins(1));
    Record::new(payload.to_vec(), times).with_version(4)
}

/// Long after any file of the test was written: every file is settled.
fn later() -> SystemTime {
    SystemTime::now() + Duration::from_mins(1)
}

fn kept(recent: &Recent) -> (usize, usize) {
    let entries = recent.entries();
    (entries.by_id.len(), entries.bytes)
}

#[test]
fn a_kept_record_is_served_while_its_file_is_unchanged() {
    let (dir, recent, id) = (Scratch::new(), Recent::default(), SessionId::generate());
    let name = id.to_string();
    dir.replace(&name, b"the file");
    // Kept for that file, with other bytes than the file's: what `get`
    // answers comes from memory, not from reading the file.
    let kept_record = record(b"kept");
    recent.remember(&id, dir.stamp(&name), &kept_record, later());
    let now = UnixTime::now();
    let served = recent.get(&dir.handle(), &name, &id, now, 1024);
    assert_eq!(served, Some(Kept::Live(kept_record.clone())));
    // Expired at `now`: no session, as a load of the file says.
    let end = kept_record.times.expires_at;
    assert_eq!(
        recent.get(&dir.handle(), &name, &id, end, 1024),
        Some(Kept::Expired)
    );
    // Over the caller's limit: the file is read, which gives the error.
    assert_eq!(recent.get(&dir.handle(), &name, &id, now, 3), None);
}

#[test]
fn any_other_file_under_the_name_is_read_again() {
    let (dir, recent, id) = (Scratch::new(), Recent::default(), SessionId::generate());
    let name = id.to_string();
    let now = UnixTime::now();
    let get = |recent: &Recent| recent.get(&dir.handle(), &name, &id, now, 1024);
    dir.replace(&name, b"v1");
    recent.remember(&id, dir.stamp(&name), &record(b"v1"), later());
    assert!(get(&recent).is_some());

    // The same bytes in a new file, as a save by any process writes it.
    dir.replace(&name, b"v1");
    assert_eq!(get(&recent), None, "a new inode");
    assert_eq!(kept(&recent), (0, 0), "and the old entry is gone");

    // Rewritten in place, same size: other times.
    recent.remember(&id, dir.stamp(&name), &record(b"v1"), later());
    std::thread::sleep(Duration::from_millis(20));
    fs::write(dir.0.join(&name), b"v2").unwrap();
    assert_eq!(get(&recent), None, "changed in place");

    // Deleted, or a symlink in its place.
    recent.remember(&id, dir.stamp(&name), &record(b"v2"), later());
    fs::remove_file(dir.0.join(&name)).unwrap();
    assert_eq!(get(&recent), None, "deleted");
    recent.remember(&id, dir.stamp_of_nothing(), &record(b"v2"), later());
    std::os::unix::fs::symlink("/etc/passwd", dir.0.join(&name)).unwrap();
    assert_eq!(get(&recent), None, "a symlink is never served");
}

impl Scratch {
    /// A stamp of a file that is gone: a kept record no file matches.
    fn stamp_of_nothing(&self) -> Stamp {
        let name = "gone";
        self.replace(name, b"");
        let stamp = self.stamp(name);
        fs::remove_file(self.0.join(name)).unwrap();
        stamp
    }
}

#[test]
fn records_of_files_changed_within_the_last_second_are_not_kept() {
    let (dir, recent, id) = (Scratch::new(), Recent::default(), SessionId::generate());
    let name = id.to_string();
    dir.replace(&name, b"fresh");
    recent.remember(&id, dir.stamp(&name), &record(b"fresh"), SystemTime::now());
    assert_eq!(kept(&recent), (0, 0));
    let get = recent.get(&dir.handle(), &name, &id, UnixTime::now(), 1024);
    assert_eq!(get, None);
    // Before the epoch nothing is settled either.
    recent.remember(&id, dir.stamp(&name), &record(b"x"), SystemTime::UNIX_EPOCH);
    assert_eq!(kept(&recent), (0, 0));
}

#[test]
fn memory_is_bounded_in_records_and_bytes() {
    let dir = Scratch::new();
    dir.replace("f", b"x");
    let (stamp, recent) = (dir.stamp("f"), Recent::default());
    for _ in 0..MAX_ENTRIES + 10 {
        recent.remember(&SessionId::generate(), stamp, &record(b"12"), later());
    }
    assert_eq!(kept(&recent), (MAX_ENTRIES, 2 * MAX_ENTRIES));
    let half = vec![0; MAX_BYTES / 2];
    for _ in 0..3 {
        recent.remember(&SessionId::generate(), stamp, &record(&half), later());
    }
    let (records, bytes) = kept(&recent);
    assert!(bytes <= MAX_BYTES, "{bytes}");
    assert!(records <= MAX_ENTRIES);
    // A record over the whole budget is never kept.
    let huge = vec![0; MAX_BYTES + 1];
    recent.remember(&SessionId::generate(), stamp, &record(&huge), later());
    assert!(kept(&recent).1 <= MAX_BYTES);
}

#[test]
fn the_stamp_is_of_regular_files_only() {
    let dir = Scratch::new();
    assert!(Stamp::of(rustix::fs::stat(&dir.0).unwrap()).is_none());
    let path: &Path = &dir.0;
    dir.replace("f", b"x");
    assert!(Stamp::of(rustix::fs::stat(path.join("f")).unwrap()).is_some());
}
