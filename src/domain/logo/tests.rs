//! Hostile and ordinary logos: every hostile shape is refused wherever it hides, and whatever
//! is accepted comes out free of anything that runs or loads.

use super::*;

const BENIGN: &str = r##"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     viewBox="0 0 120 40" width="120" height="40" inkscape:version="1.2">
  <sodipodi:namedview id="base" pagecolor="#ffffff"/>
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <title>Ville de Montreuil</title>
  <defs>
    <linearGradient id="g"><stop offset="0" stop-color="#0f5e6b"/><stop offset="1" stop-color="#123"/></linearGradient>
    <style>.a { fill: url(#g); } .b { fill: #333 }</style>
  </defs>
  <g inkscape:label="Calque 1" transform="translate(2 2)">
    <rect class="a" x="0" y="0" width="36" height="36" rx="4" style="fill:url('#g')"/>
    <use xlink:href="#r" x="40"/>
    <text x="44" y="26" font-size="20" class="b">M &amp; Co</text>
  </g>
</svg>"##;

fn svg(inner: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">{inner}</svg>"#
    )
}

#[test]
fn an_ordinary_svg_is_kept_without_its_editor_s_leftovers() {
    let logo = read_logo(BENIGN.as_bytes()).unwrap();
    assert_eq!(logo.mime, "image/svg+xml");
    assert_eq!(logo.hash.len(), 32);
    let out = String::from_utf8(logo.content.clone()).unwrap();
    for kept in [
        "<rect",
        "url(#g)",
        "<linearGradient",
        "xlink:href=\"#r\"",
        "M &amp; Co",
        "<title>Ville de Montreuil</title>",
    ] {
        assert!(out.contains(kept), "{kept} in {out}");
    }
    for gone in ["sodipodi", "inkscape", "metadata", "rdf", "<?xml", "<!--"] {
        assert!(!out.contains(gone), "{gone} in {out}");
    }
    // Written again, it is the same: nothing left for a second pass to take out.
    assert_eq!(read_logo(&logo.content).unwrap().content, logo.content);
}

/// Each hostile shape, and what the refusal names.
const HOSTILE: [(&str, &str); 16] = [
    ("<script>alert(1)</script>", "script"),
    ("<SCRIPT>alert(1)</SCRIPT>", "script"),
    (
        r#"<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>"#,
        "script",
    ),
    (
        r#"<rect width="1" height="1" onclick="alert(1)"/>"#,
        "onclick",
    ),
    (
        r#"<rect width="1" height="1" ONMOUSEOVER="alert(1)"/>"#,
        "ONMOUSEOVER",
    ),
    (
        r#"<a href="javascript:alert(1)"><rect width="1" height="1"/></a>"#,
        "javascript:",
    ),
    (
        r#"<a xlink:href="java&#x09;script:alert(1)"><rect width="1" height="1"/></a>"#,
        "javascript:",
    ),
    (
        r#"<use href="https://exemple.org/logo.svg#a"/>"#,
        "référence externe",
    ),
    (
        r#"<use xlink:href="data:image/svg+xml;base64,PHN2Zz4="/>"#,
        "référence externe",
    ),
    (
        r#"<image href="//exemple.org/x.png" width="1" height="1"/>"#,
        "référence externe",
    ),
    (
        r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>"#,
        "foreignObject",
    ),
    (
        "<style>@import url(https://exemple.org/a.css);</style>",
        "@import",
    ),
    (
        "<style>.a { fill: url(https://exemple.org/x.svg#g) }</style>",
        "url(",
    ),
    (
        r#"<rect width="1" height="1" style="fill: url( 'https://exemple.org/p.png' )"/>"#,
        "url(",
    ),
    (
        r#"<rect width="1" height="1" fill="url(http://exemple.org/g.svg#g)"/>"#,
        "url(",
    ),
    (
        "<animate attributeName=\"href\" to=\"javascript:alert(1)\"/>",
        "javascript:",
    ),
];

#[test]
fn hostile_svgs_are_refused_wherever_they_hide() {
    // At the top, in a group, in defs, in an element left out, deep in groups.
    let places: [fn(&str) -> String; 5] = [
        |h| svg(h),
        |h| svg(&format!("<g>{h}</g>")),
        |h| svg(&format!("<defs>{h}</defs>")),
        |h| svg(&format!("<metadata><g>{h}</g></metadata>")),
        |h| svg(&format!("{}{h}{}", "<g>".repeat(30), "</g>".repeat(30))),
    ];
    for (hostile, named) in HOSTILE {
        for place in places {
            let file = place(hostile);
            let error = read_logo(file.as_bytes()).expect_err(&file);
            assert!(error.contains(named), "{file}: {error}");
            assert!(error.starts_with("Ce fichier SVG contient"), "{error}");
        }
    }
    // On the root itself.
    let onload = r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    assert!(read_logo(onload.as_bytes()).unwrap_err().contains("onload"));
}

#[test]
fn doctypes_and_entities_are_refused_before_anything_expands() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>"#;
    assert!(
        read_logo(laughs.as_bytes())
            .unwrap_err()
            .contains("DOCTYPE")
    );
    let external = r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"#;
    assert!(
        read_logo(external.as_bytes())
            .unwrap_err()
            .contains("DOCTYPE")
    );
    let plain = r#"<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>"#;
    assert!(read_logo(plain.as_bytes()).unwrap_err().contains("DOCTYPE"));
}

#[test]
fn svgs_past_the_limits_are_refused_naming_them() {
    let big = svg(&"<rect width=\"1\" height=\"1\"/>".repeat(10_000));
    assert!(big.len() > SVG_MAX_BYTES);
    assert!(
        read_logo(big.as_bytes())
            .unwrap_err()
            .contains("256 Ko au plus")
    );
    let deep = svg(&format!("{}{}", "<g>".repeat(100), "</g>".repeat(100)));
    assert!(
        read_logo(deep.as_bytes())
            .unwrap_err()
            .contains("64 niveaux")
    );
    let many = svg(&"<g/>".repeat(25_000));
    assert!(
        read_logo(many.as_bytes())
            .unwrap_err()
            .contains("trop d'éléments")
    );
    let quotes = svg(&format!("<text>{}</text>", "'".repeat(200_000)));
    assert!(
        read_logo(quotes.as_bytes())
            .unwrap_err()
            .contains("Une fois réécrit")
    );
    let html = "<html><body>x</body></html>";
    assert!(read_logo(html.as_bytes()).unwrap_err().contains("racine"));
    assert!(read_logo(b"<svg").unwrap_err().contains("illisible"));
    assert!(
        read_logo(b"GIF89a....")
            .unwrap_err()
            .contains("ni une image PNG ni une image SVG")
    );
    assert!(read_logo(b"").is_err());
}

/// A small deterministic generator, so that a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// Whatever comes out is free of anything that runs or loads.
fn assert_clean(out: &[u8]) {
    let text = std::str::from_utf8(out).expect("UTF-8 out");
    let document = roxmltree::Document::parse(text).expect("well-formed out");
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name().to_ascii_lowercase();
        assert!(
            SVG_ELEMENTS.iter().any(|e| e.eq_ignore_ascii_case(&name)),
            "{name}"
        );
        for a in node.attributes() {
            assert!(
                !a.name().to_ascii_lowercase().starts_with("on"),
                "{}",
                a.name()
            );
            let v = squeezed(a.value());
            assert!(!v.contains("javascript:") && !v.contains("@import"), "{v}");
            if a.name() == "href" {
                assert!(a.value().trim_start().starts_with('#'), "{}", a.value());
            }
        }
    }
}

#[test]
fn mutated_svgs_never_get_anything_hostile_through() {
    let pieces: Vec<&str> = HOSTILE
        .iter()
        .map(|(h, _)| *h)
        .chain([
            "<g>",
            "</g>",
            "<rect width=\"2\" height=\"2\"/>",
            " onload=\"x()\"",
            " href=\"#a\"",
            " href=\"http://x/\"",
            "<!--",
            "-->",
            "<![CDATA[<script>]]>",
            "&amp;",
            "&#0;",
            "<?pi x?>",
            "\u{FEFF}",
        ])
        .collect();
    let mut rng = Lcg(0x5ba5e7);
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut file = BENIGN.to_string();
        for _ in 0..1 + rng.next() % 4 {
            let mut at = rng.next() % (file.len() + 1);
            while !file.is_char_boundary(at) {
                at -= 1;
            }
            if rng.next().is_multiple_of(3) {
                // Cut a few bytes out.
                let mut end = (at + rng.next() % 8).min(file.len());
                while !file.is_char_boundary(end) {
                    end -= 1;
                }
                file.replace_range(at..end, "");
            } else {
                file.insert_str(at, pieces[rng.next() % pieces.len()]);
            }
        }
        if let Ok(logo) = read_logo(file.as_bytes()) {
            accepted += 1;
            assert_clean(&logo.content);
        }
    }
    // Mutations that keep the file well-formed and harmless still go through.
    assert!(accepted > 100, "{accepted}");
}

/// A PNG's chunk: length, type, data, and a CRC (not checked here: the browser does).
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}

fn png(width: u32, height: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    out.extend(chunk(b"IDAT", &[0x78, 0x01]));
    out.extend(chunk(b"IEND", &[]));
    out
}

#[test]
fn pngs_are_checked_from_their_header_and_stripped_of_their_text() {
    let text = chunk(b"tEXt", b"Comment\0secret");
    let file = png(200, 80, &[text.clone(), chunk(b"pHYs", &[0; 9])]);
    let logo = read_logo(&file).unwrap();
    assert_eq!(logo.mime, "image/png");
    assert!(logo.content.len() == file.len() - text.len());
    assert!(!logo.content.windows(6).any(|w| w == b"secret"));
    assert!(logo.content.windows(4).any(|w| w == b"pHYs"));

    let fr = |n: u32| crate::domain::format::quantity_fr(n.into(), None);
    let wide = read_logo(&png(3000, 10, &[])).unwrap_err();
    assert!(
        wide.contains(&format!("{} × 10 pixels", fr(3000)))
            && wide.contains(&format!("{m} × {m} pixels au plus", m = fr(2000))),
        "{wide}"
    );
    let tall = read_logo(&png(10, 2001, &[])).unwrap_err();
    assert!(tall.contains(&fr(2001)), "{tall}");
    assert!(read_logo(&png(2000, 2000, &[])).is_ok());
    // Too heavy: refused before its chunks are read.
    let heavy = png(100, 100, &[chunk(b"zzZz", &vec![0; PNG_MAX_BYTES])]);
    assert!(read_logo(&heavy).unwrap_err().contains("512 Ko au plus"));
    // Truncated, a chunk running past the end, an unknown critical chunk, no data.
    let whole = png(10, 10, &[]);
    for broken in [
        whole[..whole.len() - 6].to_vec(),
        whole[..20].to_vec(),
        png(10, 10, &[chunk(b"ZZZZ", &[1])]),
        png(0, 10, &[]),
        {
            let mut f = png(10, 10, &[]);
            f[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
            f
        },
    ] {
        assert!(read_logo(&broken).unwrap_err().contains("abîmée"));
    }
    let mut no_data = PNG_SIGNATURE.to_vec();
    no_data.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
    no_data.extend(chunk(b"IEND", &[]));
    assert!(read_logo(&no_data).is_err());
    // Random bytes after a PNG signature never panic.
    let mut rng = Lcg(42);
    for _ in 0..2000 {
        let mut f = png(
            1 + (rng.next() % 2500) as u32,
            1 + (rng.next() % 50) as u32,
            &[],
        );
        let n = f.len();
        for _ in 0..rng.next() % 4 {
            f[8 + rng.next() % (n - 8)] = rng.next() as u8;
        }
        f.truncate(8 + rng.next() % (n - 7));
        let _ = read_logo(&f);
    }
}
