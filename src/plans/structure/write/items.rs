//! Axes, objectives and actions: added, changed, moved to another parent.

use sqlx::PgConnection;

use super::*;
use crate::domain::ids::{ActionId, AxisId, ObjectiveId, ServiceId};
use crate::domain::structure::{ItemKind, ItemText};
use crate::plans::structure::read::Structure;

/// Maps the database's refusal of a number already taken to the form's field.
fn code_taken(e: sqlx::Error, kind: ItemKind, s: &Structure, text: &ItemText) -> EditError {
    match broken(&e) {
        Some("objective_plan_id_code_key") | Some("action_plan_id_code_key") => field_error(
            "code",
            format!(
                "Le numéro « {} » est déjà celui d'un autre élément du plan ({}).",
                opt(&text.code),
                kind.name(s.plan.objective_term).to_lowercase()
            ),
        ),
        _ => e.into(),
    }
}

/// Adds an axis at the end.
pub async fn create_axis(
    conn: &mut PgConnection,
    s: &Structure,
    text: &ItemText,
    author: Author<'_>,
) -> Result<AxisId, EditError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO axis (plan_id, number, code, label)
           VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM axis WHERE plan_id = $1), $2, $3)
           RETURNING id AS "id: AxisId""#,
        s.plan.id.get(),
        text.code,
        text.label,
    )
    .fetch_one(&mut *conn)
    .await?;
    let label = format!(
        "Axe {} — {}",
        text.code
            .clone()
            .unwrap_or_else(|| (s.axes.len() + 1).to_string()),
        text.label
    );
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(ItemKind::Axis),
        Some(id.get()),
        &label,
        "created",
        "",
        author,
    )
    .await?;
    Ok(id)
}

pub async fn update_axis(
    conn: &mut PgConnection,
    s: &Structure,
    id: AxisId,
    version: i32,
    text: &ItemText,
    author: Author<'_>,
) -> Result<(), EditError> {
    let old = s.axis(id.get()).ok_or(EditError::NotFound)?;
    let r = sqlx::query!(
        "UPDATE axis SET code = $3, label = $4, version = version + 1 WHERE id = $1 AND plan_id = $2 AND version = $5",
        id.get(),
        s.plan.id.get(),
        text.code,
        text.label,
        version
    )
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(EditError::Conflict);
    }
    let mut diff = Diff::default();
    diff.field("Numéro", opt(&old.code), opt(&text.code));
    diff.field("Intitulé", &old.label, &text.label);
    if !diff.is_empty() {
        let label = format!(
            "Axe {} — {}",
            text.code.clone().unwrap_or_else(|| old.number.to_string()),
            text.label
        );
        log(
            conn,
            s.plan.id,
            &s.plan.title,
            Some(ItemKind::Axis),
            Some(id.get()),
            &label,
            "changed",
            &diff.text(),
            author,
        )
        .await?;
    }
    Ok(())
}

/// Adds an objective at the end of its axis (or of the plan).
pub async fn create_objective(
    conn: &mut PgConnection,
    s: &Structure,
    axis: Option<AxisId>,
    text: &ItemText,
    author: Author<'_>,
) -> Result<ObjectiveId, EditError> {
    let code = text.code.clone().unwrap_or_default();
    let id = sqlx::query_scalar!(
        r#"INSERT INTO objective (plan_id, axis_id, code, label, position)
           VALUES ($1, $2, $3, $4, (SELECT coalesce(max(position), 0) + 1 FROM objective WHERE plan_id = $1))
           RETURNING id AS "id: ObjectiveId""#,
        s.plan.id.get(),
        axis.map(AxisId::get),
        code,
        text.label,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| code_taken(e, ItemKind::Objective, s, text))?;
    let label = format!("{} {code} — {}", s.plan.objective_term.label(), text.label);
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(ItemKind::Objective),
        Some(id.get()),
        &label,
        "created",
        "",
        author,
    )
    .await?;
    Ok(id)
}

pub async fn update_objective(
    conn: &mut PgConnection,
    s: &Structure,
    id: ObjectiveId,
    version: i32,
    axis: Option<AxisId>,
    text: &ItemText,
    author: Author<'_>,
) -> Result<(), EditError> {
    let old = s.objective(id.get()).ok_or(EditError::NotFound)?;
    let code = text.code.clone().unwrap_or_default();
    let r = sqlx::query!(
        r#"UPDATE objective SET axis_id = $3, code = $4, label = $5, version = version + 1
            WHERE id = $1 AND plan_id = $2 AND version = $6"#,
        id.get(),
        s.plan.id.get(),
        axis.map(AxisId::get),
        code,
        text.label,
        version
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| code_taken(e, ItemKind::Objective, s, text))?;
    if r.rows_affected() == 0 {
        return Err(EditError::Conflict);
    }
    let axis_name = |a: Option<AxisId>| {
        a.and_then(|a| s.axis(a.get()))
            .map(|a| format!("Axe {}", a.name()))
            .unwrap_or_default()
    };
    let mut diff = Diff::default();
    diff.field("Numéro", &old.code, &code);
    diff.field("Intitulé", &old.label, &text.label);
    diff.field("Axe", axis_name(old.axis_id), axis_name(axis));
    if !diff.is_empty() {
        let operation = if old.axis_id != axis {
            "moved"
        } else {
            "changed"
        };
        let label = format!("{} {code} — {}", s.plan.objective_term.label(), text.label);
        log(
            conn,
            s.plan.id,
            &s.plan.title,
            Some(ItemKind::Objective),
            Some(id.get()),
            &label,
            operation,
            &diff.text(),
            author,
        )
        .await?;
    }
    Ok(())
}

/// Makes the pilots of an action or indicator exactly `pilots`.
pub(super) async fn set_pilots(
    conn: &mut PgConnection,
    kind: ItemKind,
    id: i64,
    pilots: &[ServiceId],
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = pilots.iter().map(|p| p.get()).collect();
    if kind == ItemKind::Action {
        sqlx::query!(
            "DELETE FROM action_pilot WHERE action_id = $1 AND service_id <> ALL($2)",
            id,
            &ids
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO action_pilot (action_id, service_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
            id,
            &ids
        )
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM indicator_pilot WHERE indicator_id = $1 AND service_id <> ALL($2)",
            id,
            &ids
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO indicator_pilot (indicator_id, service_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
            id,
            &ids
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn action_label(text: &ItemText) -> String {
    match &text.code {
        Some(code) => format!("Action {code} — {}", text.label),
        None => format!("Action — {}", text.label),
    }
}

/// Adds an action at the end of its objective.
pub async fn create_action(
    conn: &mut PgConnection,
    s: &Structure,
    objective: ObjectiveId,
    text: &ItemText,
    pilots: &[ServiceId],
    author: Author<'_>,
) -> Result<ActionId, EditError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO action (plan_id, objective_id, code, label, position)
           VALUES ($1, $2, $3, $4, (SELECT coalesce(max(position), 0) + 1 FROM action WHERE objective_id = $2))
           RETURNING id AS "id: ActionId""#,
        s.plan.id.get(),
        objective.get(),
        text.code,
        text.label,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| code_taken(e, ItemKind::Action, s, text))?;
    set_pilots(conn, ItemKind::Action, id.get(), pilots).await?;
    let detail = pilots_line(s, &[], pilots);
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(ItemKind::Action),
        Some(id.get()),
        &action_label(text),
        "created",
        &detail,
        author,
    )
    .await?;
    Ok(id)
}

pub(super) fn pilots_line(s: &Structure, before: &[ServiceId], after: &[ServiceId]) -> String {
    let mut diff = Diff::default();
    let sorted = |p: &[ServiceId]| {
        let mut p = p.to_vec();
        p.sort();
        s.service_names(&p).join(", ")
    };
    let (b, a) = (sorted(before), sorted(after));
    diff.field("Pilotes", b, a);
    diff.text()
}

#[allow(clippy::too_many_arguments)]
pub async fn update_action(
    conn: &mut PgConnection,
    s: &Structure,
    id: ActionId,
    version: i32,
    objective: ObjectiveId,
    text: &ItemText,
    pilots: &[ServiceId],
    author: Author<'_>,
) -> Result<(), EditError> {
    let old = s.action(id.get()).ok_or(EditError::NotFound)?;
    if old.objective_id != objective && s.weight(ItemKind::Action, id.get()).locked > 0 {
        return Err(field_error(
            "parent",
            "Impossible de déplacer l'action : elle a des valeurs d'une année verrouillée, dont le bilan ne change plus.".into(),
        ));
    }
    let r = sqlx::query!(
        r#"UPDATE action SET code = $3, label = $4, version = version + 1,
                  position = CASE WHEN objective_id = $5 THEN position
                                  ELSE (SELECT coalesce(max(position), 0) + 1 FROM action WHERE objective_id = $5) END,
                  objective_id = $5
            WHERE id = $1 AND plan_id = $2 AND version = $6"#,
        id.get(),
        s.plan.id.get(),
        text.code,
        text.label,
        objective.get(),
        version
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| code_taken(e, ItemKind::Action, s, text))?;
    if r.rows_affected() == 0 {
        return Err(EditError::Conflict);
    }
    set_pilots(conn, ItemKind::Action, id.get(), pilots).await?;
    let objective_name = |o: ObjectiveId| {
        s.objective(o.get())
            .map(|o| format!("{} {}", s.plan.objective_term.label(), o.code))
            .unwrap_or_default()
    };
    let mut diff = Diff::default();
    diff.field("Numéro", opt(&old.code), opt(&text.code));
    diff.field("Intitulé", &old.label, &text.label);
    diff.field(
        s.plan.objective_term.label(),
        objective_name(old.objective_id),
        objective_name(objective),
    );
    let pilots = pilots_line(s, &old.pilots, pilots);
    if !pilots.is_empty() {
        diff.0.push(pilots);
    }
    if !diff.is_empty() {
        let operation = if old.objective_id != objective {
            "moved"
        } else {
            "changed"
        };
        log(
            conn,
            s.plan.id,
            &s.plan.title,
            Some(ItemKind::Action),
            Some(id.get()),
            &action_label(text),
            operation,
            &diff.text(),
            author,
        )
        .await?;
    }
    Ok(())
}
