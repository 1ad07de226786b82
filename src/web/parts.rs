//! A page sent as its parts (kept ones and each person's), none copied into one buffer.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
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
