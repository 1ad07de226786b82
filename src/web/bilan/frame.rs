//! The bilan's page around the bilan: the frame (header, breadcrumb, the administrator's
//! publication form) rendered for each person, the bilan itself rendered once per plan revision
//! and sent as it is kept, without being copied.

use askama::Template;
use axum::body::Bytes;

use super::super::error::AppError;
use super::super::layout::Layout;
use super::super::parts::{Deflated, PageParts, Piece};
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
        let (head, tail) = split(&frame)?;
        Ok(PageParts::new([
            Bytes::copy_from_slice(head.as_bytes()),
            content,
            Bytes::copy_from_slice(tail.as_bytes()),
        ]))
    }

    /// The page as one gzip stream: this frame compressed now around the bilan compressed once.
    pub fn around_gzip(&self, content: &Deflated) -> Result<PageParts, AppError> {
        let frame = self.render()?;
        let (head, tail) = split(&frame)?;
        Ok(PageParts::gzip(&[
            Piece::Fresh(head.as_bytes()),
            Piece::Kept(content),
            Piece::Fresh(tail.as_bytes()),
        ]))
    }
}

/// The frame before and after the bilan's place.
fn split(frame: &str) -> Result<(&str, &str), AppError> {
    frame
        .split_once(MARK)
        .ok_or_else(|| AppError::Internal("le cadre du bilan n'a pas sa place".into()))
}
