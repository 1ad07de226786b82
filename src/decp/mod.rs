//! Reading the buyer's contract data (DECP v2, « données essentielles de la commande publique »):
//! the official JSON (`{"marches": {"marche": [...], "contrat-concession": [...]}}`) or the flat
//! CSV that data.gouv.fr and decp.info publish. Every record is checked; the bad ones are reported
//! by their rank and id, never silently dropped.

mod csv;
mod json;
mod model;
mod record;
mod sanitize;

pub use self::csv::{read_csv, stream_csv};
pub use json::{read_json, stream_json};
pub use model::{Contract, Found, Measure, Reading, RecordError, Scope, Uids};

/// Amounts above this (100 billion euros) are taken for typing slips.
pub const ABSURD_AMOUNT: i64 = 100_000_000_000;

/// The largest file accepted for upload (the readers below also take larger ones, for the
/// benchmark: their bounds are on records and values).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Records in one file, at most: a buyer's contracts of many years fit well below.
pub const MAX_RECORDS: usize = 100_000;
/// Values (objects, lists, texts, numbers) in one JSON record, at most.
pub const MAX_RECORD_VALUES: usize = 10_000;
/// Bytes of one CSV line, at most.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Bad records kept with their detail; the others are counted.
pub const ERRORS_KEPT: usize = 50;

fn too_many_records() -> String {
    format!(
        "Le fichier compte plus de {} enregistrements : c'est la limite d'un import. Découpez-le (par exemple par année) et importez chaque partie.",
        crate::domain::format::number_fr(MAX_RECORDS.into())
    )
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    fn record(extra: &str) -> String {
        format!(
            r#"{{"marches": {{"marche": [{{"id": "A1", "acheteur": {{"id": "21750001630066"}}, "montant": 100000,
               "dateNotification": "2025-03-01", "objet": "Nettoyage", "procedure": "Appel d'offres ouvert", "nature": "Marché"{extra}}}]}}}}"#
        )
    }

    #[test]
    fn the_official_example_reads() {
        let r = read_json(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/decp/example-marches.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.contracts.len(), 2);
        let c = &r.contracts[0];
        assert_eq!(
            (c.id.as_str(), c.buyer.as_str()),
            ("TEST2022", "21750001630066")
        );
        assert_eq!(
            c.amount,
            Decimal::from_str("123457.87").unwrap(),
            "the modification's amount"
        );
        assert_eq!(c.holders, ["868768687576575"], "the modification's holders");
        assert!(
            c.social_clause
                && c.social_criterion
                && !c.reserved
                && c.env_clause
                && !c.env_criterion
        );
        let both = read_json(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/decp/example-marches-concessions.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(both.contracts.len(), 4, "{:?}", both.errors);
        assert_eq!(both.contracts.iter().filter(|c| c.concession).count(), 2);
    }

    #[test]
    fn bad_records_are_reported_by_rank_and_id() {
        assert!(
            read_json(b"{ not json")
                .unwrap_err()
                .starts_with("Le fichier n'est pas un JSON valide")
        );
        assert!(
            read_json(br#"{"marches": [{"id": "x"}]}"#)
                .unwrap_err()
                .contains("DECP v1")
        );
        assert!(
            read_json(br#"{"autre": 1}"#)
                .unwrap_err()
                .contains("enveloppe « marches » est absente")
        );
        let cases = [
            (r#", "montant": -5"#, "montant négatif"),
            (r#", "montant": 1e15"#, "montant invraisemblable"),
            (
                r#", "dateNotification": "15/03/2025""#,
                "dateNotification illisible",
            ),
            (
                r#", "considerationsSociales": {"considerationSociale": ["Clause solidaire"]}"#,
                "considération sociale inconnue : « Clause solidaire »",
            ),
        ];
        for (extra, message) in cases {
            // The later key wins in serde_json: the extra fields replace the valid ones.
            let r = read_json(record(extra).as_bytes()).unwrap();
            assert_eq!(r.contracts.len(), 0, "{extra}");
            assert_eq!(r.errors.len(), 1);
            let e = &r.errors[0];
            assert_eq!((e.index, e.id.as_deref()), (1, Some("A1")));
            assert!(e.to_string().contains(message), "{e}");
        }
        let missing = read_json(br#"{"marches": {"marche": [{"objet": "x"}]}}"#).unwrap();
        assert_eq!(
            missing.errors[0].to_string(),
            "enregistrement 1 (sans id) : id manquant ; acheteur.id manquant ; montant manquant ; dateNotification manquante"
        );
    }

    #[test]
    fn amounts_written_as_text_are_read_the_french_way() {
        let amount = |written: &str| {
            let r = read_json(
                record(&format!(r#", "montant": {}"#, serde_json::json!(written))).as_bytes(),
            )
            .unwrap();
            match (r.contracts.first(), r.errors.first()) {
                (Some(c), None) => Ok(c.amount),
                (None, Some(e)) => Err(e.problems.join(" ; ")),
                _ => unreachable!(),
            }
        };
        for (written, value) in [
            ("95000", "95000"),
            ("95000.50", "95000.50"),
            ("95000,50", "95000.50"),
            ("95 000,50", "95000.50"),
            ("95\u{A0}000", "95000"),
            ("95\u{202F}000,5", "95000.5"),
            (" 31 107,86 € ", "31107.86"),
        ] {
            assert_eq!(
                amount(written),
                Ok(Decimal::from_str(value).unwrap()),
                "{written:?}"
            );
        }
        for (written, problem) in [
            ("", "montant manquant"),
            ("NC", "montant manquant"),
            ("abc", "montant illisible"),
            ("9 5000", "montant illisible"),
            ("12 h", "montant illisible"),
            ("90 k€", "montant illisible"),
            ("-3", "montant négatif (-3)"),
            ("200000000000", "montant invraisemblable (200000000000 €)"),
            (
                "1 000 000 000 000 000",
                "montant invraisemblable (« 1 000 000 000 000 000 »)",
            ),
        ] {
            assert_eq!(amount(written), Err(problem.to_string()), "{written:?}");
        }
    }

    #[test]
    fn the_flat_csv_reads_like_the_json() {
        let csv = "id;acheteur.id;montant;dateNotification;objet;considerationsSociales;considerationsEnvironnementales;titulaire_id\n\
                   B1;21750001630066;95000;2025-02-01;Travaux;Clause sociale, Marché réservé;Sans objet;12345678900011\n\
                   B2;21750001630066;20000,5;2025-02-03;Fournitures;Sans objet;Critère environnemental;\n\
                   B3;21750001630066;abc;2025-02-03;Fournitures;Sans objet;Sans objet;\n";
        let r = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(r.contracts.len(), 2);
        assert!(
            r.contracts[0].social_clause && r.contracts[0].reserved && !r.contracts[0].env_clause
        );
        assert_eq!(r.contracts[1].amount, Decimal::from_str("20000.5").unwrap());
        assert!(r.contracts[1].env_criterion);
        assert_eq!(
            r.errors[0].to_string(),
            "enregistrement 3 (B3) : montant illisible"
        );
    }
}
