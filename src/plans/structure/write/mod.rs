//! Changes to a plan's structure, each in the caller's transaction, each written in the
//! structure's history. An item's change names the version the person read: against another one
//! it is a conflict, never a silent overwrite. Nothing of a locked year goes: the database refuses
//! it whatever the path, and these functions say so first, in French.

use sqlx::PgConnection;

use super::read::PlanRow;
use crate::domain::ids::{OrganisationId, PlanId, UserId};
use crate::domain::structure::{FieldErrors, ItemKind, PlanSettings};
/// Who makes the change, as the history names them.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub id: UserId,
    pub name: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// Someone changed the item since the person read it.
    #[error("modification concurrente")]
    Conflict,
    /// A field the database refused (a number already taken, a period too short for the values).
    #[error("champ refusé")]
    Fields(FieldErrors),
    /// The item holds something of a locked year.
    #[error("{0}")]
    Locked(String),
    #[error("élément introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The name of the constraint a database error broke, if any.
fn broken(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(d) => d.constraint(),
        _ => None,
    }
}

fn field_error(field: &str, message: String) -> EditError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    EditError::Fields(errors)
}

/// Writes a line of the structure's history.
#[allow(clippy::too_many_arguments)]
pub async fn log(
    conn: &mut PgConnection,
    plan_id: PlanId,
    plan_title: &str,
    kind: Option<ItemKind>,
    item_id: Option<i64>,
    item_label: &str,
    operation: &str,
    detail: &str,
    author: Author<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO structure_log (plan_id, plan_title, item_kind, item_id, item_label, operation, detail, user_id, user_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        plan_id.get(),
        plan_title,
        kind.map_or("plan", ItemKind::as_db),
        item_id,
        item_label,
        operation,
        detail,
        author.id.get(),
        author.name,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The lines « Field : « before » → « after » » of what differs.
#[derive(Default)]
struct Diff(Vec<String>);

impl Diff {
    fn field(&mut self, name: &str, before: impl ToString, after: impl ToString) {
        let (before, after) = (before.to_string(), after.to_string());
        if before != after {
            let show = |s: &str| {
                if s.is_empty() {
                    "(vide)".to_string()
                } else {
                    format!("« {s} »")
                }
            };
            // A field set where there was nothing reads as its value alone.
            if before.is_empty() {
                self.0.push(format!("{name} : {}", show(&after)));
            } else {
                self.0
                    .push(format!("{name} : {} → {}", show(&before), show(&after)));
            }
        }
    }

    fn text(self) -> String {
        self.0.join("\n")
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// Creates a plan for an organisation; its address comes from its title. Refused when the
/// organisation already has a plan of this title.
pub async fn create_plan(
    conn: &mut PgConnection,
    organisation_id: OrganisationId,
    settings: &PlanSettings,
    author: Author<'_>,
) -> Result<(PlanId, String), EditError> {
    let Some(slug) =
        crate::plans::store::new_plan_slug(conn, organisation_id, &settings.title).await?
    else {
        return Err(field_error(
            "title",
            format!(
                "L'organisation a déjà un plan intitulé « {} ».",
                settings.title
            ),
        ));
    };
    let id = sqlx::query_scalar!(
        r#"INSERT INTO plan (organisation_id, slug, title, first_year, last_year, adopted_on, objective_term, has_axes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id AS "id: PlanId""#,
        organisation_id.get(),
        slug,
        settings.title,
        settings.first_year,
        settings.last_year,
        settings.adopted_on,
        settings.objective_term.as_db(),
        settings.has_axes,
    )
    .fetch_one(&mut *conn)
    .await?;
    log(
        conn,
        id,
        &settings.title,
        None,
        Some(id.get()),
        &format!("Plan « {} »", settings.title),
        "created",
        &format!("Période {}-{}", settings.first_year, settings.last_year),
        author,
    )
    .await?;
    Ok((id, slug))
}

/// Changes a plan's own settings. A period that would leave out years holding values is refused.
#[allow(clippy::too_many_arguments)]
pub async fn update_plan(
    conn: &mut PgConnection,
    plan: &PlanRow,
    has_axis: bool,
    locked_years: &[i32],
    version: i32,
    settings: &PlanSettings,
    author: Author<'_>,
) -> Result<(), EditError> {
    // A locked year stays in the period: its bilan is kept as it was locked.
    let left_out: Vec<String> = locked_years
        .iter()
        .filter(|y| !(settings.first_year..=settings.last_year).contains(*y))
        .map(i32::to_string)
        .collect();
    if !left_out.is_empty() {
        return Err(field_error(
            "first_year",
            format!(
                "L'année verrouillée {} sortirait de la période : déverrouillez-la d'abord, ou gardez-la dans la période.",
                left_out.join(", ")
            ),
        ));
    }
    if has_axis && !settings.has_axes {
        return Err(field_error(
            "has_axes",
            "Le plan a des axes : supprimez-les d'abord pour qu'il n'en ait plus.".into(),
        ));
    }
    let updated = sqlx::query!(
        r#"UPDATE plan SET title = $3, first_year = $4, last_year = $5, adopted_on = $6,
                  objective_term = $7, has_axes = $8, version = version + 1
            WHERE id = $1 AND version = $2"#,
        plan.id.get(),
        version,
        settings.title,
        settings.first_year,
        settings.last_year,
        settings.adopted_on,
        settings.objective_term.as_db(),
        settings.has_axes,
    )
    .execute(&mut *conn)
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 0 => return Err(EditError::Conflict),
        Ok(_) => {}
        Err(e) if broken(&e) == Some("year_in_plan_period") => {
            return Err(field_error(
                "first_year",
                "Des valeurs ou des cibles sont saisies pour des années hors de cette période : \
                 élargissez-la, ou retirez-les d'abord."
                    .into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let mut diff = Diff::default();
    diff.field("Titre", &plan.title, &settings.title);
    diff.field(
        "Période",
        format!("{}-{}", plan.first_year, plan.last_year),
        format!("{}-{}", settings.first_year, settings.last_year),
    );
    diff.field(
        "Adopté le",
        plan.adopted_on.map(|d| d.to_string()).unwrap_or_default(),
        settings
            .adopted_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    diff.field(
        "Deuxième niveau",
        plan.objective_term.label(),
        settings.objective_term.label(),
    );
    diff.field(
        "Axes",
        if plan.has_axes { "oui" } else { "non" },
        if settings.has_axes { "oui" } else { "non" },
    );
    if !diff.is_empty() {
        let label = format!("Plan « {} »", settings.title);
        log(
            conn,
            plan.id,
            &settings.title,
            None,
            Some(plan.id.get()),
            &label,
            "changed",
            &diff.text(),
            author,
        )
        .await?;
    }
    Ok(())
}

mod indicators;
mod items;
mod order;

pub use indicators::{create_indicator, update_indicator};
pub use items::{
    create_action, create_axis, create_objective, update_action, update_axis, update_objective,
};
pub use order::{locked_message, move_item, remove_item};
