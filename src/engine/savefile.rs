//! The savefile engine: replays a `.scap` capture file.
use std::path::Path;

use crate::error::Error;

/// Whether the capture file exists and is a readable regular file.
pub fn availability(path: &Path) -> Result<(), Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(Error::CorruptFile {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::FileNotFound(path.to_path_buf()))
        }
        Err(e) => Err(Error::Io(e)),
    }
}
