//! An item moved among its siblings, or removed with what depends on it.

use sqlx::PgConnection;

use super::*;
use crate::domain::structure::ItemKind;
use crate::plans::structure::read::Structure;

/// Swaps an item with its previous (`up`) or next sibling; nothing when it has none.
pub async fn move_item(
    conn: &mut PgConnection,
    s: &Structure,
    kind: ItemKind,
    id: i64,
    up: bool,
    author: Author<'_>,
) -> Result<(), EditError> {
    // The siblings in order, as (id, rank).
    let siblings: Vec<(i64, i32)> = match kind {
        ItemKind::Axis => s.axes.iter().map(|a| (a.id.get(), a.number)).collect(),
        ItemKind::Objective => {
            let o = s.objective(id).ok_or(EditError::NotFound)?;
            s.objectives_of(o.axis_id)
                .map(|o| (o.id.get(), o.position))
                .collect()
        }
        ItemKind::Action => {
            let a = s.action(id).ok_or(EditError::NotFound)?;
            s.actions_of(a.objective_id)
                .map(|a| (a.id.get(), a.position))
                .collect()
        }
        ItemKind::Indicator => {
            let i = s.indicator(id).ok_or(EditError::NotFound)?;
            s.indicators_of(i.action_id)
                .map(|i| (i.id.get(), i.position))
                .collect()
        }
    };
    let at = siblings
        .iter()
        .position(|(i, _)| *i == id)
        .ok_or(EditError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(&(other_id, other_rank)) = other.and_then(|o| siblings.get(o)) else {
        return Ok(());
    };
    let rank = siblings[at].1;
    let plan = s.plan.id.get();
    // Ranks are unique: the item steps aside (to a rank no one has) before the other takes its
    // place. An axis's rank stays positive.
    match kind {
        ItemKind::Axis => {
            sqlx::query!(
                "UPDATE axis SET number = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                id,
                rank + other_rank + 1_000_000
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE axis SET number = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                other_id,
                rank
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE axis SET number = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                id,
                other_rank
            )
            .execute(&mut *conn)
            .await?;
        }
        ItemKind::Objective => {
            sqlx::query!("UPDATE objective SET position = -1000000 - position WHERE plan_id = $1 AND id = $2", plan, id)
                .execute(&mut *conn)
                .await?;
            sqlx::query!(
                "UPDATE objective SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                other_id,
                rank
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE objective SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                id,
                other_rank
            )
            .execute(&mut *conn)
            .await?;
        }
        ItemKind::Action => {
            sqlx::query!(
                "UPDATE action SET position = -1000000 - position WHERE plan_id = $1 AND id = $2",
                plan,
                id
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE action SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                other_id,
                rank
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE action SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                id,
                other_rank
            )
            .execute(&mut *conn)
            .await?;
        }
        ItemKind::Indicator => {
            sqlx::query!("UPDATE indicator SET position = -1000000 - position WHERE plan_id = $1 AND id = $2", plan, id)
                .execute(&mut *conn)
                .await?;
            sqlx::query!(
                "UPDATE indicator SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                other_id,
                rank
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE indicator SET position = $3 WHERE plan_id = $1 AND id = $2",
                plan,
                id,
                other_rank
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    let label = s.item_label(kind, id).unwrap_or_default();
    let detail = if up {
        "Monté d'un rang"
    } else {
        "Descendu d'un rang"
    };
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(kind),
        Some(id),
        &label,
        "moved",
        detail,
        author,
    )
    .await?;
    Ok(())
}

/// Removes an item and everything under it. Refused when anything of a locked year hangs on it.
pub async fn remove_item(
    conn: &mut PgConnection,
    s: &Structure,
    kind: ItemKind,
    id: i64,
    author: Author<'_>,
) -> Result<(), EditError> {
    let label = s.item_label(kind, id).ok_or(EditError::NotFound)?;
    let weight = s.weight(kind, id);
    if weight.locked > 0 {
        return Err(EditError::Locked(locked_message(s, kind)));
    }
    let plan = s.plan.id.get();
    let deleted = match kind {
        ItemKind::Axis => {
            sqlx::query!("DELETE FROM axis WHERE plan_id = $1 AND id = $2", plan, id)
                .execute(&mut *conn)
                .await
        }
        ItemKind::Objective => {
            sqlx::query!(
                "DELETE FROM objective WHERE plan_id = $1 AND id = $2",
                plan,
                id
            )
            .execute(&mut *conn)
            .await
        }
        ItemKind::Action => {
            sqlx::query!(
                "DELETE FROM action WHERE plan_id = $1 AND id = $2",
                plan,
                id
            )
            .execute(&mut *conn)
            .await
        }
        ItemKind::Indicator => {
            sqlx::query!(
                "DELETE FROM indicator WHERE plan_id = $1 AND id = $2",
                plan,
                id
            )
            .execute(&mut *conn)
            .await
        }
    };
    match deleted {
        Ok(r) if r.rows_affected() == 0 => return Err(EditError::NotFound),
        Ok(_) => {}
        Err(e) if broken(&e) == Some("year_locked") => {
            return Err(EditError::Locked(locked_message(s, kind)));
        }
        Err(e) => return Err(e.into()),
    }
    let (objectives, actions, indicators) = s.descendants(kind, id);
    let mut gone = Vec::new();
    for (n, one, many) in [
        (
            objectives,
            s.plan.objective_term.label().to_lowercase(),
            s.plan.objective_term.label_plural().to_lowercase(),
        ),
        (actions, "action".into(), "actions".into()),
        (indicators, "indicateur".into(), "indicateurs".into()),
        (
            weight.values as usize,
            "valeur saisie".into(),
            "valeurs saisies".into(),
        ),
        (
            weight.members as usize,
            "valeur saisie par un membre".into(),
            "valeurs saisies par les membres".into(),
        ),
    ] {
        if n > 0 {
            gone.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let detail = if gone.is_empty() {
        String::new()
    } else {
        format!("Avec : {}", gone.join(", "))
    };
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(kind),
        Some(id),
        &label,
        "removed",
        &detail,
        author,
    )
    .await?;
    Ok(())
}

/// Why an item cannot be removed.
pub fn locked_message(s: &Structure, kind: ItemKind) -> String {
    let years = s
        .locked_years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "Impossible de supprimer {} : des valeurs d'une année verrouillée ({years}) en dépendent. \
         Une année verrouillée ne perd rien.",
        kind.the(s.plan.objective_term)
    )
}
