//! A review cycle people can follow: the buttons each role needs and no more, a message after
//! each step, the pilot kept on « Mes actions », a lock that asks first and says what it would
//! freeze unfinished, a bilan that says whether it is validated, and each person's worklist.

use axum::http::StatusCode;

use crate::support::{Client, action_id, app, demo_pool, field_value, indicator};

const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";
const MINE: &str = "/organisations/office-habitat/plans/spaser-2025-2027/mes-actions/2025";

#[tokio::test]
async fn a_pilot_fills_and_submits_from_mes_actions_and_procurement_validates_from_the_worklist() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let dsi = indicator(&pool, "10").await;
    let dsi_action = action_id(&pool, "10").await;

    // The pilot's worklist: DSI's action to fill, linked to its place in « Mes actions ».
    let work = pilot.get("/a-faire").await;
    assert_eq!(work.status, StatusCode::OK);
    let links = work.attrs(".spaser-tasks a", "href");
    assert!(
        links.contains(&format!("{MINE}#action-{dsi_action}")),
        "{links:?}"
    );
    // On the whole plan's form, « À renseigner » only marks what the pilot may fill.
    let whole = pilot.get(ENTRY).await;
    assert_eq!(whole.texts(".spaser-to-fill").len(), 1, "only DSI's action");

    // A mistake made on « Mes actions » comes back on « Mes actions », the input kept.
    let form = pilot.get(MINE).await;
    let version = field_value(&form, &format!("ver-{dsi}")).unwrap_or_else(|| "0".into());
    let refused = pilot
        .post(
            &format!("{PLAN}/saisie/2025"),
            &[
                ("retour", "mes-actions"),
                (&format!("ver-{dsi}"), version.as_str()),
                (&format!("v-{dsi}"), "douze"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.texts("h1")[0].starts_with("Mes actions"),
        "{:?}",
        refused.texts("h1")
    );
    assert_eq!(
        field_value(&refused, "retour").as_deref(),
        Some("mes-actions")
    );
    assert_eq!(
        field_value(&refused, &format!("v-{dsi}")).as_deref(),
        Some("douze")
    );
    // Saved from « Mes actions »: back on « Mes actions », told so.
    let form = pilot.get(MINE).await;
    let version = field_value(&form, &format!("ver-{dsi}")).unwrap_or_else(|| "0".into());
    let saved = pilot
        .post(
            &format!("{PLAN}/saisie/2025"),
            &[
                ("retour", "mes-actions"),
                (&format!("ver-{dsi}"), version.as_str()),
                (&format!("v-{dsi}"), "12"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location().unwrap(), format!("{MINE}?enregistre=1"));

    // Submitted: a message, and back on « Mes actions ».
    let submitted = pilot
        .post(
            &format!("{ENTRY}/actions/{dsi_action}/circuit"),
            &[("transition", "soumettre")],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let location = submitted.location().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{MINE}?fait=soumis")),
        "{location}"
    );
    let page = pilot.get(&location).await;
    assert_eq!(
        page.texts(".spaser-notice p"),
        ["Action soumise à la commande publique pour validation."]
    );

    // Procurement staff: the count beside « À faire » on every page, the submission in their
    // worklist, linked to the action on the form.
    let work = staff.get("/a-faire").await;
    let link = work.texts(".header-nav a[href='/a-faire']");
    assert!(
        link[0].starts_with("À faire (1 en attente de votre décision"),
        "{link:?}"
    );
    let validate = work.attrs(".spaser-tasks a", "href");
    assert!(
        validate.contains(&format!("{ENTRY}#action-{dsi_action}")),
        "{validate:?}"
    );
    assert!(
        work.texts(".spaser-worklist h3")
            .iter()
            .any(|h| h.starts_with("Actions soumises, à valider")),
        "{:?}",
        work.texts(".spaser-worklist h3")
    );
    // Staff never « submit » to themselves; they validate.
    let form = staff.get(ENTRY).await;
    assert!(form.texts("button[value=soumettre]").is_empty());
    let validated = staff
        .post(
            &format!("{ENTRY}/actions/{dsi_action}/circuit"),
            &[("transition", "valider")],
        )
        .await;
    let page = staff.get(validated.location().unwrap()).await;
    assert_eq!(page.texts(".spaser-notice p"), ["Action validée."]);
    // Validated: « Valider » is not offered again, « Renvoyer » still is.
    let article = format!("#action-{dsi_action}");
    assert!(
        page.texts(&format!("{article} button[value=valider]"))
            .is_empty()
    );
    assert_eq!(
        page.texts(&format!("{article} button[value=renvoyer]")),
        ["Renvoyer au pilote"]
    );
    // Validating again changes nothing, and says so.
    let history = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM change_log WHERE action_id = $1::bigint AND field = 'Circuit de validation'",
        )
        .bind(&dsi_action)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = history().await;
    let again = staff
        .post(
            &format!("{ENTRY}/actions/{dsi_action}/circuit"),
            &[("transition", "valider")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.texts(".alert-title")[0].contains("déjà validée"),
        "{:?}",
        again.texts(".alert-title")
    );
    assert_eq!(
        history().await,
        before,
        "no history line for a step that changed nothing"
    );
    // And it left the worklist, and the count.
    let work = staff.get("/a-faire").await;
    assert_eq!(work.texts(".header-nav a[href='/a-faire']"), ["À faire"]);
    assert!(
        !work
            .attrs(".spaser-tasks a", "href")
            .contains(&format!("{ENTRY}#action-{dsi_action}"))
    );
}

#[tokio::test]
async fn locking_asks_first_and_the_bilan_says_whether_it_is_validated() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let bilan = staff.get(&format!("{PLAN}/bilan/2025")).await;
    assert!(
        bilan
            .texts(".spaser-validation")
            .join(" ")
            .contains("Bilan provisoire")
    );

    // A first press lists what is empty or not validated, and locks nothing.
    let asked = staff
        .post(&format!("{ENTRY}/verrou"), &[("verrou", "verrouiller")])
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(asked.texts("#confirmer-verrou h2"), ["Verrouiller 2025 ?"]);
    let empty = asked.texts(".spaser-lock-empty li");
    let indicators: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM indicator i JOIN plan p ON p.id = i.plan_id
          WHERE p.slug = 'spaser-2025-2027'
            AND NOT EXISTS (SELECT 1 FROM indicator_actual v WHERE v.indicator_id = i.id AND v.year = 2025)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        empty.len() as i64,
        indicators,
        "every indicator without a 2025 value"
    );
    let locks: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_year_lock")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(locks, 0, "nothing locked before the confirmation");

    // Confirmed: locked, said, and the bilan is validated by that person that day.
    let locked = staff
        .post(
            &format!("{ENTRY}/verrou"),
            &[("verrou", "verrouiller"), ("confirmer", "oui")],
        )
        .await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER);
    let page = staff.get(locked.location().unwrap()).await;
    assert_eq!(
        page.texts(".spaser-notice p"),
        ["Année verrouillée : plus rien ne change sans la déverrouiller."]
    );
    let bilan = staff.get(&format!("{PLAN}/bilan/2025")).await;
    let said = bilan.texts(".spaser-validation").join(" ");
    let today = chrono::Utc::now().format("%d/%m/%Y").to_string();
    assert!(
        said.contains(&format!(
            "Bilan validé le {today} par Commande publique (démo)"
        )),
        "{said}"
    );
    let (_, json, _) = staff
        .get_bytes(&format!("{PLAN}/bilan/2025/bilan.json"))
        .await;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["validation"]["state"], "validated");
    assert_eq!(
        json["validation"]["validated_by"],
        "Commande publique (démo)"
    );
}

#[tokio::test]
async fn the_error_summary_links_to_each_field_in_error() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let form = staff.get(ENTRY).await;
    let version = field_value(&form, &format!("ver-{hours}")).unwrap_or_else(|| "0".into());
    let refused = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), version.as_str()),
                (&format!("v-{hours}"), "douze"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let target = format!("#indicateur-{hours}");
    let links = refused.attrs(".spaser-error-links a", "href");
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0], target);
    // The anchor exists on the page.
    assert_eq!(refused.attrs(&target, "id").len(), 1);
}
