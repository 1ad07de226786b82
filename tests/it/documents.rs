//! The bilan as documents to download: the PDF read back with `pdftotext` (poppler-utils), the
//! DOCX unzipped.

use axum::http::StatusCode;

use crate::support::{Client, app, demo_pool, normalise};

const OFFICE: &str = "/organisations/office-habitat/plans/spaser-2025-2027";
const GOSB: &str = "/organisations/grand-orly-seine-bievre/plans/spaser-2023-2024";
const GOSB_PUBLIC: &str = "/public/grand-orly-seine-bievre/spaser-2023-2024";

/// The lines of each page, whitespace normalised, empty lines left out.
fn pdf_pages(pdf: &[u8]) -> Vec<Vec<String>> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let path = std::env::temp_dir().join(format!(
        "spaser-bilan-{}-{:?}.pdf",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<Vec<String>> = text
        .split('\u{c}')
        .map(|page| {
            page.lines()
                .map(normalise)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .collect();
    // pdftotext ends the last page with a form feed too.
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

async fn fetch_pdf(client: &mut Client, path: &str) -> Vec<Vec<String>> {
    let (status, body, content_type) = client.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert_eq!(content_type, "application/pdf");
    pdf_pages(&body)
}

fn text(pages: &[Vec<String>]) -> String {
    pages
        .iter()
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pages whose first line under the running header (or the axis heading) starts so.
fn starting(pages: &[Vec<String>], start: &str) -> usize {
    pages
        .iter()
        .filter(|p| p.iter().skip(1).take(2).any(|l| l.starts_with(start)))
        .count()
}

/// Every page says « page n / N »; every page but the cover carries the running header.
fn numbered(pages: &[Vec<String>], header: &str) {
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("page {} / {total}", i + 1)),
            "page {} of {total}: {page:?}",
            i + 1
        );
        if i > 0 {
            assert!(
                page[0].starts_with(header),
                "running header on page {}: {page:?}",
                i + 1
            );
        }
    }
}

#[tokio::test]
async fn the_gosb_bilan_pdf_has_a_cover_a_synthesis_and_a_page_per_fiche() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let pages = fetch_pdf(&mut committee, &format!("{GOSB}/bilan/2024/bilan.pdf")).await;
    numbered(
        &pages,
        "Bilan 2024 — Établissement public territorial Grand-Orly Seine Bièvre — Schéma",
    );
    let cover = &pages[0].join(" ");
    assert!(cover.contains("Bilan 2024"), "{cover}");
    assert!(cover.contains("Bilan provisoire"), "{cover}");
    assert!(cover.contains("Grand-Orly Seine Bièvre"), "{cover}");
    assert_eq!(pages[0][0], "GS", "the organisation's mark first");
    assert_eq!(pages[1][1], "Synthèse");
    // Every status heads its column of the synthesis (a word too wide for its cell is dropped).
    let synthesis = pages[1].join(" ");
    for status in [
        "Atteint",
        "Partiellement",
        "Non atteint",
        "À apprécier",
        "Non renseigné",
    ] {
        assert!(synthesis.contains(status), "{status} in {synthesis}");
    }
    // Each of the 11 fiches starts a page, right under the running header.
    for n in 1..=11 {
        assert_eq!(
            starting(&pages, &format!("FA{n} — ")),
            1,
            "FA{n} starts one page"
        );
    }
    assert!(
        pages.len() >= 13,
        "cover, synthesis and 11 fiches: {}",
        pages.len()
    );
    let all = text(&pages);
    assert!(all.contains("97 972"), "the hours of insertion");
    assert!(all.contains("97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)"));
    assert!(all.contains("75 % (58 % en 2023)"));
    // The synthesis gives the key figure of FA1 before any detail.
    let detail = pages
        .iter()
        .position(|p| p[1].starts_with("FA1 — "))
        .unwrap();
    assert!(
        text(&pages[..detail]).contains("75 % (58 % en 2023)"),
        "key figure in the synthesis"
    );
    // A chart keeps its caption: the words of the hours' chart are on the page of the chart.
    assert!(all.contains("Barres : réalisé, ligne : cible. 2023 : réalisé 58 526 h, cible 20 000 h ; 2024 : réalisé 97 972 h, cible 25 000 h."));

    // Locked, the year's bilan says it is validated, and when.
    sqlx::query(
        "INSERT INTO plan_year_lock (plan_id, year, locked_by, locked_at)
         SELECT p.id, 2024, u.id, '2025-03-04T10:00:00Z' FROM plan p, app_user u
          WHERE p.slug = 'spaser-2023-2024' AND u.email = 'admin@grand-orly-seine-bievre.demo'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let pages = fetch_pdf(&mut committee, &format!("{GOSB}/bilan/2024/bilan.pdf")).await;
    assert!(
        text(&pages[..1]).contains("Bilan validé le 4 mars 2025"),
        "{:?}",
        pages[0]
    );
}

#[tokio::test]
async fn the_office_bilan_pdf_has_every_objective_and_the_same_access_rules() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut staff = Client::signed_in(&app, "commande-publique@office-habitat.demo").await;
    let pages = fetch_pdf(&mut staff, &format!("{OFFICE}/bilan/2025/bilan.pdf")).await;
    numbered(
        &pages,
        "Bilan 2025 — Office public de l'habitat — SPASER 2025-2027",
    );
    let objectives: Vec<String> = sqlx::query_scalar(
        "SELECT o.code FROM objective o JOIN plan p ON p.id = o.plan_id
          WHERE p.slug = 'spaser-2025-2027' ORDER BY o.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(objectives.len() > 3);
    for code in &objectives {
        assert_eq!(
            starting(&pages, &format!("Objectif {code} — ")),
            1,
            "objective {code} starts one page"
        );
    }
    // The public reads it only once published, like the other exports; strangers never.
    let mut anonymous = Client::new(&app);
    let (status, _, _) = anonymous
        .get_bytes("/public/office-habitat/spaser-2025-2027/bilan/2025/bilan.pdf")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut stranger = Client::signed_in(&app, "comite@grand-orly-seine-bievre.demo").await;
    let (status, _, _) = stranger
        .get_bytes(&format!("{OFFICE}/bilan/2025/bilan.pdf"))
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    let (status, _, _) = staff
        .get_bytes(&format!("{OFFICE}/bilan/2031/bilan.pdf"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_public_reads_the_published_bilan_pdf() {
    let pool = demo_pool().await;
    sqlx::query("UPDATE plan SET published_at = now() WHERE slug = 'spaser-2023-2024'")
        .execute(&pool)
        .await
        .unwrap();
    let mut anonymous = Client::new(&app(&pool));
    let pages = fetch_pdf(
        &mut anonymous,
        &format!("{GOSB_PUBLIC}/bilan/2024/bilan.pdf"),
    )
    .await;
    assert!(
        text(&pages[..1]).contains("article L2111-3"),
        "{:?}",
        pages[0]
    );
    assert!(text(&pages).contains("75 % (58 % en 2023)"));
}

/// The paragraphs of a DOCX's body: (style, text).
fn docx_paragraphs(docx: &[u8]) -> (Vec<(String, String)>, String) {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let paragraph = regex::Regex::new(r"(?s)<w:p[ >].*?</w:p>").unwrap();
    let style = regex::Regex::new(r#"<w:pStyle w:val="([^"]+)""#).unwrap();
    let run = regex::Regex::new(r"<w:t(?: [^>]*)?>([^<]*)</w:t>").unwrap();
    let unescape = |t: &str| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let paragraphs = paragraph
        .find_iter(&xml)
        .map(|p| {
            let p = p.as_str();
            (
                style
                    .captures(p)
                    .map(|c| c[1].to_string())
                    .unwrap_or_default(),
                normalise(
                    &run.captures_iter(p)
                        .map(|c| unescape(&c[1]))
                        .collect::<String>(),
                ),
            )
        })
        .collect();
    (paragraphs, xml)
}

#[tokio::test]
async fn the_bilan_docx_has_heading_styles_tables_and_the_figures() {
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let (status, body, content_type) = committee
        .get_bytes(&format!("{GOSB}/bilan/2024/bilan.docx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let (paragraphs, xml) = docx_paragraphs(&body);
    let headings = |style: &str| -> Vec<String> {
        paragraphs
            .iter()
            .filter(|(s, _)| s == style)
            .map(|(_, t)| t.clone())
            .collect()
    };
    assert_eq!(headings("Title"), ["Bilan 2024"]);
    let first = headings("Heading1");
    assert_eq!(first[0], "Synthèse");
    // The 11 fiches as first-level headings, their actions under them.
    let fiches: Vec<&String> = first.iter().filter(|h| h.starts_with("FA")).collect();
    assert_eq!(fiches.len(), 11, "{first:?}");
    assert!(
        fiches[3]
            .starts_with("FA4 — Augmenter la part des marchés intégrant des heures d'insertion")
    );
    assert!(!headings("Heading2").is_empty());
    // Tables as tables: the synthesis and the indicators.
    assert!(xml.matches("<w:tbl>").count() >= 3, "tables");
    let all: String = paragraphs
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(all.contains("97 972 h"), "the hours in the table");
    assert!(all.contains("97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)"));
    assert!(all.contains("75 % (58 % en 2023)"));
    assert!(all.contains("Bilan provisoire"));
    // The style definitions Word maps onto its own headings.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&body[..])).unwrap();
    let mut styles = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("word/styles.xml").unwrap(),
        &mut styles,
    )
    .unwrap();
    assert!(
        styles.contains(r#"w:styleId="Heading1""#)
            && styles.contains(r#"<w:name w:val="heading 1" />"#),
        "{styles}"
    );
}

#[tokio::test]
async fn the_xlsx_has_readable_widths_and_wrapped_text() {
    use std::io::Read;
    let pool = demo_pool().await;
    let mut committee = Client::signed_in(&app(&pool), "comite@grand-orly-seine-bievre.demo").await;
    let (status, body, _) = committee
        .get_bytes(&format!("{GOSB}/bilan/2024/bilan.xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut read = |name: &str| {
        let mut out = String::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let styles = read("xl/styles.xml");
    // Column widths: one per column; « Mis en œuvre » (the 19th) wide enough to read.
    let col = regex::Regex::new(r#"<col min="(\d+)" max="(\d+)" width="([\d.]+)""#).unwrap();
    // (columns of the same width share one element)
    let widths: Vec<(u32, f64)> = col
        .captures_iter(&sheet)
        .flat_map(|c| {
            let (min, max): (u32, u32) = (c[1].parse().unwrap(), c[2].parse().unwrap());
            let width: f64 = c[3].parse().unwrap();
            (min..=max).map(move |col| (col, width))
        })
        .collect();
    assert_eq!(widths.len(), 20, "{widths:?}");
    let narrative = widths.iter().find(|(c, _)| *c == 19).unwrap().1;
    assert!(narrative >= 60.0, "Mis en œuvre is {narrative} wide");
    assert!(widths.iter().all(|(_, w)| *w >= 9.0), "{widths:?}");
    // Texts wrap, aligned to the top of their row.
    assert!(styles.contains(r#"wrapText="1""#), "{styles}");
    assert!(styles.contains(r#"vertical="top""#), "{styles}");
}
