//! Reading recorded JSONL files line by line, with a cap on line length.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::error::ReadError;
use super::event::Event;
use super::jsonl::MAX_LINE_BYTES;

/// One raw line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number.
    pub number: u64,
    /// The line without its line break.
    pub bytes: Vec<u8>,
    /// Whether the line ended with a line break (false for a torn last line).
    pub complete: bool,
}

/// The lines of a file, each at most [`MAX_LINE_BYTES`] long.
pub struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    number: u64,
    done: bool,
}

impl Lines {
    /// Opens `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| ReadError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Lines {
            path,
            reader: BufReader::with_capacity(256 * 1024, file),
            number: 0,
            done: false,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Iterator for Lines {
    type Item = Result<RawLine, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut bytes = Vec::new();
        let limit = MAX_LINE_BYTES as u64 + 1;
        match Read::take(&mut self.reader, limit).read_until(b'\n', &mut bytes) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                self.number += 1;
                let complete = bytes.last() == Some(&b'\n');
                if complete {
                    bytes.pop();
                } else if bytes.len() > MAX_LINE_BYTES {
                    self.done = true;
                    return Some(Err(ReadError::Malformed {
                        path: self.path.clone(),
                        line: self.number,
                        reason: format!("line longer than {MAX_LINE_BYTES} bytes"),
                    }));
                }
                Some(Ok(RawLine {
                    number: self.number,
                    bytes,
                    complete,
                }))
            }
            Err(source) => {
                self.done = true;
                Some(Err(ReadError::Io {
                    path: self.path.clone(),
                    source,
                }))
            }
        }
    }
}

/// The events of a file, in order: `(line number, event)`, or an error for a line that
/// is not a version-1 event (reading goes on after it).
pub struct Events {
    lines: Lines,
}

impl Events {
    /// Opens `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        Ok(Events {
            lines: Lines::open(path)?,
        })
    }
}

impl Iterator for Events {
    type Item = Result<(u64, Event), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next()? {
                Ok(line) => line,
                Err(error) => return Some(Err(error)),
            };
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let malformed = |reason: String| ReadError::Malformed {
                path: self.lines.path().to_path_buf(),
                line: line.number,
                reason,
            };
            return Some(match serde_json::from_slice::<Event>(&line.bytes) {
                Ok(event) => match event.check_version() {
                    Ok(()) => Ok((line.number, event)),
                    Err(error) => Err(malformed(error.to_string())),
                },
                Err(error) => Err(malformed(error.to_string())),
            });
        }
    }
}
