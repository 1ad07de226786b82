//! The parsers never panic: thousands of generated inputs (a fixed-seed generator, so a failure
//! replays), each counted. `cargo test fuzz -- --nocapture` prints the counts.

use std::panic::{AssertUnwindSafe, catch_unwind};

use spaser::domain::{entry, sheet, targets};
use spaser::import::read_table;

/// xorshift64*: small, fast, and the same sequence every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "2025",
    "2026",
    "2027",
    "2030",
    "2021",
    "1990",
    ":",
    " :",
    "Valeur cible",
    "valeurs cibles",
    "Indicateurs:",
    "10 000",
    "12\u{202F}000",
    "9840",
    "95",
    "95,5",
    "1.5",
    "-3",
    "%",
    " %",
    "heures",
    "h",
    "k€",
    "M€",
    "€",
    "personnes",
    "formation",
    "marchés",
    "jusqu'à",
    "en",
    "pour",
    "(",
    ")",
    "(9840 heures en 2021)",
    "à définir",
    " ",
    "  ",
    "\t",
    "\n",
    "é",
    "œ",
    "…",
    "€€",
    "0",
    "00000000000000000000000000000",
    "9999999999999999999999999999999",
    ",",
    ".",
    ";",
    "/",
    "Direction",
    "T7",
    "90K€HT",
    "\u{FEFF}",
    "😀",
    "\u{0}",
];

fn text(rng: &mut Rng) -> String {
    let n = rng.below(12);
    (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

fn survives<T>(what: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    assert!(outcome.is_ok(), "{what} panicked on {input:?}");
}

#[test]
fn fuzz_target_texts_and_numbers() {
    let mut rng = Rng(0x5EED_2025);
    let runs = 20_000;
    for _ in 0..runs {
        let s = text(&mut rng);
        let (first, last) = (2020 + rng.below(10) as i32, 2025 + rng.below(10) as i32);
        survives("parse_targets", &s, || {
            targets::parse_targets(&s, first, last)
        });
        survives("parse_quantity", &s, || targets::parse_quantity(&s));
        survives("find_baseline", &s, || targets::find_baseline(&s, first));
        survives("marked_years_outside", &s, || {
            targets::marked_years_outside(&s, first, last)
        });
        survives("parse_target_cell", &s, || {
            targets::parse_target_cell(first, &s)
        });
        survives("parse_number", &s, || entry::parse_number(&s));
        survives("split_pilots", &s, || sheet::split_pilots(&s));
    }
    println!("fuzz: {runs} generated texts, 7 parsers each, no panic");
}

#[test]
fn fuzz_spreadsheet_files() {
    let seed = std::fs::read("../shared/seeds/office-spaser-action-plan-2025-2027.tsv").unwrap();
    let rows = read_table(&seed, "plan.tsv").unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let xlsx = workbook.save_to_buffer().unwrap();
    let mut rng = Rng(0xF11E_5EED);
    let mut tried = 0;
    let names = [
        "plan.tsv",
        "plan.csv",
        "plan.xlsx",
        "plan.ods",
        "plan.txt",
        "plan",
    ];
    for round in 0..4_000 {
        // Mutate the seed (text) or the workbook (zip), or make random bytes.
        let mut bytes = match round % 4 {
            0 | 1 => seed.clone(),
            2 if round % 40 == 2 => xlsx.clone(),
            2 => seed
                .iter()
                .map(|b| if *b == b'\t' { b';' } else { *b })
                .collect(),
            _ => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        };
        for _ in 0..rng.below(8) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, PIECES[rng.below(PIECES.len())].as_bytes()[0]),
            }
        }
        let name = names[rng.below(names.len())];
        tried += 1;
        survives("read_table", &name, || {
            if let Ok(rows) = read_table(&bytes, name) {
                let _ = sheet::read_plan(&rows, 2025, 2027);
            }
        });
    }
    println!("fuzz: {tried} generated files read (then their plans), no panic");
}

#[test]
fn fuzz_decp_files() {
    let seeds = [
        std::fs::read("../shared/decp/example-marches.json").unwrap(),
        std::fs::read("../shared/decp/example-marches-concessions.json").unwrap(),
        b"id;acheteur.id;montant;dateNotification;considerationsSociales\nA;21750001630066;95000;2025-02-01;Clause sociale, Sans objet\n".to_vec(),
    ];
    let mut rng = Rng(0xDEC9_2024);
    let mut tried = 0;
    for round in 0..6_000 {
        let mut bytes = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(6) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = rng.next() as u8,
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, b"-e9\",{[]}:0.,"[rng.below(13)]),
                _ => {
                    let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                    for (k, b) in piece.iter().enumerate() {
                        bytes.insert((at + k).min(bytes.len()), *b);
                    }
                }
            }
        }
        tried += 1;
        survives("decp::read_json", &round, || {
            spaser::decp::read_json(&bytes)
        });
        survives("decp::read_csv", &round, || spaser::decp::read_csv(&bytes));
    }
    println!("fuzz: {tried} generated DECP files, JSON and CSV readers each, no panic");
}
