//! The DECP part of the bench: 50 000 generated contracts read and saved, then the legal
//! indicators page over them.

use std::time::Instant;

use spaser::domain::ids::OrganisationId;
use spaser::tools::http::Connection;
use sqlx::PgPool;

use super::{get_request, ms};

/// 50 000 generated contracts: reading and saving time, then the legal indicators page.
pub async fn decp_bench(pool: &PgPool, address: &str, org: i64) {
    use std::fmt::Write;
    println!();
    println!("DECP: 50 000 generated contracts");
    let mut json = String::from(r#"{"marches": {"marche": ["#);
    for i in 0..50_000 {
        if i > 0 {
            json.push(',');
        }
        let social = match i % 4 {
            0 => r#""Clause sociale""#,
            1 => r#""Critère social", "Marché réservé""#,
            _ => r#""Pas de considération sociale""#,
        };
        let env = if i % 3 == 0 {
            r#""Clause environnementale""#
        } else {
            r#""Pas de considération environnementale""#
        };
        let _ = write!(
            json,
            r#"{{"id": "B{i}", "acheteur": {{"id": "11111111111111"}}, "montant": {}, "dateNotification": "2025-{:02}-{:02}",
                "objet": "Marché {i}", "procedure": "Appel d'offres ouvert", "nature": "Marché", "codeCPV": "45000000-7",
                "titulaires": [{{"titulaire": {{"id": "22222222222222", "typeIdentifiant": "SIRET"}}}}],
                "considerationsSociales": {{"considerationSociale": [{social}]}},
                "considerationsEnvironnementales": {{"considerationEnvironnementale": [{env}]}}}}"#,
            40_000 + (i * 37) % 900_000,
            1 + i % 12,
            1 + i % 28
        );
    }
    json.push_str("]}}");
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO organisation_siret (organisation_id, siret) VALUES ($1, '11111111111111')",
    )
    .bind(org)
    .execute(&mut *conn)
    .await
    .unwrap();
    let started = Instant::now();
    let reading = spaser::decp::read_json(json.as_bytes()).expect("generated file");
    let read = started.elapsed();
    let saving = Instant::now();
    let saved = spaser::contracts::save(&mut conn, OrganisationId(org), &reading.contracts)
        .await
        .unwrap();
    // As the upload does after a large import.
    spaser::contracts::tidy(&mut conn).await.unwrap();
    let save = saving.elapsed();
    println!(
        "  file of {} MB: read {} ({} contracts, {} errors), saved {} ({} saved) — import {} in all (target < 5 s)",
        json.len() / 1_000_000,
        ms(read),
        reading.contracts.len(),
        reading.errors.len(),
        ms(save),
        saved.saved,
        ms(read + save)
    );
    // The legal indicators page, for a signed-in member (a session made for the bench).
    let user: i64 = sqlx::query_scalar("INSERT INTO app_user (email, display_name) VALUES ('banc@exemple.fr', 'Banc') RETURNING id")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO membership (user_id, organisation_id, role) VALUES ($1, $2, 'committee')",
    )
    .bind(user)
    .bind(org)
    .execute(&mut *conn)
    .await
    .unwrap();
    let session = "b".repeat(64);
    sqlx::query("INSERT INTO user_session (id, user_id, csrf_token) VALUES ($1, $2, 'x')")
        .bind(&session)
        .bind(user)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let mut connection = Connection::open(address).await.unwrap();
    let request = get_request(
        address,
        "/organisations/banc/indicateurs-legaux?annee=2025&seuil=90000",
        Some(&session),
    );
    let mut times = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let (status, _) = connection.round_trip(&request).await.unwrap_or((0, 0));
        assert_eq!(status, 200, "the legal indicators page answers");
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "  legal indicators page over 50 000 contracts, 200 requests one after another: p50 {} p99 {} max {} (target < 50 ms)",
        ms(times[100]),
        ms(times[197]),
        ms(times[199])
    );
}
