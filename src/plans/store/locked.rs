//! Nothing of a locked year may disappear or change: what a re-import would refuse, named.

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::domain::model::YearValue;

use super::writer::{Matched, Placed, target_changes};

/// Why a re-import was not written.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Items the re-import would remove or change hold values of a locked year: nothing written.
    #[error(
        "Rien n'a été enregistré : ces éléments ont des valeurs d'une année verrouillée, qui ne peuvent ni disparaître ni changer — {}. Gardez-les tels quels dans le fichier, ou faites déverrouiller l'année par la commande publique.",
        .0.join(" ; ")
    )]
    Locked(Vec<String>),
    /// The plan follows a plan shared by another organisation, which administers its structure.
    #[error(
        "Rien n'a été enregistré : ce plan suit le plan partagé porté par une autre organisation, qui seule en modifie la structure (axes, objectifs, actions, indicateurs, cibles). Demandez-lui la modification."
    )]
    SharedMember,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// How the messages name an action: « Action 5 », or its text when it has no number.
fn action_name(code: Option<&str>, label: &str) -> String {
    match code {
        Some(code) => format!("Action {code}"),
        None => label.to_string(),
    }
}

/// Years as a message lists them: « 2025 », « 2025, 2026 ».
fn years_text(years: &[i32]) -> String {
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the draft would remove or change of a locked year, each item named for the message;
/// empty when the re-import may be written.
pub(super) async fn locked_items(
    conn: &mut PgConnection,
    plan_id: i64,
    locked_years: &[i32],
    matched: &Matched<'_>,
    old_targets: &HashMap<i64, Vec<YearValue>>,
    remove: bool,
) -> Result<Vec<String>, sqlx::Error> {
    // The targets first, then what would be removed.
    let mut locked = Vec::new();
    for Placed {
        action,
        indicator,
        id,
        ..
    } in matched.indicators()
    {
        let old = id
            .and_then(|id| old_targets.get(&id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let changes = target_changes(old, &indicator.targets);
        let refused: Vec<i32> = changes
            .gone
            .iter()
            .chain(changes.written.iter().map(|t| &t.year))
            .filter(|y| locked_years.contains(y))
            .copied()
            .collect();
        if !refused.is_empty() {
            locked.push(format!(
                "{} : cible {} de l'indicateur « {} »",
                action_name(action.code.as_deref(), &action.label),
                years_text(&refused),
                indicator.label
            ));
        }
    }
    if remove && !locked_years.is_empty() {
        let kept_indicators: Vec<i64> = matched.indicators.iter().flatten().copied().collect();
        let kept_actions: Vec<i64> = matched.actions.iter().flatten().copied().collect();
        // What would be removed and holds anything of a locked year, named.
        let held = sqlx::query!(
            r#"SELECT a.code, a.label AS action_label, i.label AS "indicator_label?",
                      string_agg(DISTINCT x.what, ' et ') AS "what!",
                      array_agg(DISTINCT x.year ORDER BY x.year) AS "years!"
                 FROM (SELECT t.indicator_id, NULL::bigint AS action_id, t.year, 'cible' AS what
                         FROM indicator_target t WHERE t.plan_id = $1 AND NOT t.indicator_id = ANY($2)
                       UNION ALL
                       SELECT v.indicator_id, NULL, v.year, 'valeur réalisée' FROM indicator_actual v
                        WHERE v.plan_id = $1 AND NOT v.indicator_id = ANY($2)
                       UNION ALL
                       SELECT NULL, n.action_id, n.year, 'mis en œuvre' FROM action_narrative n
                        WHERE n.plan_id = $1 AND NOT n.action_id = ANY($3)
                       UNION ALL
                       SELECT NULL, r.action_id, r.year, 'circuit de validation' FROM action_review r
                        WHERE r.plan_id = $1 AND NOT r.action_id = ANY($3)) x
                 JOIN plan_year_lock l ON l.plan_id = $1 AND l.year = x.year
                 LEFT JOIN indicator i ON i.id = x.indicator_id
                 JOIN action a ON a.id = coalesce(x.action_id, i.action_id)
                GROUP BY a.id, a.code, a.label, i.id, i.label
                ORDER BY a.id, i.id NULLS FIRST"#,
            plan_id,
            &kept_indicators,
            &kept_actions
        )
        .fetch_all(&mut *conn)
        .await?;
        for h in held {
            let action = action_name(h.code.as_deref(), &h.action_label);
            let held = format!("{} {}", h.what, years_text(&h.years));
            locked.push(match h.indicator_label {
                Some(label) => format!("{action} : indicateur « {label} » ({held})"),
                None => match &h.code {
                    Some(_) => format!("{action} — {} ({held})", h.action_label),
                    None => format!("{action} ({held})"),
                },
            });
        }
    }
    Ok(locked)
}
