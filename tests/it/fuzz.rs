//! The parsers never panic: thousands of generated inputs (a fixed-seed generator, so a failure
//! replays), each counted. `cargo test fuzz -- --nocapture` prints the counts.

use std::panic::{AssertUnwindSafe, catch_unwind};

use spaser::domain::{entry, sheet, targets};
use spaser::import::{self, read_table};

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
    // Issue 15's writings.
    "→",
    " → ",
    "Cible",
    "cible ",
    "Objectif ",
    "(référence 2022 : 18 500 h)",
    "référence",
    "Baisse :",
    "au moins",
    "au plus",
    "≤",
    "maximum",
    "chaque année",
    "tCO2e",
    " t",
    "jours",
    "agents",
    "=",
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
        survives("read_targets", &s, || {
            targets::read_targets(&s, first, last)
        });
        survives("canonical_unit", &s, || targets::canonical_unit(&s));
        survives("direction_cell", &s, || sheet::direction_cell(&s));
        survives("recognise", &s, || {
            spaser::domain::columns::Field::recognise(&s)
        });
    }
    println!("fuzz: {runs} generated texts, 11 parsers each, no panic");
}

#[test]
fn fuzz_spreadsheet_files() {
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/demo/office-spaser-action-plan-2025-2027.tsv"
    ))
    .unwrap();
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
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decp/example-marches.json")).unwrap(),
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decp/example-marches-concessions.json")).unwrap(),
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

/// Reads a generated file, and checks what any reading must be: no panic, done within a few
/// seconds, and rows within the sheet limits. Returns the reading and how long it took.
fn read_bounded(
    what: &str,
    bytes: &[u8],
    name: &str,
) -> (
    Result<Vec<Vec<String>>, import::FileError>,
    std::time::Duration,
) {
    let start = std::time::Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| read_table(bytes, name)));
    let took = start.elapsed();
    let Ok(reading) = outcome else {
        panic!("read_table panicked on {what}");
    };
    assert!(
        took < std::time::Duration::from_secs(30),
        "{what}: read in {took:?}"
    );
    if let Ok(rows) = &reading {
        assert!(rows.len() as u64 <= import::MAX_ROWS, "{what}");
        assert!(
            rows.iter().all(|r| r.len() as u64 <= import::MAX_COLUMNS),
            "{what}"
        );
    }
    (reading, took)
}

/// The hostile shapes of issue 11 (a value far away, a declared dimension, repeated ODS rows
/// and cells, shared texts referenced many times, spaces by the billion, parts that lie about
/// their size, too many parts), with random sizes and places, then each mutated at random: every
/// reading ends quickly, within the limits, with the limit's error when one is passed.
#[test]
fn fuzz_hostile_workbooks() {
    use crate::uploads::{SHEET_HEAD, lie_about_size, workbook, workbook_with};
    use import::FileError;
    let mut rng = Rng(0x0B0B_5EED);
    let (mut tried, mut slowest) = (0, std::time::Duration::ZERO);
    let mut check = |what: &str, bytes: &[u8], name: &str| {
        let (reading, took) = read_bounded(what, bytes, name);
        slowest = slowest.max(took);
        tried += 1;
        reading
    };
    let ods_table = |rows: &str| {
        crate::import::ods(&format!(
            r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="P">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        ))
    };
    for round in 0..300 {
        // A value at a random place, under a random declared dimension.
        let (row, column) = (
            rng.below(if round % 2 == 0 { 6_000 } else { 1_048_576 }) as u64,
            rng.below(if round % 3 == 0 { 120 } else { 16_384 }) as u64,
        );
        let place = spaser::import::cell_name(row, column);
        let dimension =
            spaser::import::cell_name(rng.below(1_048_576) as u64, rng.below(16_384) as u64);
        let sheet = format!(
            r#"{SHEET_HEAD}<dimension ref="A1:{dimension}"/><sheetData><row r="{}"><c r="{place}" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#,
            row + 1
        );
        let file = workbook(&mut sheet.as_bytes());
        let within = row < import::MAX_ROWS && column < import::MAX_COLUMNS;
        match check(&place, &file, "plan.xlsx") {
            Ok(rows) => assert!(within && rows == [["x"]], "{place}: {rows:?}"),
            Err(e) => assert!(
                !within && e == FileError::CellOutOfBounds(place.clone()),
                "{place}: {e}"
            ),
        }

        // One shared text referenced by many cells: counted each time it is used.
        let (length, cells) = (1 + rng.below(64 * 1024), 1 + rng.below(2_000));
        let strings = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>"#,
            "é".repeat(length / 2 + 1)
        );
        let mut sheet = format!("{SHEET_HEAD}<sheetData>");
        for r in 0..cells.div_ceil(50) {
            sheet.push_str(&format!("<row r=\"{}\">", r + 1));
            for c in 0..50.min(cells - r * 50) {
                sheet.push_str(&format!(
                    "<c r=\"{}\" t=\"s\"><v>0</v></c>",
                    spaser::import::cell_name(r as u64, c as u64)
                ));
            }
            sheet.push_str("</row>");
        }
        sheet.push_str("</sheetData></worksheet>");
        let text = (length / 2 + 1) * 2 * cells;
        match check(
            "shared text",
            &workbook_with(&mut sheet.as_bytes(), Some(&strings)),
            "plan.xlsx",
        ) {
            Ok(_) => assert!(text <= import::MAX_TEXT_BYTES, "{text} bytes of text read"),
            Err(e) => assert!(
                text > import::MAX_TEXT_BYTES && e == FileError::TooMuchText,
                "{e}"
            ),
        }
        // A reference to a shared text that is not there.
        let missing = format!(
            r#"{SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="s"><v>{}</v></c></row></sheetData></worksheet>"#,
            rng.next()
        );
        assert!(matches!(
            check(
                "missing shared text",
                &workbook_with(&mut missing.as_bytes(), Some("<sst/>")),
                "plan.xlsx"
            ),
            Err(FileError::Corrupt(_))
        ));

        // ODS rows and cells repeated by random counts, with or without a value.
        let (rows_repeated, columns_repeated) = (
            1 + rng.next() % if round % 2 == 0 { 10_000 } else { u64::MAX - 1 },
            1 + rng.next() % if round % 3 == 0 { 200 } else { u64::MAX - 1 },
        );
        let valued = round % 4 != 0;
        let cell = if valued {
            r#"office:value-type="string"><text:p>v</text:p></table:table-cell>"#
        } else {
            "/>"
        };
        let file = ods_table(&format!(
            r#"<table:table-row table:number-rows-repeated="{rows_repeated}"><table:table-cell table:number-columns-repeated="{columns_repeated}" {cell}</table:table-row><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#
        ));
        // The value of the last row sits below the repeated ones.
        let fits = rows_repeated < import::MAX_ROWS
            && (!valued || columns_repeated <= import::MAX_COLUMNS);
        match check("repeated ODS cells", &file, "plan.ods") {
            Ok(rows) => assert!(
                fits,
                "{rows_repeated} × {columns_repeated}: {} rows",
                rows.len()
            ),
            Err(e) => assert!(
                !fits && matches!(e, FileError::CellOutOfBounds(_)),
                "{rows_repeated} × {columns_repeated}: {e}"
            ),
        }
        // Spaces by the count.
        let spaces = rng.next() % if round % 2 == 0 { 200_000 } else { u64::MAX };
        let file = ods_table(&format!(
            r#"<table:table-row><table:table-cell><text:p>a<text:s text:c="{spaces}"/>b</text:p></table:table-cell></table:table-row>"#
        ));
        match check("ODS spaces", &file, "plan.ods") {
            Ok(rows) => assert!(
                spaces as usize + 2 <= import::MAX_CELL_BYTES
                    && rows[0][0].len() == spaces as usize + 2
            ),
            Err(e) => assert_eq!(e, FileError::CellTooLong("A1".into())),
        }

        // A sheet part that lies about its size.
        let mut liar = workbook(&mut crate::uploads::SheetXml::new(
            20_000 + rng.below(200_000) as u64,
        ));
        lie_about_size(
            &mut liar,
            "xl/worksheets/sheet1.xml",
            rng.below(20_000) as u32,
        );
        assert!(matches!(
            check("a part lying about its size", &liar, "plan.xlsx"),
            Err(FileError::PartLies(_) | FileError::Corrupt(_))
        ));

        // Any of them, mutated.
        let mut bytes = match round % 3 {
            0 => file,
            1 => liar,
            _ => crate::uploads::far_cell_workbook(),
        };
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        let _ = check(
            "mutated",
            &bytes,
            if round % 2 == 0 {
                "plan.xlsx"
            } else {
                "plan.ods"
            },
        );
    }
    // Too many parts.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..=import::MAX_ENTRIES {
        zip.start_file(
            format!("p{i}.xml"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    }
    let many = zip.finish().unwrap().into_inner();
    assert_eq!(
        check("many parts", &many, "plan.xlsx"),
        Err(FileError::TooManyEntries)
    );
    // A part over the limit, however small its zip: refused on its declared size, unread.
    let bomb = workbook(&mut crate::uploads::SheetXml::new(
        import::MAX_PART_BYTES + 100_000,
    ));
    let refused = check("a part over the limit", &bomb, "plan.xlsx");
    assert!(
        matches!(refused, Err(FileError::PartTooLarge { size: Some(_), .. })),
        "{refused:?}"
    );
    println!("fuzz: {tried} hostile workbooks read, each within the limits, slowest {slowest:.1?}");
}

/// The hostile DECP shapes of issue 11 (records by the hundred thousand, empty or not, lines
/// and records too long, nesting too deep), with random sizes, then mutated: every reading
/// ends within the limits, keeps at most 50 bad records and counts them all.
#[test]
fn fuzz_hostile_decp_files() {
    use spaser::decp::{ERRORS_KEPT, MAX_RECORD_BYTES, MAX_RECORD_VALUES, MAX_RECORDS, Reading};
    let mut rng = Rng(0x0DEC_9B0B);
    let (mut tried, mut slowest) = (0, std::time::Duration::ZERO);
    let mut check = |what: &str, f: &dyn Fn() -> Result<Reading, String>| {
        let start = std::time::Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(f));
        let took = start.elapsed();
        slowest = slowest.max(took);
        tried += 1;
        let Ok(reading) = outcome else {
            panic!("{what} panicked");
        };
        // Bounded by the record and size limits; about 5 s at most in a debug build on a quiet
        // machine, far more when the suite's other tests share the cores.
        assert!(
            took < std::time::Duration::from_secs(120),
            "{what}: {took:?}"
        );
        if let Ok(r) = &reading {
            assert!(
                r.errors.len() <= ERRORS_KEPT && r.errors.len() <= r.error_count,
                "{what}"
            );
            assert!(r.contracts.len() + r.error_count <= MAX_RECORDS, "{what}");
        }
        reading
    };
    let limit = |e: &str| e.starts_with("Le fichier compte plus de 100\u{202F}000 enregistrements");
    for round in 0..40 {
        // Empty records, or records of one contract, by the thousand.
        let records = if round % 20 < 2 {
            MAX_RECORDS - 2 + rng.below(4)
        } else {
            rng.below(3_000)
        };
        let mut csv = String::from("id;acheteur.id;montant;dateNotification\n");
        let mut json = String::from(r#"{"marches": {"marche": ["#);
        for i in 0..records {
            if round % 2 == 0 {
                csv.push_str(";;;\n");
                json.push_str("{},");
            } else {
                csv.push_str(&format!("C{i};21750001630066;95000;2025-02-01\n"));
                json.push_str(&format!(r#"{{"id": "C{i}", "acheteur": {{"id": "21750001630066"}}, "montant": 95000, "dateNotification": "2025-02-01"}},"#));
            }
        }
        json = format!("{}]}}}}", json.trim_end_matches(','));
        for (what, reading) in [
            (
                "CSV",
                check("CSV", &|| spaser::decp::read_csv(csv.as_bytes())),
            ),
            (
                "JSON",
                check("JSON", &|| spaser::decp::read_json(json.as_bytes())),
            ),
        ] {
            match reading {
                Ok(r) if records <= MAX_RECORDS => {
                    let bad = if round % 2 == 0 { records } else { 0 };
                    assert_eq!(
                        (r.error_count, r.contracts.len()),
                        (bad, records - bad),
                        "{what}"
                    );
                    assert_eq!(r.errors.len(), bad.min(ERRORS_KEPT), "{what}");
                }
                other => assert!(
                    records > MAX_RECORDS && other.as_ref().is_err_and(|e| limit(e)),
                    "{what}, {records} records: {:?}",
                    other.map(|r| r.error_count)
                ),
            }
        }
        // One CSV line around the line limit.
        let length = MAX_RECORD_BYTES - 100 + rng.below(200);
        let line = format!("L;21750001630066;95000;2025-02-01;{}\n", "o".repeat(length));
        let text = format!("id;acheteur.id;montant;dateNotification;objet\n{line}");
        let r = check("long line", &|| spaser::decp::read_csv(text.as_bytes())).unwrap();
        // The fields' bytes, separators aside.
        let too_long = line.trim_end().len() - 4 > MAX_RECORD_BYTES;
        assert_eq!(r.error_count, usize::from(too_long), "{} bytes", line.len());
        // One JSON record of so many values.
        let values = MAX_RECORD_VALUES - 10 + rng.below(20);
        let record = format!(
            r#"{{"marches": {{"marche": [{{"x": [{}]}}]}}}}"#,
            vec!["1"; values].join(",")
        );
        match check("many values", &|| {
            spaser::decp::read_json(record.as_bytes())
        }) {
            Ok(r) => assert!(values + 2 <= MAX_RECORD_VALUES && r.error_count == 1),
            Err(e) => assert!(
                values + 2 > MAX_RECORD_VALUES
                    && e.starts_with("L'enregistrement 1 compte plus de 10\u{202F}000 valeurs"),
                "{e}"
            ),
        }
        // Nesting too deep for any record.
        let depth = 1 + rng.below(5_000);
        let nested = format!(
            r#"{{"marches": {{"marche": [{}{}]}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let _ = check("nesting", &|| spaser::decp::read_json(nested.as_bytes()));
        // Mutated.
        let mut bytes = if round % 2 == 0 {
            csv.into_bytes()
        } else {
            json.into_bytes()
        };
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = b"-e9\",{[]}:0.;\n"[rng.below(14)];
        }
        let _ = check("mutated CSV", &|| spaser::decp::read_csv(&bytes));
        let _ = check("mutated JSON", &|| spaser::decp::read_json(&bytes));
    }
    println!(
        "fuzz: {tried} hostile DECP files read, each within the limits, slowest {slowest:.1?}"
    );
}

/// Headings a plan sheet may carry, for the generated layouts.
const HEADINGS: &[&str] = &[
    "Pilote(s)",
    "Numéro d'axe",
    "Intitulé de l'axe",
    "Objectif n°",
    "Libellé de l'objectif",
    "Action n°",
    "Intitulé de l'action",
    "Indicateur(s)",
    "Nature de l'indicateur",
    "Cibles",
    "Observations",
    "N°",
    "AXE",
    "Unité",
    "Sens",
    "Valeur de référence (2024)",
    "Cible 2025",
    "Cible 2026",
    "Cible 2031",
    "Fiche action",
    "",
];

/// Issue 15's layouts, generated: several sheets, a header anywhere in the first rows (or
/// further), wide rows, merged ranges down and across, headings and cells at random, columns
/// mapped at random. Every reading ends without a panic, within the limits.
#[test]
fn fuzz_new_layouts() {
    use spaser::domain::columns::Field;
    let mut rng = Rng(0x1A70_0715);
    let (mut tried, mut read_plans) = (0, 0);
    let cell = |rng: &mut Rng| -> String {
        match rng.below(4) {
            0 => HEADINGS[rng.below(HEADINGS.len())].to_string(),
            1 => rng.below(2_000).to_string(),
            _ => text(rng),
        }
    };
    for round in 0..400 {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheets = 1 + rng.below(5);
        for s in 0..sheets {
            let ws = workbook.add_worksheet();
            ws.set_name(format!("Feuille {s}")).unwrap();
            let width = 1 + rng.below(if round % 10 == 0 { 100 } else { 14 });
            let header_at = rng.below(25);
            let rows = header_at + rng.below(30);
            for r in 0..rows {
                for c in 0..width {
                    if rng.below(3) == 0 {
                        continue;
                    }
                    let value = if r == header_at {
                        HEADINGS[rng.below(HEADINGS.len())].to_string()
                    } else {
                        cell(&mut rng)
                    };
                    let _ = ws.write_string(r as u32, c as u16, value);
                }
            }
            // Ranges that do not overlap (the writer refuses overlaps).
            let mut merged = std::collections::HashSet::new();
            for _ in 0..rng.below(8) {
                let (r, c) = (rng.below(rows + 5) as u32, rng.below(width) as u16);
                let (down, across) = (rng.below(6) as u32, rng.below(3) as u16);
                let cells: Vec<(u32, u16)> = (r..=r + down)
                    .flat_map(|r| (c..=c + across).map(move |c| (r, c)))
                    .collect();
                if down + u32::from(across) == 0 || cells.iter().any(|x| merged.contains(x)) {
                    continue;
                }
                merged.extend(cells);
                let _ = ws.merge_range(
                    r,
                    c,
                    r + down,
                    c + across,
                    &cell(&mut rng),
                    &rust_xlsxwriter::Format::new(),
                );
            }
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let columns: Vec<(String, String)> = (0..rng.below(3))
            .map(|_| {
                let letter = spaser::domain::columns::column_letter(rng.below(20));
                let field = Field::CHOICES[rng.below(Field::CHOICES.len())].key();
                (letter, field)
            })
            .collect();
        let options = import::ReadOptions {
            sheet: None,
            columns,
        };
        tried += 1;
        let start = std::time::Instant::now();
        survives("new layouts", &round, || {
            let sheets = import::read_sheets(&bytes, "plan.xlsx").expect("a valid workbook");
            assert!(sheets.len() <= import::MAX_SHEETS);
            for sheet in &sheets {
                assert!(sheet.rows.len() as u64 <= import::MAX_ROWS);
                assert!(
                    sheet
                        .rows
                        .iter()
                        .all(|r| r.len() as u64 <= import::MAX_COLUMNS)
                );
            }
            if let Ok(table) = import::locate(sheets, &options) {
                let _ = table.marked_period();
                let _ = table.adopted_on();
                let header = spaser::domain::model::PlanHeader {
                    slug: "p".into(),
                    title: "P".into(),
                    first_year: 2025,
                    last_year: 2027,
                    adopted_on: None,
                    objective_term: spaser::domain::model::ObjectiveTerm::Objectif,
                };
                if import::read_located_or_ask(&table, header).is_ok() {
                    read_plans += 1;
                }
            }
        });
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }
    println!(
        "fuzz: {tried} generated workbooks in issue 15's layouts ({read_plans} read as plans), no panic"
    );
}

/// Merged ranges past every limit, by the thousand, in many sheets: clipped to the cells that
/// hold values, counted against the cell and text limits.
#[test]
fn fuzz_hostile_merges() {
    use crate::uploads::{SHEET_HEAD, workbook};
    let mut rng = Rng(0x3E76_0715);
    for round in 0..60 {
        let mut sheet = format!("{SHEET_HEAD}<sheetData>");
        let rows = 1 + rng.below(if round % 5 == 0 { 4_999 } else { 50 });
        let long = "é".repeat(1 + rng.below(50_000));
        for r in [0, rows - 1] {
            sheet.push_str(&format!(
                r#"<row r="{}"><c r="A{}" t="inlineStr"><is><t>{long}</t></is></c><c r="{}" t="inlineStr"><is><t>x</t></is></c></row>"#,
                r + 1,
                r + 1,
                spaser::import::cell_name(r as u64, rng.below(100) as u64)
            ));
        }
        sheet.push_str("</sheetData><mergeCells>");
        for _ in 0..rng.below(3_000) {
            let from = spaser::import::cell_name(rng.below(6_000) as u64, rng.below(120) as u64);
            let to =
                spaser::import::cell_name(rng.below(1_048_576) as u64, rng.below(16_384) as u64);
            sheet.push_str(&format!(r#"<mergeCell ref="{from}:{to}"/>"#));
        }
        sheet.push_str(r#"<mergeCell ref="A1:XFD1048576"/><mergeCell ref="nonsense"/></mergeCells></worksheet>"#);
        let file = workbook(&mut sheet.as_bytes());
        let (reading, took) = read_bounded("merges", &file, "plan.xlsx");
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
        match reading {
            Ok(rows) => {
                let text: usize = rows.iter().flatten().map(String::len).sum();
                assert!(text <= import::MAX_TEXT_BYTES);
                assert_eq!(rows[0][0], long);
            }
            Err(e) => assert_eq!(e, import::FileError::TooMuchText, "round {round}"),
        }
    }
    println!("fuzz: 60 workbooks of hostile merged ranges, within the limits");
}
