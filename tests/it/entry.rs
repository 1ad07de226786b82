//! Entering a year's values: statuses that move by the rules, overrides, the review workflow
//! and the lock, the history with its real users, conflicts, and every refusal.

use axum::http::StatusCode;
use spaser::domain::ids::{ActionId, IndicatorId, PlanId, UserId};

use crate::support::{
    Client, Page, action_id, actual, app, demo_pool, field_value, indicator, normalise,
};

const PLAN: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const ENTRY: &str = "/organisations/office-habitat/plans/spaser-2025-2027/saisie/2025";

/// The badge texts of the article whose heading starts with `heading`, in order: the action's,
/// then its indicators'.
fn badges(page: &Page, heading: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    let article = scraper::Selector::parse("article.spaser-action").unwrap();
    let h4 = scraper::Selector::parse("h4").unwrap();
    let badge = scraper::Selector::parse(".spaser-status").unwrap();
    document
        .select(&article)
        .find(|a| {
            a.select(&h4)
                .next()
                .is_some_and(|h| normalise(&h.text().collect::<String>()).starts_with(heading))
        })
        .map(|a| {
            a.select(&badge)
                .map(|b| normalise(&b.text().collect::<String>()))
                .collect()
        })
        .unwrap_or_default()
}

/// Saves one indicator's value through the form, as the page gave it (its version included).
async fn save_value(client: &mut Client, indicator: &str, value: &str) -> Page {
    let page = client.get(ENTRY).await;
    let version = field_value(&page, &format!("ver-{indicator}")).unwrap_or_else(|| "0".into());
    client
        .post(
            ENTRY,
            &[
                (&format!("ver-{indicator}"), version.as_str()),
                (&format!("v-{indicator}"), value),
            ],
        )
        .await
}

#[tokio::test]
async fn entering_values_moves_statuses_as_the_rules_say() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;

    let before = staff.get(ENTRY).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.texts("h1"), ["Saisie 2025"]);
    assert_eq!(
        badges(&before, "Action 5 —"),
        ["Non renseigné", "Non renseigné"]
    );

    let saved = save_value(&mut staff, &hours, "10 500").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &hours).await.as_deref(), Some("10500"));
    let after = staff.get(saved.location().unwrap()).await;
    assert_eq!(after.texts(".alert-success p"), ["Saisie enregistrée."]);
    assert_eq!(badges(&after, "Action 5 —"), ["Atteint", "Atteint"]);
    assert_eq!(
        field_value(&after, &format!("v-{hours}")).map(|v| normalise(&v)),
        Some("10 500".into())
    );

    // 9 000 h from the 2021 baseline of 9 840 h towards 10 000 h: backwards, not achieved.
    assert_eq!(
        save_value(&mut staff, &hours, "9000").await.status,
        StatusCode::SEE_OTHER
    );
    let after = staff.get(ENTRY).await;
    assert_eq!(badges(&after, "Action 5 —"), ["Non atteint", "Non atteint"]);

    // The objective rolls up from its actions; action 4 not entered is left out.
    let plan = staff.get(&format!("{PLAN}?annee=2025")).await;
    let objective3 = plan.texts("#objectif-3 > .spaser-badges .spaser-status, section[id^='objectif-'] .spaser-badges[data-level='objectif'] .spaser-status");
    assert!(
        objective3.contains(&"Non atteint".to_string()),
        "{objective3:?}"
    );
    assert_eq!(badges(&plan, "Action 5 —"), ["Non atteint", "Non atteint"]);
    // 9 970 h: 81 % of the way from the baseline, partially achieved.
    assert_eq!(
        save_value(&mut staff, &hours, "9 970").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        badges(&staff.get(ENTRY).await, "Action 5 —"),
        ["Partiellement atteint", "Partiellement atteint"]
    );

    // A percentage from two counts: 18 procedures out of 20.
    let share = indicator(&pool, "4").await;
    let page = staff.get(ENTRY).await;
    let version = field_value(&page, &format!("ver-{share}")).unwrap();
    let saved = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{share}"), version.as_str()),
                (&format!("n-{share}"), "18"),
                (&format!("d-{share}"), "20"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &share).await.as_deref(), Some("90"));
    let page = staff.get(ENTRY).await;
    assert_eq!(
        field_value(&page, &format!("v-{share}")).as_deref(),
        Some("90")
    );
    assert_eq!(
        field_value(&page, &format!("n-{share}")).as_deref(),
        Some("18")
    );
    assert_eq!(
        badges(&page, "Action 4 —"),
        ["Atteint", "Atteint"],
        "90 % against a target of 90 %"
    );
}

#[tokio::test]
async fn bad_input_is_refused_beside_the_field_with_nothing_saved() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let share = indicator(&pool, "4").await;
    let count = indicator(&pool, "6").await;
    staff.get(ENTRY).await;
    // (fields, message beside the field, input kept)
    type Case<'a> = (Vec<(String, String)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![(format!("v-{count}"), "abc".into())],
            "n'est pas un nombre",
            "abc",
        ),
        (
            vec![(format!("v-{share}"), "120".into())],
            "Un pourcentage est compris entre 0 et 100.",
            "120",
        ),
        (
            vec![(format!("v-{count}"), "-2".into())],
            "Une quantité ne peut pas être négative.",
            "-2",
        ),
        (
            vec![(format!("v-{share}"), "95 €".into())],
            "Unité attendue : %.",
            "95 €",
        ),
        (
            vec![
                (format!("v-{share}"), "50".into()),
                (format!("n-{share}"), "18".into()),
                (format!("d-{share}"), "20".into()),
            ],
            "ne correspond pas à 18 / 20",
            "50",
        ),
        (
            vec![
                (format!("n-{share}"), "21".into()),
                (format!("d-{share}"), "20".into()),
            ],
            "Le numérateur ne peut pas dépasser le dénominateur.",
            "",
        ),
    ];
    for (fields, message, kept) in cases {
        // A valid value for action 5 goes with each bad one: all or nothing.
        let mut all: Vec<(String, String)> = vec![
            (format!("ver-{hours}"), "0".into()),
            (format!("ver-{share}"), "0".into()),
            (format!("ver-{count}"), "0".into()),
            (format!("v-{hours}"), "10 500".into()),
        ];
        for (k, v) in fields {
            all.retain(|(key, _)| *key != k);
            all.push((k, v));
        }
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let page = staff.post(ENTRY, &refs).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let errors = page.texts(".error-text").join(" ");
        assert!(errors.contains(message), "{message}: {errors}");
        let input = refs
            .iter()
            .find(|(k, _)| k.starts_with("v-") && *k != format!("v-{hours}"))
            .map(|(k, _)| *k);
        if let Some(input) = input {
            assert_eq!(
                field_value(&page, input).as_deref(),
                Some(kept),
                "the input is kept"
            );
        }
        assert_eq!(
            field_value(&page, &format!("v-{hours}")).as_deref(),
            Some("10 500"),
            "the other input is kept"
        );
        assert_eq!(actual(&pool, &hours).await, None, "nothing saved");
    }
    // A year outside the plan.
    assert_eq!(
        staff.get(&format!("{PLAN}/saisie/2030")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = staff
        .post(
            &format!("{PLAN}/saisie/2024"),
            &[(&format!("ver-{hours}"), "0"), (&format!("v-{hours}"), "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM indicator_actual WHERE year = 2025")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_pilot_enters_only_their_actions_and_the_review_runs_to_the_lock() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let dsi = indicator(&pool, "10").await;
    let hours = indicator(&pool, "5").await;
    let action10 = action_id(&pool, "10").await;

    // « Mes actions »: only DSI's action, to fill, and what is missing per service.
    let mine = pilot.get(&format!("{PLAN}/mes-actions/2025")).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.texts("h1"), ["Mes actions — DSI — 2025"]);
    let headings = mine.texts("article.spaser-action h4");
    assert_eq!(headings.len(), 1);
    assert!(headings[0].starts_with("Action 10 —"));
    assert_eq!(
        mine.texts("article.spaser-action .spaser-to-fill"),
        ["À renseigner"]
    );
    let rows = mine.texts(".spaser-missing-row");
    assert!(rows.contains(&"DSI 1 1 Voir".to_string()), "{rows:?}");

    // The whole plan is readable, only DSI's action editable.
    let page = pilot.get(ENTRY).await;
    assert!(field_value(&page, &format!("v-{dsi}")).is_some());
    assert!(
        field_value(&page, &format!("v-{hours}")).is_none(),
        "another service's indicator has no field"
    );
    // A forged field for another service's indicator is refused, and nothing is written.
    let forged = pilot
        .post(
            ENTRY,
            &[
                (&format!("ver-{dsi}"), "0"),
                (&format!("v-{dsi}"), "95"),
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "1"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(actual(&pool, &dsi).await, None);

    // The pilot enters action 10 and its narrative: « saisi ».
    let saved = pilot
        .post(
            ENTRY,
            &[
                (&format!("ver-{dsi}"), "0"),
                (&format!("v-{dsi}"), "96 %"),
                (&format!("rver-{action10}"), "0"),
                (&format!("r-{action10}"), "Partenariat ESAT signé."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let mine = pilot.get(&format!("{PLAN}/mes-actions/2025")).await;
    assert!(
        mine.texts(".spaser-missing-row")
            .contains(&"DSI 0 1 Voir".to_string())
    );
    assert_eq!(
        mine.texts("article.spaser-action .spaser-review"),
        ["Saisi"]
    );
    assert_eq!(badges(&mine, "Action 10 —"), ["Atteint", "Atteint"]);

    // Submitted: the pilot can no longer change it.
    let circuit = format!("{ENTRY}/actions/{action10}/circuit");
    assert_eq!(
        pilot
            .post(&circuit, &[("transition", "soumettre")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = pilot.get(ENTRY).await;
    assert!(field_value(&page, &format!("v-{dsi}")).is_none());
    let refused = pilot
        .post(
            ENTRY,
            &[(&format!("ver-{dsi}"), "1"), (&format!("v-{dsi}"), "97")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        pilot
            .post(&circuit, &[("transition", "valider")])
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a pilot does not validate"
    );

    // Returned with a comment (required), then entered again and validated.
    staff.get(ENTRY).await;
    let no_comment = staff.post(&circuit, &[("transition", "renvoyer")]).await;
    assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_comment.texts(".alert-title")[0].contains("écrivez au pilote"));
    assert_eq!(
        staff
            .post(
                &circuit,
                &[
                    ("transition", "renvoyer"),
                    ("comment", "Préciser le prestataire")
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = pilot.get(ENTRY).await;
    assert_eq!(
        page.texts(".spaser-returned"),
        ["Renvoyé : « Préciser le prestataire »"]
    );
    let version = field_value(&page, &format!("ver-{dsi}")).unwrap();
    assert_eq!(
        pilot
            .post(
                ENTRY,
                &[
                    (&format!("ver-{dsi}"), version.as_str()),
                    (&format!("v-{dsi}"), "96"),
                    (&format!("c-{dsi}"), "Prestataire : ESAT Les Ateliers")
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        pilot
            .get(ENTRY)
            .await
            .texts(&format!("#action-{action10} .spaser-review")),
        ["Saisi"]
    );
    assert_eq!(
        pilot
            .post(&circuit, &[("transition", "soumettre")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        staff
            .post(&circuit, &[("transition", "valider")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        staff
            .get(ENTRY)
            .await
            .texts(&format!("#action-{action10} .spaser-review")),
        ["Validé"]
    );

    // Locked: nothing of 2025 changes, not even by procurement staff, nor in the database.
    let lock = format!("{ENTRY}/verrou");
    assert_eq!(
        pilot.post(&lock, &[("verrou", "verrouiller")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        staff
            .post(&lock, &[("verrou", "verrouiller"), ("confirmer", "oui")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = staff.get(ENTRY).await;
    assert!(
        page.texts(".alert-info p")[0]
            .starts_with("Année verrouillée par Commande publique (démo)")
    );
    assert!(
        field_value(&page, &format!("v-{hours}")).is_none(),
        "no field in a locked year"
    );
    let refused = staff
        .post(
            ENTRY,
            &[(&format!("ver-{hours}"), "0"), (&format!("v-{hours}"), "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(actual(&pool, &hours).await, None);
    let direct = sqlx::query(
        "UPDATE indicator_actual SET value = 1 WHERE indicator_id = $1::bigint AND year = 2025",
    )
    .bind(&dsi)
    .execute(&pool)
    .await;
    assert!(direct.unwrap_err().to_string().contains("locked"));
    assert_eq!(
        staff
            .post(&lock, &[("verrou", "deverrouiller")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        save_value(&mut staff, &hours, "10 200").await.status,
        StatusCode::SEE_OTHER
    );

    // Every step is in the history, with the real user.
    let history = staff
        .get(&format!("{PLAN}/indicateurs/{dsi}/historique"))
        .await;
    assert_eq!(history.status, StatusCode::OK);
    let rows = history.texts(".spaser-history-row");
    let has = |needle: &str| rows.iter().any(|r| r.contains(needle));
    assert!(has("Pilote (démo) 2025 Valeur réalisée — 96 %"), "{rows:?}");
    assert!(
        has("Pilote (démo) 2025 Commentaire — Prestataire : ESAT Les Ateliers"),
        "{rows:?}"
    );
    assert!(
        has("Pilote (démo) 2025 Mis en œuvre — Partenariat ESAT signé."),
        "{rows:?}"
    );
    assert!(
        has("Pilote (démo) 2025 Circuit de validation Saisi Soumis"),
        "{rows:?}"
    );
    assert!(
        has(
            "Commande publique (démo) 2025 Circuit de validation Soumis Renvoyé : Préciser le prestataire"
        ),
        "{rows:?}"
    );
    assert!(
        has("Commande publique (démo) 2025 Circuit de validation Soumis Validé"),
        "{rows:?}"
    );
    let locks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM change_log WHERE field = 'Verrouillage de l''année'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(locks, 2, "locking and unlocking are recorded");
}

#[tokio::test]
async fn a_status_set_by_hand_needs_a_justification_and_shows_who_and_why() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    assert_eq!(
        save_value(&mut staff, &hours, "9000").await.status,
        StatusCode::SEE_OTHER
    );
    let statuses = format!("{PLAN}/statuts/2025");
    // The entry page links to the status's own page, which carries the form.
    let entry = staff.get(ENTRY).await;
    let own_page = format!("{PLAN}/statuts/2025/indicator/{hours}");
    assert!(
        entry.attrs("a.spaser-override", "href").contains(&own_page),
        "{:?}",
        entry.attrs("a.spaser-override", "href")
    );
    let form = staff.get(&own_page).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.texts("h1"), ["Fixer le statut à la main"]);
    assert!(
        form.texts("main p")
            .iter()
            .any(|p| p.starts_with("Statut calculé par les règles : Non atteint")),
        "{:?}",
        form.texts("main p")
    );
    let bare = staff
        .post(
            &statuses,
            &[
                ("level", "indicator"),
                ("item", hours.as_str()),
                ("status", "partial"),
                ("justification", "Bof"),
            ],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.texts(".alert p")[0].starts_with("Justifiez le statut"));
    // What the person chose and wrote is still there.
    assert_eq!(
        bare.attrs("select[name=status] option[selected]", "value"),
        ["partial"]
    );
    assert_eq!(bare.texts("textarea[name=justification]"), ["Bof"]);
    let set = staff
        .post(
            &statuses,
            &[
                ("level", "indicator"),
                ("item", hours.as_str()),
                ("status", "partial"),
                ("justification", "Chantier décalé à 2026, heures engagées"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let page = staff.get(ENTRY).await;
    assert_eq!(
        badges(&page, "Action 5 —"),
        ["Partiellement atteint", "Partiellement atteint"],
        "the override feeds the action"
    );
    let by_hand = page.texts("article .spaser-by-hand").join(" ");
    assert!(
        by_hand.contains("fixé à la main par Commande publique (démo)"),
        "{by_hand}"
    );
    assert!(
        by_hand.contains("« Chantier décalé à 2026, heures engagées » (calculé : Non atteint)"),
        "{by_hand}"
    );
    // On the plan page too.
    assert!(
        staff
            .get(&format!("{PLAN}?annee=2025"))
            .await
            .body
            .contains("Chantier décalé à 2026, heures engagées")
    );
    // Removing it gives the computed status back.
    assert_eq!(
        staff
            .post(
                &statuses,
                &[
                    ("level", "indicator"),
                    ("item", hours.as_str()),
                    ("status", "")
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        badges(&staff.get(ENTRY).await, "Action 5 —"),
        ["Non atteint", "Non atteint"]
    );
    // Only procurement staff set statuses; an item of another plan is not found.
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    committee.get(ENTRY).await;
    let refused = committee
        .post(
            &statuses,
            &[
                ("level", "indicator"),
                ("item", hours.as_str()),
                ("status", "achieved"),
                ("justification", "Parce que"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let gosb_indicator: i64 = sqlx::query_scalar("SELECT i.id FROM indicator i JOIN plan p ON p.id = i.plan_id WHERE p.slug = 'spaser-2023-2024' LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let gosb_indicator = gosb_indicator.to_string();
    let foreign = staff
        .post(
            &statuses,
            &[
                ("level", "indicator"),
                ("item", gosb_indicator.as_str()),
                ("status", "achieved"),
                ("justification", "Pas chez nous"),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let history = staff
        .get(&format!("{PLAN}/indicateurs/{hours}/historique"))
        .await;
    let rows = history.texts(".spaser-history-row");
    assert!(rows.iter().any(|r| r.contains("Statut Statut calculé Partiellement atteint (à la main : Chantier décalé à 2026, heures engagées)")), "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("Statut Partiellement atteint (à la main : Chantier décalé à 2026, heures engagées) Statut calculé")), "{rows:?}");
}

#[tokio::test]
async fn two_people_saving_the_same_value_lose_nothing() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut first = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut second = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    // Both open the page before either saves.
    let page_first = first.get(ENTRY).await;
    let page_second = second.get(ENTRY).await;
    let v1 = field_value(&page_first, &format!("ver-{hours}")).unwrap();
    let v2 = field_value(&page_second, &format!("ver-{hours}")).unwrap();
    assert_eq!(
        first
            .post(
                ENTRY,
                &[
                    (&format!("ver-{hours}"), v1.as_str()),
                    (&format!("v-{hours}"), "10 500")
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let conflict = second
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), v2.as_str()),
                (&format!("v-{hours}"), "11 000"),
            ],
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(
        conflict.texts("#conflits .alert-title"),
        ["Quelqu'un a modifié ces valeurs pendant votre saisie"]
    );
    let row = &conflict.texts("tr.spaser-conflict")[0];
    assert!(
        row.contains("10 500 h") && row.contains("11 000 h"),
        "both values shown: {row}"
    );
    assert_eq!(
        actual(&pool, &hours).await.as_deref(),
        Some("10500"),
        "the first save stands"
    );
    // The second person chooses theirs: the form came back with their input and the new version.
    assert_eq!(
        field_value(&conflict, &format!("v-{hours}")).as_deref(),
        Some("11 000")
    );
    let version = field_value(&conflict, &format!("ver-{hours}")).unwrap();
    let kept = second
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), version.as_str()),
                (&format!("v-{hours}"), "11 000"),
            ],
        )
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &hours).await.as_deref(), Some("11000"));
    let values: Vec<Option<String>> = sqlx::query_scalar("SELECT after FROM change_log WHERE indicator_id = $1::bigint AND field = 'Valeur réalisée' ORDER BY id")
        .bind(&hours)
        .fetch_all(&pool)
        .await
        .unwrap();
    let values: Vec<String> = values
        .into_iter()
        .flatten()
        .map(|v| normalise(&v))
        .collect();
    assert_eq!(
        values,
        ["10 500 h", "11 000 h"],
        "both saves are in the history"
    );
}

#[tokio::test]
async fn the_rules_are_written_where_users_read_them() {
    let pool = demo_pool().await;
    let mut visitor = Client::new(&app(&pool));
    let page = visitor.get("/regles").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("h1"), ["Comment les statuts sont établis"]);
    assert!(
        page.body
            .contains("r = (réalisé − référence) ÷ (cible − référence)")
    );
    assert!(page.body.contains("0,8"));
}

#[tokio::test]
async fn scripts_written_in_any_entry_field_come_back_as_text() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let script = "<script>alert('x')</script>";
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let action5 = action_id(&pool, "5").await;
    staff.get(ENTRY).await;
    let saved = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), "0"),
                (&format!("v-{hours}"), "10 000"),
                (&format!("t-{hours}"), script),
                (&format!("c-{hours}"), script),
                (&format!("rver-{action5}"), "0"),
                (&format!("r-{action5}"), script),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    staff.get(ENTRY).await;
    let statuses = format!("{PLAN}/statuts/2025");
    let set = staff
        .post(
            &statuses,
            &[
                ("level", "action"),
                ("item", action5.as_str()),
                ("status", "partial"),
                ("justification", script),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let circuit = format!("{ENTRY}/actions/{action5}/circuit");
    assert_eq!(
        staff
            .post(&circuit, &[("transition", "renvoyer"), ("comment", script)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // And a script typed where a number is expected, shown back in the error page.
    let page = staff.get(ENTRY).await;
    let version = field_value(&page, &format!("ver-{hours}")).unwrap();
    let refused = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), version.as_str()),
                (&format!("v-{hours}"), script),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.body.contains(script));
    assert_eq!(
        field_value(&refused, &format!("v-{hours}")).as_deref(),
        Some(script),
        "kept, as text"
    );

    for path in [
        ENTRY.to_string(),
        format!("{PLAN}/mes-actions/2025?service=Services%20prescripteurs"),
        format!("{PLAN}?annee=2025"),
        format!("{PLAN}/indicateurs/{hours}/historique"),
    ] {
        let page = staff.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains(script), "raw script on {path}");
        assert!(
            page.body.contains("&#60;script&#62;"),
            "the text, escaped, on {path}"
        );
    }
}

/// Every field of the whole entry form, as the page gives them.
fn whole_form(page: &Page) -> Vec<(String, String)> {
    let document = scraper::Html::parse_document(&page.body);
    let inputs =
        scraper::Selector::parse("form#saisie input[name], form#saisie textarea[name]").unwrap();
    document
        .select(&inputs)
        .map(|e| {
            let name = e.value().attr("name").unwrap().to_string();
            let value = match e.value().name() {
                "textarea" => e.text().collect::<String>(),
                _ => e.value().attr("value").unwrap_or_default().to_string(),
            };
            (name, value)
        })
        .collect()
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    form.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_string();
}

#[tokio::test]
async fn whole_page_saves_touch_only_what_each_person_changed() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut first = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut second = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    let count = indicator(&pool, "6").await;
    let mut form_first = whole_form(&first.get(ENTRY).await);
    let mut form_second = whole_form(&second.get(ENTRY).await);
    assert!(form_first.len() > 40, "the whole plan in one form");
    set(&mut form_first, &format!("v-{count}"), "4");
    let refs: Vec<(&str, &str)> = form_first
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(first.post(ENTRY, &refs).await.status, StatusCode::SEE_OTHER);
    // The second person's page still shows action 6 empty; they change only action 5.
    set(&mut form_second, &format!("v-{hours}"), "10 500");
    let refs: Vec<(&str, &str)> = form_second
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        second.post(ENTRY, &refs).await.status,
        StatusCode::SEE_OTHER,
        "no conflict: different values"
    );
    assert_eq!(
        actual(&pool, &count).await.as_deref(),
        Some("4"),
        "the first person's value stands"
    );
    assert_eq!(actual(&pool, &hours).await.as_deref(), Some("10500"));
    let logged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM change_log WHERE field = 'Valeur réalisée'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        logged, 2,
        "one history line per value changed, none for values sent back unchanged"
    );
}

/// A value entered against a target that is only text: the rules cannot judge it, so it reads
/// « À apprécier » (not « Non renseigné ») until a person sets its status; the action above it
/// is not judged on it.
#[tokio::test]
async fn a_value_the_rules_cannot_judge_reads_a_apprecier_until_a_person_does() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    // Action 1's target for 2025 is « Une fois par an minimum… »: one number and a comparator,
    // which the rules read as « at least 1 ».
    let meetings = indicator(&pool, "1").await;
    assert_eq!(
        badges(&staff.get(ENTRY).await, "Action 1 —"),
        ["Non renseigné", "Non renseigné"]
    );
    assert_eq!(
        save_value(&mut staff, &meetings, "2").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        badges(&staff.get(ENTRY).await, "Action 1 —"),
        ["Atteint", "Atteint"],
        "two meetings for « une fois par an minimum »"
    );
    // A target stating two conditions cannot be judged by the rules: À apprécier, for the
    // indicator and for its action (nothing judged under it), never « non renseigné ».
    sqlx::query(
        "UPDATE indicator_target SET value = NULL, text = '1 réunion minimum avec 20 entreprises'
          WHERE indicator_id = $1::bigint AND year = 2025",
    )
    .bind(&meetings)
    .execute(&pool)
    .await
    .unwrap();
    let page = staff.get(ENTRY).await;
    assert_eq!(
        badges(&page, "Action 1 —"),
        ["À apprécier", "À apprécier"],
        "the value is there, the judgement is not"
    );
    let bilan = staff.get(&format!("{PLAN}/bilan/2025")).await;
    assert!(
        bilan
            .texts(".spaser-bilan-action .spaser-status")
            .contains(&"À apprécier".to_string())
    );
    let set = staff
        .post(
            &format!("{PLAN}/statuts/2025"),
            &[
                ("level", "indicator"),
                ("item", meetings.as_str()),
                ("status", "achieved"),
                (
                    "justification",
                    "Deux réunions tenues, en mars et en octobre",
                ),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        badges(&staff.get(ENTRY).await, "Action 1 —"),
        ["Atteint", "Atteint"]
    );
}

#[tokio::test]
async fn a_year_locked_while_someone_types_refuses_the_save_with_a_message_and_writes_nothing() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut other = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let form = staff.get(ENTRY).await;
    assert_eq!(form.status, StatusCode::OK);
    other.get(ENTRY).await;
    assert_eq!(
        other
            .post(
                &format!("{ENTRY}/verrou"),
                &[("verrou", "verrouiller"), ("confirmer", "oui")],
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    let hours = indicator(&pool, "5").await;
    let version = field_value(&form, &format!("ver-{hours}")).unwrap_or_else(|| "0".into());
    let page = staff
        .post(
            ENTRY,
            &[
                (&format!("ver-{hours}"), version.as_str()),
                (&format!("v-{hours}"), "4 321"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(
        page.texts(".alert p")
            .iter()
            .any(|t| t.starts_with("Année verrouillée par")),
        "{:?}",
        page.texts(".alert p")
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(after, before, "nothing written");
    assert_eq!(actual(&pool, &hours).await, None);
}

/// The lock can also come between the page's rights check and the write: the store itself
/// answers with a conflict (it used to fail on the database's refusal, a 500).
#[tokio::test]
async fn the_store_refuses_a_save_into_a_year_locked_after_the_rights_were_checked() {
    use spaser::plans::entry_store::{self, ActualChange, Conflict, EntrySave};
    let pool = demo_pool().await;
    let hours: i64 = indicator(&pool, "5").await.parse().unwrap();
    let (plan, action, user): (i64, i64, i64) = sqlx::query_as(
        "SELECT i.plan_id, i.action_id, (SELECT id FROM app_user WHERE email = 'commande-publique@office-habitat.demo') \
           FROM indicator i WHERE i.id = $1",
    )
    .bind(hours)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO plan_year_lock (plan_id, year, locked_by) VALUES ($1, 2025, $2)")
        .bind(plan)
        .bind(user)
        .execute(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let outcome = entry_store::save_entry(
        &mut conn,
        &EntrySave {
            plan_id: PlanId(plan),
            year: 2025,
            user_id: UserId(user),
            role: spaser::domain::account::Role::Procurement,
            actuals: vec![ActualChange {
                indicator_id: IndicatorId(hours),
                action_id: ActionId(action),
                unit: None,
                actual: spaser::plans::values::Actual {
                    value: Some(rust_decimal::Decimal::from(4321)),
                    ..Default::default()
                },
                expected_version: 0,
            }],
            narratives: Vec::new(),
            reviews_seen: &Default::default(),
        },
    )
    .await
    .expect("a conflict, not a database error");
    assert_eq!(outcome, vec![Conflict::YearLocked]);
    assert_eq!(actual(&pool, &hours.to_string()).await, None);
}

/// The `_csrf` values of a page.
fn tokens(page: &Page) -> Vec<String> {
    page.attrs("input[name=_csrf]", "value")
}

/// The names of the value fields of the entry form.
fn value_fields(page: &Page) -> Vec<String> {
    page.attrs("form#saisie input[name^='v-']", "name")
}

// Issue 18: the entry page is kept per plan revision and role, with a mark where each person's
// form token goes. Each person gets their own token in every form of it, no role gets the page of
// another (fields where it may not write, or none where it may), whichever asks first, and a
// change, even one made outside the entry form (a link to the contracts), shows at once.
#[tokio::test]
async fn the_kept_entry_page_is_each_roles_own_with_each_persons_token() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut colleague = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut committee = Client::signed_in(&app, "comite@office-habitat.demo").await;
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let hours = indicator(&pool, "5").await;
    for round in 0..2 {
        // In the second round, the plan changed and the others ask before procurement staff.
        let (staff_page, committee_page, pilot_page) = if round == 0 {
            let s = staff.get(ENTRY).await;
            let c = committee.get(ENTRY).await;
            let p = pilot.get(ENTRY).await;
            (s, c, p)
        } else {
            let c = committee.get(ENTRY).await;
            let p = pilot.get(ENTRY).await;
            let s = staff.get(ENTRY).await;
            (s, c, p)
        };
        let colleague_page = colleague.get(ENTRY).await;
        for page in [&staff_page, &committee_page, &pilot_page, &colleague_page] {
            assert_eq!(page.status, StatusCode::OK);
            let mine = tokens(page);
            assert!(
                mine.len() > 10,
                "every form carries the token: {}",
                mine.len()
            );
            assert!(
                mine.iter().all(|t| t == &mine[0] && t.len() == 64),
                "one token, the person's own, in every form"
            );
            assert!(!page.body.contains('\0'), "no mark is left");
        }
        assert_ne!(tokens(&staff_page)[0], tokens(&colleague_page)[0]);
        assert_ne!(tokens(&staff_page)[0], tokens(&committee_page)[0]);
        // Procurement staff write every value; the committee none; the pilot only theirs.
        let all = value_fields(&staff_page);
        assert!(all.contains(&format!("v-{hours}")), "round {round}");
        assert_eq!(value_fields(&colleague_page), all);
        assert!(value_fields(&committee_page).is_empty(), "round {round}");
        assert!(
            committee_page.texts("button[value=verrouiller]").is_empty(),
            "only procurement staff lock"
        );
        let theirs = value_fields(&pilot_page);
        assert!(
            !theirs.is_empty() && theirs.len() < all.len(),
            "round {round}: {} of {}",
            theirs.len(),
            all.len()
        );
        if round == 0 {
            assert_eq!(
                save_value(&mut staff, &hours, "10 500").await.status,
                StatusCode::SEE_OTHER
            );
        }
    }
    // The value saved is on everyone's page at once.
    assert_eq!(
        field_value(&colleague.get(ENTRY).await, &format!("v-{hours}")).map(|v| normalise(&v)),
        Some("10 500".to_string())
    );
    assert!(
        committee
            .get(ENTRY)
            .await
            .texts(".spaser-readonly strong")
            .iter()
            .any(|t| t.starts_with("10 500")),
        "the committee reads it"
    );
    // Computed from the contracts from now on: the page says so at once.
    assert!(staff.get(ENTRY).await.texts(".spaser-computed").is_empty());
    sqlx::query(
        "INSERT INTO indicator_link (indicator_id, measure)
         SELECT i.id, 'social_any' FROM indicator i JOIN plan p ON p.id = i.plan_id
          WHERE p.slug = 'spaser-2025-2027' AND i.unit = '%' ORDER BY i.id LIMIT 1",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        staff.get(ENTRY).await.texts(".spaser-computed").len(),
        1,
        "linking an indicator to the contracts is a change of its plan"
    );
}

/// A save checks its rights against the plan's structure kept from an earlier save only until the
/// structure changes: a pilot taken off an action, a service renamed, a unit changed, each made
/// straight in the database (as another server would), counts at the next save.
#[tokio::test]
async fn a_save_checks_its_rights_against_the_structure_once_changed() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut pilot = Client::signed_in(&app, "pilote@office-habitat.demo").await;
    let dsi = indicator(&pool, "10").await;
    let action10 = action_id(&pool, "10").await;
    assert_eq!(
        save_value(&mut pilot, &dsi, "90").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("90"));
    let save = |version: &'static str, value: &'static str| {
        let (dsi, mut pilot) = (dsi.clone(), pilot.clone());
        async move {
            pilot
                .post(
                    ENTRY,
                    &[
                        (&format!("ver-{dsi}"), version),
                        (&format!("v-{dsi}"), value),
                    ],
                )
                .await
        }
    };

    // DSI no longer pilots action 10 nor its indicator: refused, nothing written.
    let action_pilots: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM action_pilot WHERE action_id = $1::bigint RETURNING service_id",
    )
    .bind(&action10)
    .fetch_all(&pool)
    .await
    .unwrap();
    let indicator_pilots: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM indicator_pilot WHERE indicator_id = $1::bigint RETURNING service_id",
    )
    .bind(&dsi)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!(action_pilots.is_empty() && indicator_pilots.is_empty()));
    assert_eq!(save("1", "91").await.status, StatusCode::FORBIDDEN);
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("90"));

    // DSI pilots them again: saved.
    sqlx::query(
        "INSERT INTO action_pilot (action_id, service_id) SELECT $1::bigint, unnest($2::bigint[])",
    )
    .bind(&action10)
    .bind(&action_pilots)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO indicator_pilot (indicator_id, service_id) SELECT $1::bigint, unnest($2::bigint[])",
    )
    .bind(&dsi)
    .bind(&indicator_pilots)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(save("1", "92").await.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("92"));

    // The service renamed (the pilot's services go by name): still theirs.
    sqlx::query("UPDATE service SET name = 'Direction du numérique' WHERE name = 'DSI'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(save("2", "93").await.status, StatusCode::SEE_OTHER);
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("93"));

    // The indicator counts hours now: a percentage is refused beside the field.
    sqlx::query("UPDATE indicator SET unit = 'h' WHERE id = $1::bigint")
        .bind(&dsi)
        .execute(&pool)
        .await
        .unwrap();
    let refused = save("3", "94 %").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Unité attendue : h."),
        "{}",
        refused.body
    );
    assert_eq!(actual(&pool, &dsi).await.as_deref(), Some("93"));
}

/// A pilot's action submitted between the check of their rights and the write: nothing written,
/// a conflict naming the action (the page is shown again as it is now).
#[tokio::test]
async fn the_store_refuses_a_save_whose_action_moved_on_after_the_rights_were_checked() {
    use spaser::plans::entry_store::{self, ActualChange, Conflict, EntrySave};
    let pool = demo_pool().await;
    let dsi: i64 = indicator(&pool, "10").await.parse().unwrap();
    let (plan, action, user): (i64, i64, i64) = sqlx::query_as(
        "SELECT i.plan_id, i.action_id, (SELECT id FROM app_user WHERE email = 'pilote@office-habitat.demo') \
           FROM indicator i WHERE i.id = $1",
    )
    .bind(dsi)
    .fetch_one(&pool)
    .await
    .unwrap();
    // Submitted once the rights were checked against « no review yet ».
    sqlx::query(
        "INSERT INTO action_review (action_id, year, state) VALUES ($1, 2025, 'submitted')",
    )
    .bind(action)
    .execute(&pool)
    .await
    .unwrap();
    let history = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM change_log")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = history(pool.clone()).await;
    let mut conn = pool.acquire().await.unwrap();
    let outcome = entry_store::save_entry(
        &mut conn,
        &EntrySave {
            plan_id: PlanId(plan),
            year: 2025,
            user_id: UserId(user),
            role: spaser::domain::account::Role::Pilot,
            actuals: vec![ActualChange {
                indicator_id: IndicatorId(dsi),
                action_id: ActionId(action),
                unit: Some("%"),
                actual: spaser::plans::values::Actual {
                    value: Some(rust_decimal::Decimal::from(97)),
                    ..Default::default()
                },
                expected_version: 0,
            }],
            narratives: Vec::new(),
            reviews_seen: &Default::default(),
        },
    )
    .await
    .expect("a conflict, not a database error");
    assert_eq!(
        outcome,
        vec![Conflict::ReviewMoved {
            action_id: ActionId(action)
        }]
    );
    assert_eq!(actual(&pool, &dsi.to_string()).await, None);
    assert_eq!(history(pool.clone()).await, before);
}

/// The database's half of a save (`save_entry_apply`): rows no longer as the save read them, or
/// an item of another plan, and nothing is written.
#[tokio::test]
async fn the_write_of_a_save_checks_what_was_read_and_whose_items_they_are() {
    let pool = demo_pool().await;
    let dsi: i64 = indicator(&pool, "10").await.parse().unwrap();
    let (plan, action, user): (i64, i64, i64) = sqlx::query_as(
        "SELECT i.plan_id, i.action_id, (SELECT id FROM app_user WHERE email = 'commande-publique@office-habitat.demo') \
           FROM indicator i WHERE i.id = $1",
    )
    .bind(dsi)
    .fetch_one(&pool)
    .await
    .unwrap();
    let other_plan: i64 = sqlx::query_scalar("SELECT id FROM plan WHERE id <> $1 LIMIT 1")
        .bind(plan)
        .fetch_one(&pool)
        .await
        .unwrap();
    // Writes 50 into the indicator, having read it absent (a NULL version) or at `version` with
    // the value 50.
    let apply = |plan: i64, version: Option<i32>| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT save_entry_apply($1, 2025, $2, \
                    ARRAY[$3]::bigint[], ARRAY[CASE WHEN $4::int IS NULL THEN NULL ELSE 50 END]::numeric[], \
                    ARRAY[NULL]::text[], ARRAY[NULL]::text[], \
                    ARRAY[NULL]::numeric[], ARRAY[NULL]::numeric[], ARRAY[$4]::int[], \
                    '{}', '{}', '{}', '{}', '{}', \
                    '{}', ARRAY[$3]::bigint[], ARRAY[50]::numeric[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], \
                    ARRAY[NULL]::numeric[], ARRAY[NULL]::numeric[], \
                    '{}', '{}', '{}', '{}', '{}', \
                    ARRAY[$3]::bigint[], ARRAY[$5]::bigint[], ARRAY['Valeur réalisée'], ARRAY[NULL]::text[], ARRAY['50 %'])",
            )
            .bind(plan)
            .bind(user)
            .bind(dsi)
            .bind(version)
            .bind(action)
            .fetch_one(&pool)
            .await
        }
    };
    let history = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM change_log WHERE indicator_id = $1")
            .bind(dsi)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(apply(plan, None).await.unwrap(), "saved");
    assert_eq!(actual(&pool, &dsi.to_string()).await.as_deref(), Some("50"));
    assert_eq!(history().await, 1);
    // Read absent, written since (version 1): nothing written, the save reads again.
    assert_eq!(apply(plan, None).await.unwrap(), "changed");
    assert_eq!(history().await, 1);
    // Read at another version: the same.
    assert_eq!(apply(plan, Some(7)).await.unwrap(), "changed");
    assert_eq!(history().await, 1);
    // Read as it is: written (the same value again, a second line of history).
    assert_eq!(apply(plan, Some(1)).await.unwrap(), "saved");
    assert_eq!(history().await, 2);
    // Under another plan's id: refused whole.
    let refused = apply(other_plan, Some(2)).await.unwrap_err();
    assert!(
        refused.to_string().contains("an item of another plan"),
        "{refused}"
    );
    assert_eq!(history().await, 2);
}

// Issue 18: to a client that accepts gzip, the kept entry page goes as compressed once, stretch by
// stretch, with each person's own token between the stretches and the frame compressed for each
// request: it reads back as that person gets it plain, before and after a save.
#[tokio::test]
async fn the_kept_entry_page_compressed_once_carries_each_persons_token() {
    use std::io::Read;
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut first = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut second = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    let gunzip = |bytes: Vec<u8>| {
        let mut page = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut page)
            .expect("a whole gzip stream");
        page
    };
    for round in 0..2 {
        let mut tokens = Vec::new();
        for client in [&mut first, &mut second, &mut admin] {
            let plain = client.get(ENTRY).await;
            let (status, headers, bytes) = client.get_encoded(ENTRY, "gzip, deflate, br").await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers["content-encoding"], "gzip");
            let page = gunzip(bytes);
            assert_eq!(page, plain.body, "round {round}");
            let document = scraper::Html::parse_document(&page);
            let selector = scraper::Selector::parse("input[name=_csrf]").unwrap();
            let mine: std::collections::HashSet<&str> = document
                .select(&selector)
                .filter_map(|e| e.value().attr("value"))
                .collect();
            assert_eq!(mine.len(), 1, "one token, in every form");
            tokens.push(mine.into_iter().next().unwrap().to_string());
        }
        assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);
        if round == 0 {
            // A save: the page kept changes, and so does what goes compressed.
            let hours = crate::support::indicator(&pool, "5").await;
            let before = second.get(ENTRY).await.body;
            let page = first.get(ENTRY).await;
            let version = spaser::tools::http::form_value(&page.body, &format!("ver-{hours}"))
                .unwrap()
                .to_string();
            let saved = first
                .post(
                    ENTRY,
                    &[
                        (&format!("ver-{hours}"), version.as_str()),
                        (&format!("v-{hours}"), "4 321"),
                    ],
                )
                .await;
            assert_eq!(saved.status, StatusCode::SEE_OTHER);
            let (_, _, bytes) = second.get_encoded(ENTRY, "gzip").await;
            let after = gunzip(bytes);
            assert_ne!(after, before);
            assert_eq!(after, second.get(ENTRY).await.body);
            let value = |page: &str| {
                spaser::tools::http::form_value(page, &format!("v-{hours}")).map(str::to_string)
            };
            assert_ne!(value(&after), value(&before));
        }
    }
}
