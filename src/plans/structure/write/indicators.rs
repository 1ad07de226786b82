//! Indicators: their settings, targets and pilots.

use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::items::{pilots_line, set_pilots};
use super::*;
use crate::domain::format::quantity_fr;
use crate::domain::ids::{ActionId, IndicatorId, ServiceId};
use crate::domain::model::YearValue;
use crate::domain::structure::{IndicatorSettings, ItemKind, threshold_percent};
use crate::plans::structure::read::Structure;

/// Writes an indicator's targets of the open years: exactly `targets` (the form sends no locked
/// year; a locked year's targets are left as they are).
async fn set_targets(
    conn: &mut PgConnection,
    id: IndicatorId,
    targets: &[YearValue],
) -> Result<(), sqlx::Error> {
    let years: Vec<i32> = targets.iter().map(|t| t.year).collect();
    let values: Vec<Option<Decimal>> = targets.iter().map(|t| t.value).collect();
    let texts: Vec<Option<String>> = targets.iter().map(|t| t.text.clone()).collect();
    sqlx::query!(
        r#"DELETE FROM indicator_target t WHERE t.indicator_id = $1 AND t.year <> ALL($2)
             AND NOT EXISTS (SELECT 1 FROM plan_year_lock l WHERE l.plan_id = t.plan_id AND l.year = t.year)"#,
        id.get(),
        &years
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"INSERT INTO indicator_target (indicator_id, year, value, text)
           SELECT $1, * FROM UNNEST($2::int[], $3::numeric[], $4::text[])
           ON CONFLICT (indicator_id, year) DO UPDATE SET value = EXCLUDED.value, text = EXCLUDED.text
            WHERE (indicator_target.value, indicator_target.text) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.text)"#,
        id.get(),
        &years,
        &values as &[Option<Decimal>],
        &texts as &[Option<String>],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn targets_text(targets: &[YearValue], unit: Option<&str>) -> String {
    targets
        .iter()
        .map(|t| {
            let mut parts = Vec::new();
            if let Some(v) = t.value {
                parts.push(quantity_fr(v, unit));
            }
            if let Some(text) = &t.text {
                parts.push(text.clone());
            }
            format!("{} : {}", t.year, parts.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn baseline_text(b: Option<(Decimal, i32)>, unit: Option<&str>) -> String {
    b.map(|(v, y)| format!("{} en {y}", quantity_fr(v, unit)))
        .unwrap_or_default()
}

/// Adds an indicator at the end of its action.
pub async fn create_indicator(
    conn: &mut PgConnection,
    s: &Structure,
    action: ActionId,
    settings: &IndicatorSettings,
    pilots: &[ServiceId],
    author: Author<'_>,
) -> Result<IndicatorId, EditError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO indicator (plan_id, action_id, position, label, kind, unit, direction, baseline_value,
                                  baseline_year, baseline_source, partial_threshold)
           VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM indicator WHERE action_id = $2),
                   $3, $4, $5, $6, $7, $8, $9, $10)
           RETURNING id AS "id: IndicatorId""#,
        s.plan.id.get(),
        action.get(),
        settings.label,
        settings.kind.map(|k| k.as_db()),
        settings.unit,
        settings.direction.as_db(),
        settings.baseline.map(|b| b.0),
        settings.baseline.map(|b| b.1),
        settings.baseline_source,
        settings.partial_threshold,
    )
    .fetch_one(&mut *conn)
    .await?;
    set_pilots(conn, ItemKind::Indicator, id.get(), pilots).await?;
    set_targets(conn, id, &settings.targets).await?;
    let label = format!("Indicateur — {}", settings.label);
    let detail = indicator_diff(s, None, settings, pilots);
    log(
        conn,
        s.plan.id,
        &s.plan.title,
        Some(ItemKind::Indicator),
        Some(id.get()),
        &label,
        "created",
        &detail,
        author,
    )
    .await?;
    Ok(id)
}

fn indicator_diff(
    s: &Structure,
    old: Option<&crate::plans::structure::read::IndicatorRow>,
    new: &IndicatorSettings,
    pilots: &[ServiceId],
) -> String {
    let mut d = Diff::default();
    let unit = new.unit.as_deref();
    let kind =
        |k: Option<crate::domain::model::IndicatorKind>| k.map(|k| k.label()).unwrap_or_default();
    d.field(
        "Libellé",
        old.map(|o| o.label.as_str()).unwrap_or_default(),
        &new.label,
    );
    d.field("Type", kind(old.and_then(|o| o.kind)), kind(new.kind));
    d.field(
        "Unité",
        old.map(|o| opt(&o.unit)).unwrap_or_default(),
        opt(&new.unit),
    );
    d.field(
        "Sens d'amélioration",
        old.map(|o| o.direction.label()).unwrap_or_default(),
        new.direction.label(),
    );
    d.field(
        "Référence",
        old.map(|o| baseline_text(o.baseline, o.unit.as_deref()))
            .unwrap_or_default(),
        baseline_text(new.baseline, unit),
    );
    d.field(
        "Source de la référence",
        old.map(|o| opt(&o.baseline_source)).unwrap_or_default(),
        opt(&new.baseline_source),
    );
    d.field(
        "Seuil d'atteinte partielle",
        old.map(|o| format!("{} %", threshold_percent(o.partial_threshold)))
            .unwrap_or_default(),
        format!("{} %", threshold_percent(new.partial_threshold)),
    );
    let open = |t: &[YearValue]| -> Vec<YearValue> {
        t.iter()
            .filter(|t| !s.locked_years.contains(&t.year))
            .cloned()
            .collect()
    };
    d.field(
        "Cibles",
        old.map(|o| targets_text(&open(&o.targets), o.unit.as_deref()))
            .unwrap_or_default(),
        targets_text(&new.targets, unit),
    );
    let pilots = pilots_line(
        s,
        old.map(|o| o.pilots.as_slice()).unwrap_or_default(),
        pilots,
    );
    if !pilots.is_empty() {
        d.0.push(pilots);
    }
    d.text()
}

#[allow(clippy::too_many_arguments)]
pub async fn update_indicator(
    conn: &mut PgConnection,
    s: &Structure,
    id: IndicatorId,
    version: i32,
    action: ActionId,
    settings: &IndicatorSettings,
    pilots: &[ServiceId],
    author: Author<'_>,
) -> Result<(), EditError> {
    let old = s.indicator(id.get()).ok_or(EditError::NotFound)?;
    // A locked year's bilan stays as it was locked: what judges its values does not change.
    if s.weight(ItemKind::Indicator, id.get()).locked > 0 {
        let mut errors = crate::domain::structure::FieldErrors::default();
        let years = s
            .locked_years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let why = format!(
            "l'indicateur a des valeurs d'une année verrouillée ({years}), dont le bilan ne change plus"
        );
        if old.action_id != action {
            errors.add("parent", format!("Impossible de le déplacer : {why}."));
        }
        if old.direction != settings.direction {
            errors.add(
                "direction",
                format!("Impossible de changer le sens : {why}."),
            );
        }
        if old.partial_threshold != settings.partial_threshold {
            errors.add(
                "threshold",
                format!("Impossible de changer le seuil : {why}."),
            );
        }
        if old.baseline != settings.baseline {
            errors.add(
                "baseline_value",
                format!("Impossible de changer la référence : {why}."),
            );
        }
        if !errors.is_empty() {
            return Err(EditError::Fields(errors));
        }
    }
    let r = sqlx::query!(
        r#"UPDATE indicator SET label = $3, kind = $4, unit = $5, direction = $6, baseline_value = $7,
                  baseline_year = $8, baseline_source = $9, partial_threshold = $10, version = version + 1,
                  position = CASE WHEN action_id = $11 THEN position
                                  ELSE (SELECT coalesce(max(position), 0) + 1 FROM indicator WHERE action_id = $11) END,
                  action_id = $11
            WHERE id = $1 AND plan_id = $2 AND version = $12"#,
        id.get(),
        s.plan.id.get(),
        settings.label,
        settings.kind.map(|k| k.as_db()),
        settings.unit,
        settings.direction.as_db(),
        settings.baseline.map(|b| b.0),
        settings.baseline.map(|b| b.1),
        settings.baseline_source,
        settings.partial_threshold,
        action.get(),
        version
    )
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(EditError::Conflict);
    }
    set_pilots(conn, ItemKind::Indicator, id.get(), pilots).await?;
    set_targets(conn, id, &settings.targets).await?;
    let mut detail = indicator_diff(s, Some(old), settings, pilots);
    if old.action_id != action {
        let name = |a: ActionId| s.item_label(ItemKind::Action, a.get()).unwrap_or_default();
        let mut d = Diff::default();
        d.field("Action", name(old.action_id), name(action));
        detail = [d.text(), detail]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
    }
    if !detail.is_empty() {
        let operation = if old.action_id != action {
            "moved"
        } else {
            "changed"
        };
        let label = format!("Indicateur — {}", settings.label);
        log(
            conn,
            s.plan.id,
            &s.plan.title,
            Some(ItemKind::Indicator),
            Some(id.get()),
            &label,
            operation,
            &detail,
            author,
        )
        .await?;
    }
    Ok(())
}
