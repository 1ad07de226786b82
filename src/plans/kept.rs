//! Plans' structures as last read, each with the structure revision it was read at (the plan's
//! `structure_revision`, which any change to its axes, objectives, actions, indicators, pilots or
//! services' names bumps): a save checks its rights against the structure kept for the revision
//! it read, and reads the structure again only once it changed. The revision comes from the
//! database, so a structure older than the revision read is never used, whichever application
//! server changed it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgConnection;

use super::read::{self, PlanHead, PlanTree};
use crate::domain::ids::PlanId;

/// The structures kept, by plan.
#[derive(Default)]
pub struct KeptStructures(Mutex<HashMap<PlanId, (i64, Arc<PlanTree>)>>);

impl KeptStructures {
    /// The structure of the plan whose head was read, as of `revision` (its structure revision,
    /// read before): the one kept, under this head, or read (one query) and kept.
    pub async fn structure(
        &self,
        conn: &mut PgConnection,
        head: PlanHead,
        revision: i64,
    ) -> Result<PlanTree, sqlx::Error> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&head.id)
            .filter(|(at, _)| *at == revision)
            .map(|(_, tree)| Arc::clone(tree));
        if let Some(tree) = kept {
            return Ok(with_head(&tree, head));
        }
        let plan = head.id;
        let tree = read::plan_structure(conn, head).await?;
        // Read after the revision, the structure is that revision's or a later one's: kept under
        // the revision read, unless a later revision's is kept already.
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.get(&plan).is_none_or(|(at, _)| *at < revision) {
            kept.insert(plan, (revision, Arc::new(tree.clone())));
        }
        Ok(tree)
    }
}

/// A structure kept, under the plan's head as just read (its title or address may have changed
/// since, without any change to its structure).
fn with_head(tree: &PlanTree, p: PlanHead) -> PlanTree {
    PlanTree {
        organisation: p.organisation,
        id: p.id,
        slug: p.slug,
        title: p.title,
        first_year: p.first_year,
        last_year: p.last_year,
        adopted_on: p.adopted_on,
        objective_term: p.objective_term,
        published_at: p.published_at,
        ..tree.clone()
    }
}
