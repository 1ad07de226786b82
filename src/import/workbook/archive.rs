//! The zip archive a workbook is, with bounds: entries counted before the directory is read,
//! parts capped in size (declared and actually unpacked).

use std::io::{Cursor, Read};

use super::{MAX_ENTRIES, MAX_PART_BYTES, MAX_WORKBOOK_BYTES};
use crate::import::FileError;

pub(super) struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Bytes unpacked so far, all parts together.
    unpacked: u64,
}

impl<'a> Archive<'a> {
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        // The count of entries the end record declares, checked before the directory is read
        // into memory (a zip64 directory declares 0xFFFF here, over the limit too).
        let search_from = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
        let declared = bytes[search_from..]
            .windows(4)
            .rposition(|w| w == b"PK\x05\x06")
            .and_then(|at| bytes.get(search_from + at + 10..search_from + at + 12))
            .map(|n| usize::from(u16::from_le_bytes([n[0], n[1]])));
        if declared.is_some_and(|n| n > MAX_ENTRIES) {
            return Err(FileError::TooManyEntries);
        }
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| FileError::Corrupt(e.to_string()))?;
        if zip.len() > MAX_ENTRIES {
            return Err(FileError::TooManyEntries);
        }
        Ok(Self { zip, unpacked: 0 })
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// One part, unpacked as text: refused when it says it is larger than the limit, and
    /// when it turns out larger (the declared size is the sender's word).
    pub(super) fn part(&mut self, name: &str) -> Result<String, FileError> {
        let corrupt = |e: &dyn std::fmt::Display| FileError::Corrupt(e.to_string());
        let file = self.zip.by_name(name).map_err(|e| corrupt(&e))?;
        if file.size() > MAX_PART_BYTES {
            return Err(FileError::PartTooLarge {
                part: name.to_string(),
                size: Some(file.size()),
            });
        }
        // All the parts read together (a workbook's sheets) are capped too.
        if self.unpacked.saturating_add(file.size()) > MAX_WORKBOOK_BYTES {
            return Err(FileError::WorkbookTooLarge);
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_PART_BYTES + 1).read_to_end(&mut bytes) {
            // The zip reader stops at the declared size: a part that goes on lies about it.
            let lies = e.kind() == std::io::ErrorKind::InvalidData
                && e.to_string().contains("declared uncompressed size");
            return Err(if lies {
                FileError::PartLies(name.to_string())
            } else {
                corrupt(&e)
            });
        }
        if bytes.len() as u64 > MAX_PART_BYTES {
            return Err(FileError::PartTooLarge {
                part: name.to_string(),
                size: None,
            });
        }
        self.unpacked += bytes.len() as u64;
        if self.unpacked > MAX_WORKBOOK_BYTES {
            return Err(FileError::WorkbookTooLarge);
        }
        String::from_utf8(bytes).map_err(|_| FileError::Corrupt(format!("{name} : pas en UTF-8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_parts_read_are_capped_together() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let part = vec![b' '; 16 * 1024 * 1024];
        for i in 0..4 {
            zip.start_file(format!("part{i}.xml"), options).unwrap();
            zip.write_all(&part).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let mut archive = Archive::open(&bytes).unwrap();
        for i in 0..3 {
            assert!(archive.part(&format!("part{i}.xml")).is_ok(), "part {i}");
        }
        assert_eq!(
            archive.part("part3.xml"),
            Err(FileError::WorkbookTooLarge),
            "48 MB read, 16 more would pass the 60 MB"
        );
    }
}
