//! The consolidated DECP files are written by a pandas pipeline, which puts `NaN` (and sometimes
//! `Infinity`) where a number is unknown: JSON has no such literal and `serde_json` refuses the
//! whole file. This reader turns those bare words, outside strings, into `null` on the fly (the
//! file is never held in memory), so that a field left unknown reads as absent.

use std::io::{self, Read};

/// Reads `inner`, writing `null` for the bare words `NaN`, `Infinity`, `-Infinity` and `-NaN`.
/// Anything else passes through unchanged: an invalid document stays invalid.
pub struct Sanitized<R> {
    inner: R,
    input: Vec<u8>,
    output: Vec<u8>,
    at: usize,
    in_string: bool,
    escaped: bool,
    /// A `-` outside a string whose next byte decides whether it starts `-Infinity`.
    minus: bool,
    /// The rest of a bare word being replaced, checked byte by byte.
    expect: &'static [u8],
    done: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Sanitized<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            input: vec![0; CHUNK],
            output: Vec::with_capacity(CHUNK + CHUNK / 2),
            at: 0,
            in_string: false,
            escaped: false,
            minus: false,
            expect: b"",
            done: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.output.clear();
        self.at = 0;
        while self.output.is_empty() && !self.done {
            let n = loop {
                match self.inner.read(&mut self.input) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                self.done = true;
                if std::mem::take(&mut self.minus) {
                    self.output.push(b'-');
                }
                break;
            }
            for i in 0..n {
                let b = self.input[i];
                self.push(b);
            }
        }
        Ok(())
    }

    fn push(&mut self, b: u8) {
        if let [first, rest @ ..] = self.expect {
            if b == *first {
                self.expect = rest;
                return;
            }
            // Not the word after all: what follows makes the document invalid, as it was.
            self.expect = b"";
        }
        if self.in_string {
            self.output.push(b);
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        if std::mem::take(&mut self.minus) {
            match b {
                b'I' | b'N' => {}
                _ => self.output.push(b'-'),
            }
        }
        match b {
            b'"' => {
                self.in_string = true;
                self.output.push(b);
            }
            b'-' => self.minus = true,
            // No valid JSON token outside a string starts with a capital letter.
            b'N' => {
                self.output.extend_from_slice(b"null");
                self.expect = b"aN";
            }
            b'I' => {
                self.output.extend_from_slice(b"null");
                self.expect = b"nfinity";
            }
            _ => self.output.push(b),
        }
    }
}

impl<R: Read> Read for Sanitized<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.output.len() {
            self.fill()?;
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        let mut out = String::new();
        Sanitized::new(text.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn bare_words_become_null_outside_strings_only() {
        assert_eq!(
            clean(
                r#"{"a": NaN, "b": -Infinity, "c": Infinity, "d": "NaN -Infinity", "e": -3, "f": "x\"NaN"}"#
            ),
            r#"{"a": null, "b": null, "c": null, "d": "NaN -Infinity", "e": -3, "f": "x\"NaN"}"#
        );
        assert_eq!(clean("[1,-2,NaN]"), "[1,-2,null]");
        assert_eq!(clean("-"), "-");
        // A word that only starts like one stays invalid.
        assert!(serde_json::from_str::<serde_json::Value>(&clean("[Nope]")).is_err());
    }

    #[test]
    fn words_cut_across_reads_are_replaced() {
        // One byte at a time: every word is cut between two reads.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut out = String::new();
        Sanitized::new(Trickle(br#"[NaN,-Infinity,"a\"b",Infinity]"#))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, r#"[null,null,"a\"b",null]"#);
    }
}
