//! The bilan's page around the bilan: the frame (header, breadcrumb, the administrator's
//! publication form) rendered for each person, the bilan itself rendered once per plan revision
//! and sent as it is kept, without being copied.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use askama::Template;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};

use super::super::error::AppError;
use super::super::layout::Layout;
use super::super::view::{Audience, plan_href};
use crate::plans::read::PlanHead;

/// Where the bilan goes in the rendered frame: no text from the database can hold a NUL.
const MARK: &str = "\0";

#[derive(Template)]
#[template(path = "bilan/bilan.html")]
pub struct BilanPage<'a> {
    pub layout: Layout,
    pub organisation: &'a str,
    pub organisation_href: Option<String>,
    pub plan_title: &'a str,
    pub plan_href: String,
    pub year: i32,
    pub published: bool,
    pub can_publish: bool,
    pub publication_action: String,
    pub public_href: String,
    pub content: &'static str,
}

impl BilanPage<'_> {
    pub fn of(head: &PlanHead, year: i32, layout: Layout, audience: Audience) -> BilanPage<'_> {
        let public = audience == Audience::Public;
        BilanPage {
            layout: layout.for_organisation(&head.organisation, public),
            organisation: &head.organisation.name,
            organisation_href: (!public)
                .then(|| format!("/organisations/{}", head.organisation.slug)),
            plan_title: &head.title,
            plan_href: plan_href(&head.organisation.slug, &head.slug, audience),
            year,
            published: head.published_at.is_some(),
            can_publish: false,
            publication_action: format!(
                "/organisations/{}/plans/{}/publication",
                head.organisation.slug, head.slug
            ),
            public_href: plan_href(&head.organisation.slug, &head.slug, Audience::Public),
            content: MARK,
        }
    }

    /// The page: this frame around the bilan already rendered.
    pub fn around(&self, content: Bytes) -> Result<PageParts, AppError> {
        let frame = self.render()?;
        let (head, tail) = frame
            .split_once(MARK)
            .ok_or_else(|| AppError::Internal("le cadre du bilan n'a pas sa place".into()))?;
        Ok(PageParts::new([
            Bytes::copy_from_slice(head.as_bytes()),
            content,
            Bytes::copy_from_slice(tail.as_bytes()),
        ]))
    }
}

/// A page sent as its parts, none copied into one buffer; its length is known (`Content-Length`).
pub struct PageParts {
    parts: VecDeque<Bytes>,
    left: u64,
}

impl PageParts {
    fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
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
