//! Both real documents load faithfully: the office's spreadsheet through the import reader,
//! GOSB's bilan from its transcription.

use std::str::FromStr;

use rust_decimal::Decimal;
use spaser::demo;
use spaser::domain::model::{IndicatorDraft, IndicatorKind, PlanDraft, YearValue};
use spaser::domain::sheet;

use crate::support::demo_pool;

/// BLAKE2b-256 of the seed `shared/seeds/office-spaser-action-plan-2025-2027.tsv`, taken when it was
/// copied: the tests run in a clone of the project alone, without the seeds beside it.
const SEED_BLAKE2B_256: &str = "d9b4f90e9c5627630b65b1648725928d8d43a05a4b9de7512610518b0d29ae2d";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn action<'a>(draft: &'a PlanDraft, code: &str) -> &'a spaser::domain::model::ActionDraft {
    draft
        .actions()
        .find(|a| a.code.as_deref() == Some(code))
        .unwrap()
}

fn numbers(indicator: &IndicatorDraft) -> Vec<(i32, Option<Decimal>)> {
    indicator
        .targets
        .iter()
        .map(|t| (t.year, t.value))
        .collect()
}

#[test]
fn the_shipped_spreadsheet_is_the_seed() {
    use blake2::Digest;
    let digest =
        blake2::Blake2b::<blake2::digest::consts::U32>::digest(demo::OFFICE_TSV.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, SEED_BLAKE2B_256);
}

#[test]
fn the_office_spreadsheet_reads_into_its_plan() {
    let reading = sheet::read_plan(&sheet::split_tsv(demo::OFFICE_TSV), 2025, 2027).unwrap();
    let draft = &reading.draft;

    let axes: Vec<(i32, &str)> = draft
        .axes
        .iter()
        .map(|a| (a.number, a.label.as_str()))
        .collect();
    assert_eq!(
        axes,
        [
            (1, "RELATION FOURNISSEUR"),
            (2, "SOCIAL"),
            (3, "ECOLOGIQUE"),
            (4, "EFFICIENCE")
        ]
    );
    let objective_codes: Vec<&str> = draft.objectives.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        objective_codes,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    let objective_axes: Vec<Option<i32>> = draft.objectives.iter().map(|o| o.axis).collect();
    assert_eq!(
        objective_axes,
        [1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4].map(Some),
        "objectives sit under their axes"
    );
    let action_codes: Vec<&str> = draft
        .actions()
        .map(|a| a.code.as_deref().unwrap())
        .collect();
    assert_eq!(
        action_codes,
        (1..=15).map(|n| n.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(draft.indicators().count(), 16);
    for a in draft.actions() {
        let expected = if a.code.as_deref() == Some("7") { 2 } else { 1 };
        assert_eq!(a.indicators.len(), expected, "action {:?}", a.code);
    }

    // The page footers are skipped, and said to be.
    assert_eq!(
        reading
            .notes
            .iter()
            .filter(|n| n.message.contains("Mission SPASER"))
            .count(),
        2
    );

    // Action 7: one cell, two indicators, each with its own targets.
    let a7 = action(draft, "7");
    assert!(
        a7.indicators[0]
            .label
            .starts_with("Part de marchés comportant des considérations environnementales")
    );
    assert!(
        a7.indicators[1]
            .label
            .starts_with("Renouvellement de la flotte automobile")
    );
    assert_eq!(a7.indicators[0].targets[0].value, None);
    assert_eq!(
        a7.indicators[0].targets[0].text.as_deref(),
        Some("faire évoluer fiche recensement interne avec critère env obligatoire")
    );
    assert_eq!(
        numbers(&a7.indicators[0])[1..],
        [(2026, Some(d("85"))), (2027, Some(d("100")))]
    );
    assert_eq!(
        numbers(&a7.indicators[1]),
        [
            (2025, Some(d("100"))),
            (2026, Some(d("100"))),
            (2027, Some(d("100")))
        ]
    );
    assert_eq!(
        a7.indicators[0].kind, None,
        "the sheet leaves action 7's type empty"
    );

    // Numeric yearly targets.
    let a5 = &action(draft, "5").indicators[0];
    assert_eq!(
        numbers(a5),
        [
            (2025, Some(d("10000"))),
            (2026, Some(d("12000"))),
            (2027, Some(d("14000")))
        ]
    );
    assert_eq!(a5.unit.as_deref(), Some("h"));
    let baseline = a5.baseline.as_ref().unwrap();
    assert_eq!((baseline.value, baseline.year), (d("9840"), 2021));
    let a4 = &action(draft, "4").indicators[0];
    assert_eq!(
        numbers(a4),
        [
            (2025, Some(d("90"))),
            (2026, Some(d("95"))),
            (2027, Some(d("100")))
        ]
    );
    assert_eq!(a4.unit.as_deref(), Some("%"));
    assert_eq!(
        a4.targets[0].text.as_deref(),
        Some("90% des procédures > 90K€HT")
    );
    let a6 = &action(draft, "6").indicators[0];
    assert_eq!(
        numbers(a6),
        [
            (2025, Some(d("5"))),
            (2026, Some(d("6"))),
            (2027, Some(d("7")))
        ]
    );
    let a10 = &action(draft, "10").indicators[0];
    assert_eq!(
        numbers(a10),
        [
            (2025, Some(d("95"))),
            (2026, Some(d("100"))),
            (2027, Some(d("100")))
        ]
    );
    let a11 = &action(draft, "11").indicators[0];
    assert_eq!(
        numbers(a11),
        [
            (2025, Some(d("1"))),
            (2026, Some(d("1"))),
            (2027, Some(d("1")))
        ]
    );
    assert_eq!(a11.unit.as_deref(), Some("formations"));
    assert_eq!(a11.kind, Some(IndicatorKind::Both));

    // Targets that are not numbers stay text, for their year.
    let a9 = &action(draft, "9").indicators[0];
    assert_eq!(
        a9.targets[1],
        YearValue {
            year: 2026,
            value: None,
            text: Some("à définir (car impact sur stratégie HA des candidats)".into())
        }
    );
    let a1 = &action(draft, "1").indicators[0];
    assert!(a1.targets.iter().all(|t| {
        t.value.is_none()
            && t.text
                .as_deref()
                .unwrap()
                .starts_with("Une fois par an minimum")
    }));
    assert_eq!(
        action(draft, "3").indicators[0].kind,
        Some(IndicatorKind::Qualitative)
    );

    // Pilots: split on « / », the directions apart, one spelling each.
    assert_eq!(action(draft, "10").indicators[0].pilots, ["DSI"]);
    assert_eq!(
        action(draft, "11").indicators[0].pilots,
        ["Service Commande Publique", "DRH"]
    );
    assert_eq!(
        action(draft, "4").indicators[0].pilots,
        ["Service Commande Publique", "Services prescripteurs"]
    );
    assert_eq!(
        action(draft, "8").indicators[0].pilots,
        [
            "Direction Construction",
            "Directions Réhabilitation et Travaux",
            "Direction exploitation"
        ]
    );
    assert_eq!(
        action(draft, "13").indicators[0].pilots,
        ["Services prescripteurs"]
    );
    assert_eq!(
        draft.pilot_names(),
        [
            "Service Commande Publique",
            "Services prescripteurs",
            "Direction Construction",
            "Directions Réhabilitation et Travaux",
            "Direction exploitation",
            "DSI",
            "DRH",
        ]
    );
}

#[test]
fn the_gosb_bilan_reads_into_eleven_fiches_with_its_figures() {
    let gosb = demo::gosb_plan().unwrap();
    let draft = &gosb.draft;
    assert!(draft.axes.is_empty(), "GOSB's plan has no axes");
    let codes: Vec<&str> = draft.objectives.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "FA1", "FA2", "FA3", "FA4", "FA5", "FA6", "FA7", "FA8", "FA9", "FA10", "FA11"
        ]
    );
    assert!(
        draft.objectives[0]
            .label
            .starts_with("Faciliter l'accès des petites structures")
    );
    let actions_per_fiche: Vec<usize> = draft.objectives.iter().map(|o| o.actions.len()).collect();
    assert_eq!(actions_per_fiche, [10, 4, 1, 5, 5, 4, 2, 1, 5, 3, 4]);

    let indicator = |label: &str| {
        draft
            .indicators()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("{label}"))
    };
    let actual = |i: &IndicatorDraft, year: i32| {
        i.actuals
            .iter()
            .find(|v| v.year == year)
            .and_then(|v| v.value)
    };
    let target = |i: &IndicatorDraft, year: i32| {
        i.targets
            .iter()
            .find(|v| v.year == year)
            .and_then(|v| v.value)
    };

    let smes = indicator("Pourcentage de marchés attribués à des PME et structures de l'ESS");
    assert_eq!(
        (actual(smes, 2024), actual(smes, 2023), smes.unit.as_deref()),
        (Some(d("75")), Some(d("58")), Some("%"))
    );
    let hours = indicator("Nombre d'heures réalisé par an");
    assert_eq!(
        (actual(hours, 2024), target(hours, 2024)),
        (Some(d("97972")), Some(d("25000")))
    );
    assert_eq!(
        (actual(hours, 2023), target(hours, 2023)),
        (Some(d("58526")), Some(d("20000")))
    );
    let clause = indicator("Nombre de marchés intégrant une/des clauses environnementales");
    assert_eq!(
        (actual(clause, 2024), actual(clause, 2023)),
        (Some(d("90")), Some(d("75")))
    );
    let criterion =
        indicator("Nombre de marchés intégrant un critère d'attribution environnemental");
    assert_eq!(
        (actual(criterion, 2024), actual(criterion, 2023)),
        (Some(d("48")), Some(d("36")))
    );
    let beneficiaries =
        indicator("Nombre de bénéficiaires de l'insertion en 2024 et leur situation");
    assert_eq!(actual(beneficiaries, 2024), Some(d("120")));
    let publicity = indicator("Nombre d'annonces avec un délai prolongé d'au moins 5 jours");
    assert_eq!(
        (actual(publicity, 2024), actual(publicity, 2023)),
        (Some(d("32")), Some(d("38")))
    );

    // Narratives are the bilan's own words, for 2024.
    let fa10 = &draft.objectives[9];
    let reuse = fa10
        .actions
        .iter()
        .find(|a| a.label.starts_with("Augmenter la part de fournitures"))
        .unwrap();
    assert_eq!(reuse.narratives.len(), 1);
    assert_eq!(reuse.narratives[0].0, 2024);
    assert!(reuse.narratives[0].1.contains(
        "96 smartphones reconditionnés (Ateliers du Bocage) pour un montant de 31 107, 86 €"
    ));
}

#[tokio::test]
async fn the_demo_lands_in_the_database_and_loads_once() {
    let pool = demo_pool().await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let snapshot = || async {
        (
            count("SELECT count(*) FROM organisation").await,
            count("SELECT count(*) FROM plan").await,
            count("SELECT count(*) FROM axis").await,
            count("SELECT count(*) FROM objective").await,
            count("SELECT count(*) FROM action").await,
            count("SELECT count(*) FROM indicator").await,
            count("SELECT count(*) FROM indicator_target").await,
            count("SELECT count(*) FROM indicator_actual").await,
            count("SELECT count(*) FROM service").await,
        )
    };
    let first = snapshot().await;
    assert_eq!(
        (first.0, first.1, first.2, first.3, first.4, first.5),
        (2, 2, 4, 22, 59, 56)
    );
    assert_eq!(first.8, 7, "the office's seven services");

    let (axes, objectives, actions, indicators): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM axis x JOIN plan p ON p.id = x.plan_id WHERE p.slug = 'spaser-2025-2027'),
                (SELECT count(*) FROM objective x JOIN plan p ON p.id = x.plan_id WHERE p.slug = 'spaser-2025-2027'),
                (SELECT count(*) FROM action x JOIN plan p ON p.id = x.plan_id WHERE p.slug = 'spaser-2025-2027'),
                (SELECT count(*) FROM indicator x JOIN plan p ON p.id = x.plan_id WHERE p.slug = 'spaser-2025-2027')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((axes, objectives, actions, indicators), (4, 11, 15, 16));

    let hours: Vec<(i32, Decimal)> = sqlx::query_as(
        "SELECT t.year, t.value FROM indicator_target t JOIN indicator i ON i.id = t.indicator_id
           JOIN action a ON a.id = i.action_id WHERE a.code = '5' ORDER BY t.year",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        hours,
        [(2025, d("10000")), (2026, d("12000")), (2027, d("14000"))]
    );
    let baseline: (Decimal, i32) = sqlx::query_as(
        "SELECT i.baseline_value, i.baseline_year FROM indicator i JOIN action a ON a.id = i.action_id WHERE a.code = '5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(baseline, (d("9840"), 2021));

    let mut conn = pool.acquire().await.unwrap();
    let report = demo::load(&mut conn).await.unwrap();
    assert!(report.loaded.is_empty());
    assert_eq!(report.already_there.len(), 2);
    drop(conn);
    assert_eq!(snapshot().await, first, "loading twice changes nothing");
}
