//! Plans' structures (with their indicators' targets) as last read, each with the structure
//! revision it was read at (the plan's `structure_revision`, which any change to its axes,
//! objectives, actions, indicators, targets, pilots or services' names bumps): a save checks its
//! rights against the structure kept for the revision it read, and a render after a change of
//! values reads the values alone; either reads the structure again only once it changed. The
//! revision comes from the database, so a structure older than the revision read is never used,
//! whichever application server changed it. At most [`CAPACITY`] plans' structures are kept; the
//! one used least recently goes first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{PgConnection, PgPool};

use super::read::{self, PlanHead, PlanTree};
use crate::domain::ids::PlanId;

/// How many plans' structures are kept at most: the least recently used goes first.
const CAPACITY: usize = 256;

/// The structures kept, by plan.
#[derive(Default)]
pub struct KeptStructures(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    /// By plan: the structure revision, the structure, when it was last used (`clock`).
    plans: HashMap<PlanId, (i64, Arc<PlanTree>, u64)>,
    clock: u64,
}

impl KeptStructures {
    /// The structure of the plan whose head was read, as of `revision` (its structure revision,
    /// read before): the one kept, under this head, or read (one query) and kept.
    pub async fn structure(
        &self,
        conn: &mut PgConnection,
        head: PlanHead,
        revision: i64,
    ) -> Result<PlanTree, sqlx::Error> {
        let tree = self.at(conn, &head, revision).await?;
        Ok(tree.under(head))
    }

    /// The content of the plan whose head was read (its structure and its values of every year),
    /// for a render: its values and structure revision (one query), and the structure kept at
    /// that revision, else read (one more query) and kept.
    pub async fn content(&self, pool: &PgPool, head: PlanHead) -> Result<PlanTree, sqlx::Error> {
        let values = read::plan_values(pool, head.id).await?;
        let tree = match self.kept(head.id, values.structure_revision) {
            Some(tree) => tree,
            None => {
                let conn = &mut *pool.acquire().await?;
                self.at(conn, &head, values.structure_revision).await?
            }
        };
        Ok(tree.under(head).with_values(values))
    }

    /// The structure kept at `revision`, if it is.
    fn kept(&self, plan: PlanId, revision: i64) -> Option<Arc<PlanTree>> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.clock += 1;
        let now = kept.clock;
        let (at, tree, used) = kept.plans.get_mut(&plan)?;
        (*at == revision).then(|| {
            *used = now;
            Arc::clone(tree)
        })
    }

    /// The structure kept at `revision`, else read and kept.
    async fn at(
        &self,
        conn: &mut PgConnection,
        head: &PlanHead,
        revision: i64,
    ) -> Result<Arc<PlanTree>, sqlx::Error> {
        if let Some(tree) = self.kept(head.id, revision) {
            return Ok(tree);
        }
        let tree = Arc::new(read::plan_structure(conn, head.clone()).await?);
        // Read after the revision, the structure is that revision's or a later one's: kept under
        // the revision read, unless a later revision's is kept already.
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep(head.id, revision, Arc::clone(&tree));
        Ok(tree)
    }
}

impl Kept {
    /// Keeps a plan's structure read at `revision`, unless a later revision's is kept already;
    /// at capacity, the structure used least recently goes.
    fn keep(&mut self, plan: PlanId, revision: i64, tree: Arc<PlanTree>) {
        if self
            .plans
            .get(&plan)
            .is_some_and(|(at, _, _)| *at >= revision)
        {
            return;
        }
        if self.plans.len() >= CAPACITY && !self.plans.contains_key(&plan) {
            let oldest = self.plans.iter().min_by_key(|(_, (_, _, used))| *used);
            if let Some(oldest) = oldest.map(|(plan, _)| *plan) {
                self.plans.remove(&oldest);
            }
        }
        self.clock += 1;
        self.plans.insert(plan, (revision, tree, self.clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::OrganisationId;
    use crate::domain::model::ObjectiveTerm;
    use crate::plans::read::OrganisationRow;

    fn tree(plan: i64) -> Arc<PlanTree> {
        Arc::new(PlanTree {
            organisation: OrganisationRow {
                id: OrganisationId(1),
                slug: "o".into(),
                name: "O".into(),
                short_name: "O".into(),
                kind: None,
                accent_color: None,
                logo_hash: None,
            },
            id: PlanId(plan),
            slug: format!("p{plan}"),
            title: String::new(),
            first_year: 2025,
            last_year: 2027,
            adopted_on: None,
            objective_term: ObjectiveTerm::Objectif,
            published_at: None,
            groups: Vec::new(),
            validated: Default::default(),
            locked_years: Vec::new(),
            withheld: Default::default(),
        })
    }

    #[test]
    fn structures_are_kept_by_revision_and_the_least_recently_used_goes_at_capacity() {
        let kept = KeptStructures::default();
        let keep = |plan: i64, revision: i64| {
            kept.0
                .lock()
                .unwrap()
                .keep(PlanId(plan), revision, tree(plan))
        };
        keep(0, 5);
        assert!(kept.kept(PlanId(0), 5).is_some());
        assert!(kept.kept(PlanId(0), 6).is_none(), "another revision's");
        // An older revision read late does not replace a later one.
        keep(0, 4);
        assert!(kept.kept(PlanId(0), 5).is_some());
        for plan in 1..CAPACITY as i64 {
            keep(plan, 1);
        }
        // Plan 0 used again: plan 1 is now the least recently used, and goes for a new plan.
        assert!(kept.kept(PlanId(0), 5).is_some());
        keep(CAPACITY as i64, 1);
        assert_eq!(kept.0.lock().unwrap().plans.len(), CAPACITY);
        assert!(kept.kept(PlanId(1), 1).is_none());
        assert!(kept.kept(PlanId(0), 5).is_some());
        assert!(kept.kept(PlanId(2), 1).is_some());
        assert!(kept.kept(PlanId(CAPACITY as i64), 1).is_some());
    }
}
