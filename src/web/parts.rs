//! A page sent as its parts (kept ones and each person's), none copied into one buffer; to a
//! client that accepts gzip, as one gzip stream whose kept parts were compressed once.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use std::io::Write;

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use http_body::{Frame, SizeHint};

/// A page sent as its parts, none copied into one buffer; its length is known (`Content-Length`).
pub struct PageParts {
    parts: VecDeque<Bytes>,
    left: u64,
}

impl PageParts {
    pub fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
        let parts: VecDeque<Bytes> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        let left = parts.iter().map(|p| p.len() as u64).sum();
        Self { parts, left }
    }

    /// The page in one buffer (to be kept).
    pub fn into_bytes(self) -> Bytes {
        let mut page = Vec::with_capacity(self.left as usize);
        for part in &self.parts {
            page.extend_from_slice(part);
        }
        Bytes::from(page)
    }
}

/// A kept part compressed once: raw deflate blocks that end on a byte boundary and are not the
/// last (a sync flush), so that a gzip stream can carry them between parts compressed for each
/// request; with the part's CRC-32 and length, which the stream's trailer adds up.
pub struct Deflated {
    blocks: Bytes,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Deflated {
    /// The part compressed (level 6: it is done once per plan revision).
    pub fn of(part: &[u8]) -> Self {
        let mut crc = crc32fast::Hasher::new();
        crc.update(part);
        Self {
            blocks: Bytes::from(deflate(part, Compression::new(6), false)),
            crc,
            len: part.len() as u64,
        }
    }
}

/// `data` as raw deflate blocks: the last block when `last`, else ended by a sync flush.
fn deflate(data: &[u8], level: Compression, last: bool) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::with_capacity(data.len() / 4 + 64), level);
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    if last {
        return encoder.finish().unwrap_or_default();
    }
    let _ = encoder.flush();
    // What the encoder would still add (a last block) is dropped with it.
    std::mem::take(encoder.get_mut())
}

/// A stored deflate block (at most 65 535 bytes) after blocks that end on a byte boundary.
fn stored(out: &mut Vec<u8>, chunk: &[u8], last: bool) {
    let n = chunk.len() as u16;
    // BFINAL, then BTYPE 00 and the padding to the byte's end.
    out.push(u8::from(last));
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(!n).to_le_bytes());
    out.extend_from_slice(chunk);
}

/// Whether the client accepts gzip (`Accept-Encoding`: `gzip` with a weight above 0, else `*`
/// with a weight above 0).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for coding in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, q)| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(weight);
        } else if name == "*" {
            any = Some(weight);
        }
    }
    gzip.or(any).is_some_and(|weight| weight > 0.0)
}

/// A piece of a page sent as one gzip stream ([`PageParts::gzip`]).
pub enum Piece<'a> {
    /// Compressed now (fast: a frame is small).
    Fresh(&'a [u8]),
    /// Sent as is, in a stored block (a form token: compressing it would cost more than it saves).
    Stored(&'a [u8]),
    /// Compressed once, kept.
    Kept(&'a Deflated),
}

impl PageParts {
    /// The pieces as one gzip stream (RFC 1952): one deflate stream of their blocks, each piece's
    /// ending on a byte boundary, the last piece's final. The stream is written in one buffer
    /// (compressed, it is small): sent as many small parts, its last ones waited for the client's
    /// delayed acknowledgement (40 ms a page, measured by the bench).
    pub fn gzip(pieces: &[Piece]) -> Self {
        let size: usize = pieces
            .iter()
            .map(|p| match p {
                Piece::Kept(k) => k.blocks.len(),
                Piece::Fresh(d) | Piece::Stored(d) => d.len() + 8,
            })
            .sum();
        // Magic, deflate, no flags, no time, no extra flags, unknown system.
        let mut fresh = Vec::with_capacity(size + 64);
        fresh.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let mut crc = crc32fast::Hasher::new();
        let mut len = 0u64;
        for (i, piece) in pieces.iter().enumerate() {
            let last = i + 1 == pieces.len();
            match piece {
                Piece::Fresh(data) => {
                    fresh.extend_from_slice(&deflate(data, Compression::fast(), last));
                    crc.update(data);
                    len += data.len() as u64;
                }
                Piece::Stored(data) => {
                    let mut chunks = data.chunks(u16::MAX as usize).peekable();
                    if data.is_empty() {
                        stored(&mut fresh, data, last);
                    }
                    while let Some(chunk) = chunks.next() {
                        stored(&mut fresh, chunk, last && chunks.peek().is_none());
                    }
                    crc.update(data);
                    len += data.len() as u64;
                }
                Piece::Kept(kept) => {
                    fresh.extend_from_slice(&kept.blocks);
                    crc.combine(&kept.crc);
                    len += kept.len;
                }
            }
            if last && matches!(piece, Piece::Kept(_)) {
                stored(&mut fresh, b"", true);
            }
        }
        if pieces.is_empty() {
            stored(&mut fresh, b"", true);
        }
        fresh.extend_from_slice(&crc.finalize().to_le_bytes());
        // The length modulo 2^32, as the format has it.
        fresh.extend_from_slice(&(len as u32).to_le_bytes());
        Self::new([Bytes::from(fresh)])
    }

    /// The page as a response, gzip-encoded (made by [`Self::gzip`]).
    pub fn gzipped_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "accept-encoding"),
            ],
            Body::new(self),
        )
            .into_response()
    }
}

impl http_body::Body for PageParts {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.parts.pop_front().map(|part| {
            self.left -= part.len() as u64;
            Ok(Frame::data(part))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

impl IntoResponse for PageParts {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::new(self),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    async fn body(parts: PageParts) -> Vec<u8> {
        use http_body_util::BodyExt;
        Body::new(parts)
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    }

    #[tokio::test]
    async fn a_kept_part_compressed_once_reads_back_whole_between_parts_compressed_now() {
        let kept: String = (0..5_000)
            .map(|i| format!("<tr><td>Indicateur {i}</td><td>{}</td></tr>", i * 7))
            .collect();
        let deflated = Deflated::of(kept.as_bytes());
        assert!(deflated.blocks.len() < kept.len() / 4);
        for (head, tail) in [
            ("<html><body>", "</body></html>"),
            ("", ""),
            ("é".repeat(3_000).as_str(), "\0"),
        ] {
            let pieces = [
                Piece::Fresh(head.as_bytes()),
                Piece::Kept(&deflated),
                Piece::Fresh(tail.as_bytes()),
            ];
            let zipped = body(PageParts::gzip(&pieces)).await;
            let mut page = String::new();
            // The decoder checks the trailer's CRC-32 and length too.
            flate2::read::GzDecoder::new(&zipped[..])
                .read_to_string(&mut page)
                .unwrap();
            assert_eq!(page, format!("{head}{kept}{tail}"));
        }
    }

    #[tokio::test]
    async fn pieces_of_every_kind_in_any_order_read_back_as_one_page() {
        let kept = ["<main>".repeat(300), String::new(), "é".repeat(70_000)];
        let kept: Vec<Deflated> = kept.iter().map(|k| Deflated::of(k.as_bytes())).collect();
        let token = "t".repeat(64);
        let big = "s".repeat(70_000);
        let pieces = [
            Piece::Fresh(b"<html>"),
            Piece::Kept(&kept[0]),
            Piece::Stored(token.as_bytes()),
            Piece::Kept(&kept[1]),
            Piece::Stored(big.as_bytes()),
            Piece::Kept(&kept[2]),
        ];
        let expected = format!(
            "<html>{}{token}{big}{}",
            "<main>".repeat(300),
            "é".repeat(70_000)
        );
        let read = |zipped: Vec<u8>| {
            let mut page = String::new();
            flate2::read::GzDecoder::new(&zipped[..])
                .read_to_string(&mut page)
                .unwrap();
            page
        };
        assert_eq!(read(body(PageParts::gzip(&pieces)).await), expected);
        // Ending on a stored piece, or on nothing at all.
        let pieces = [Piece::Kept(&kept[0]), Piece::Stored(big.as_bytes())];
        assert_eq!(
            read(body(PageParts::gzip(&pieces)).await),
            format!("{}{big}", "<main>".repeat(300))
        );
        let pieces = [Piece::Stored(token.as_bytes())];
        assert_eq!(read(body(PageParts::gzip(&pieces)).await), token);
        assert_eq!(read(body(PageParts::gzip(&[])).await), "");
    }

    #[test]
    fn gzip_is_accepted_unless_refused_by_its_weight() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&headers)
        };
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("br"));
        assert!(!accepts("gzip;q=0, br"));
        assert!(!accepts("gzip; q=0.0"));
        assert!(!accepts("identity"));
        assert!(
            !accepts("gzip;q=0, *"),
            "refused by name, whatever the rest"
        );
        assert!(!accepts("*;q=0"));
        assert!(!accepts("gzip;Q=0"), "parameter names are case-insensitive");
        assert!(accepts("br, *;q=0.1"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
