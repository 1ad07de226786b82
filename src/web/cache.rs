//! Rendered pages kept by plan revision, and the renders of a page that changed taken one at a
//! time, each serving everyone who asked before it began.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Bytes;

use super::parts::Deflated;
use super::view;
use crate::domain::ids::PlanId;

/// Rendered pages, keyed by what they show: (plan, year, plan revision, which rendering). The
/// revision is kept by the database, so a change made through any application server is seen by
/// all; nothing a client sends takes part in the key or forces a page to be rendered again.
pub struct PageCache {
    pages: Mutex<HashMap<PageKey, Kept>>,
    /// One lock per page (plan, year, which rendering): its renders are made one at a time.
    renders: Mutex<HashMap<Page, Arc<tokio::sync::Mutex<()>>>>,
    capacity: usize,
}

/// A page kept: its HTML, where each person's form token goes in it, and when its render began
/// (before it read anything: it shows at least what was stored then).
#[derive(Clone)]
struct Kept {
    html: Bytes,
    marks: Marks,
    began: Instant,
    /// The page compressed, between its marks, once the first client that accepts gzip asked.
    deflated: Arc<tokio::sync::OnceCell<Arc<[Deflated]>>>,
}

/// Where, in a kept page, each person's form token goes (in place of a one-byte mark, a NUL).
pub type Marks = Arc<[usize]>;

/// (plan, year, plan revision, which rendering).
pub type PageKey = (PlanId, i32, i64, PageKind);

/// A page whatever its revision: (plan, year, which rendering).
type Page = (PlanId, i32, PageKind);

fn page_of(key: &PageKey) -> Page {
    (key.0, key.1, key.3)
}

/// What is kept of a plan's year: what members read and what the public reads are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageKind {
    /// The whole public bilan (its frame is the same for every visitor).
    PublicBilan,
    /// The bilan as this audience reads it, without the page's frame (which is per person).
    BilanContent(view::Audience),
    /// The entry page as people of this role read it, without its frame and with a mark where
    /// each person's form token goes (pilots' pages, which depend on their services, are not
    /// kept).
    EntryContent(crate::domain::account::Role),
}

impl Default for PageCache {
    fn default() -> Self {
        Self::with_capacity(Self::CAPACITY)
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl PageCache {
    /// Pages kept at most; past that (or past [`Self::BYTES`]) the cache starts again empty.
    const CAPACITY: usize = 256;
    /// Bytes kept at most (a bilan of 1 000 indicators weighs about 2 MB).
    const BYTES: usize = 48 << 20;

    /// A cache of at most `capacity` pages; with 0, every page is rendered afresh (for the
    /// benchmark's measure of rendering).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            pages: Default::default(),
            renders: Default::default(),
            capacity,
        }
    }

    pub fn get(&self, key: PageKey) -> Option<Bytes> {
        self.get_marked(key).map(|(page, _)| page)
    }

    /// A page kept with its marks ([`Self::put_marked`]).
    pub fn get_marked(&self, key: PageKey) -> Option<(Bytes, Marks)> {
        locked(&self.pages)
            .get(&key)
            .map(|k| (k.html.clone(), k.marks.clone()))
    }

    pub fn put(&self, key: PageKey, page: Bytes) {
        self.put_marked(key, page, Marks::from([]));
    }

    /// Keeps a page with the places where each person's form token goes.
    pub fn put_marked(&self, key: PageKey, page: Bytes, marks: Marks) {
        self.keep(key, page, marks, Instant::now());
    }

    fn keep(&self, key: PageKey, html: Bytes, marks: Marks, began: Instant) {
        if self.capacity == 0 {
            return;
        }
        let mut pages = locked(&self.pages);
        let page = page_of(&key);
        if pages.keys().any(|k| page_of(k) == page && k.2 > key.2) {
            // A later revision is kept already.
            return;
        }
        // Older revisions of the same page will not be asked again.
        pages.retain(|k, _| page_of(k) != page);
        let bytes: usize = pages.values().map(|p| p.html.len()).sum();
        if pages.len() >= self.capacity || bytes + html.len() > Self::BYTES {
            pages.clear();
        }
        pages.insert(
            key,
            Kept {
                html,
                marks,
                began,
                deflated: Default::default(),
            },
        );
    }

    /// The page kept under `key` compressed, each stretch between its marks apart (once per page
    /// kept, off the async runtime: the first request that asks compresses it, others that ask
    /// meanwhile wait for it without holding a thread); none if it is no longer kept.
    pub async fn deflated(&self, key: PageKey, html: &Bytes) -> Option<Arc<[Deflated]>> {
        let (once, marks) = locked(&self.pages)
            .get(&key)
            // The very page the request took (not one rendered again since).
            .filter(|kept| kept.html.as_ptr() == html.as_ptr() && kept.html.len() == html.len())
            .map(|kept| (kept.deflated.clone(), kept.marks.clone()))?;
        let html = html.clone();
        let segments = once
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let mut from = 0;
                    let mut segments = Vec::with_capacity(marks.len() + 1);
                    for &mark in marks.iter() {
                        segments.push(Deflated::of(&html[from..mark]));
                        // A mark is one byte.
                        from = mark + 1;
                    }
                    segments.push(Deflated::of(&html[from..]));
                    Arc::<[Deflated]>::from(segments)
                })
                .await
            })
            .await
            .ok()?;
        Some(segments.clone())
    }

    /// The page kept of this plan's year and rendering, whatever its revision, if its render
    /// began after `seen`.
    fn rendered_since(&self, key: PageKey, seen: Instant) -> Option<(Bytes, Marks)> {
        let page = page_of(&key);
        locked(&self.pages)
            .iter()
            .find(|(k, kept)| page_of(k) == page && kept.began >= seen)
            .map(|(_, kept)| (kept.html.clone(), kept.marks.clone()))
    }

    /// The lock of a page's renders.
    fn render_lock(&self, key: PageKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut renders = locked(&self.renders);
        if renders.len() >= self.capacity.max(1) * 4 {
            // Forget the locks no render holds or waits for.
            renders.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        renders.entry(page_of(&key)).or_default().clone()
    }

    /// The page kept under `key`; else the page `render` gives, kept. `seen` is a moment after
    /// the revision `key.2` was read. `render` must read everything it shows after it is called
    /// (the plan's head too: [`head_again`]). The renders of a page are made one at a time: a
    /// request that finds one under way waits for it, then takes the page it gave if that render
    /// began after `seen` (it read the data after the revision this request knows of, so it shows
    /// at least as much), and renders only if not. Many people asking for a page that just changed
    /// wait for one render instead of each making their own; a page that keeps changing (many
    /// saves at once) is rendered at most once at a time.
    pub async fn get_or_render<F, Fut, E>(
        &self,
        key: PageKey,
        seen: Instant,
        render: F,
    ) -> Result<(Bytes, Marks), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Bytes, Marks), E>>,
    {
        if self.capacity == 0 {
            return render().await;
        }
        if let Some(kept) = self.get_marked(key) {
            return Ok(kept);
        }
        let lock = self.render_lock(key);
        let _turn = lock.lock().await;
        if let Some(kept) = self.rendered_since(key, seen) {
            return Ok(kept);
        }
        let began = Instant::now();
        let (html, marks) = render().await?;
        self.keep(key, html.clone(), marks.clone(), began);
        Ok((html, marks))
    }
}

/// The head of a plan read again by a render once it holds its turn: everything the render shows
/// (the plan's title and period, its organisation's name) is then read after the render began,
/// as [`PageCache::get_or_render`] requires of it; « not found » when the plan is gone or the
/// year left its period meanwhile.
pub async fn head_again(
    pool: &sqlx::PgPool,
    plan: PlanId,
    year: i32,
) -> Result<crate::plans::read::PlanHead, super::error::AppError> {
    use crate::domain::model::HasPeriod;
    crate::plans::read::plan_head_by_id(&mut *pool.acquire().await?, plan)
        .await?
        .filter(|h| h.period().contains(year))
        .ok_or(super::error::AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::domain::account::Role;

    fn key(revision: i64) -> PageKey {
        (
            PlanId(1),
            2025,
            revision,
            PageKind::EntryContent(Role::Procurement),
        )
    }

    #[tokio::test]
    async fn requests_that_wait_for_a_render_share_it_and_later_ones_get_a_new_one() {
        let cache = Arc::new(PageCache::default());
        let renders = Arc::new(AtomicUsize::new(0));
        let seen = Instant::now();
        // A slow render under way, then five requests that knew the same revision before it
        // began: they wait for it and share it.
        let render = |renders: Arc<AtomicUsize>| async move {
            let n = renders.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok::<_, ()>((Bytes::from(format!("rendu {n}")), Marks::from([])))
        };
        let mut tasks = Vec::new();
        for revision in [1, 2, 2, 2, 3, 3] {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render(key(revision), seen, || render(renders))
                    .await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let mut pages = Vec::new();
        for task in tasks {
            pages.push(task.await.unwrap().unwrap().0);
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1, "one render for all");
        assert!(pages.iter().all(|p| p == "rendu 0"));
        // A request that read its revision after that render began does not take it.
        let later = Instant::now();
        let (page, _) = cache
            .get_or_render(key(4), later, || render(renders.clone()))
            .await
            .unwrap();
        assert_eq!(page, "rendu 1");
        // Kept: the same revision again is not rendered again.
        let (page, _) = cache
            .get_or_render(key(4), Instant::now(), || render(renders.clone()))
            .await
            .unwrap();
        assert_eq!(page, "rendu 1");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_render_is_not_kept_and_the_next_request_renders() {
        let cache = PageCache::default();
        let failed: Result<(Bytes, Marks), &str> = cache
            .get_or_render(key(1), Instant::now(), || async { Err("panne") })
            .await;
        assert_eq!(failed.unwrap_err(), "panne");
        assert!(cache.get(key(1)).is_none());
        let (page, _) = cache
            .get_or_render(key(1), Instant::now(), || async {
                Ok::<_, ()>((Bytes::from_static(b"ok"), Marks::from([])))
            })
            .await
            .unwrap();
        assert_eq!(page, "ok");
    }

    #[test]
    fn a_later_revision_kept_is_not_replaced_by_an_earlier_one() {
        let cache = PageCache::default();
        cache.put(key(5), Bytes::from_static(b"cinq"));
        cache.put(key(4), Bytes::from_static(b"quatre"));
        assert_eq!(cache.get(key(5)).unwrap(), "cinq");
        assert!(cache.get(key(4)).is_none());
        cache.put(key(6), Bytes::from_static(b"six"));
        assert!(cache.get(key(5)).is_none(), "older revisions are dropped");
    }
}
