//! An organisation's logo: uploaded on the profile page as PNG or SVG, shown in the header of
//! its members' and public pages, served as an image only, refused with a French message when
//! too large or not an image, removed.

use axum::http::StatusCode;

use crate::support::{Client, Page, app, demo_pool, publish_office};

const PROFILE: &str = "/organisations/office-habitat/profil";

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A real PNG (RGBA, the pixels stored uncompressed in zlib blocks) of `width` × `height`, with
/// a text chunk and `padding` bytes of an ancillary chunk browsers skip.
pub fn png(width: u32, height: u32, padding: usize) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&[(x * 40) as u8, 94, (y * 60) as u8, 255]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"tEXt", b"Author\0Jean Dupont"));
    if padding > 0 {
        out.extend(chunk(b"zzZz", &vec![0; padding]));
    }
    out.extend(chunk(b"IDAT", &zlib));
    out.extend(chunk(b"IEND", &[]));
    out
}

pub const SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 120 48" width="120" height="48">
  <metadata>Inkscape</metadata>
  <rect x="0" y="0" width="48" height="48" rx="8" fill="#0f5e6b" inkscape:label="fond"/>
  <path d="M10 34 L24 12 L38 34 Z" fill="#ffffff"/>
  <text x="56" y="32" font-size="20" font-family="sans-serif" fill="#0f5e6b">OPH</text>
</svg>"##;

/// Sends a file as the profile page's logo form does.
pub async fn upload(client: &mut Client, path: &str, name: &str, bytes: &[u8]) -> Page {
    let boundary = "----spaser-logo-boundary";
    let token = client.csrf.clone().unwrap_or_default();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .post_bytes(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
}

fn header_logo(page: &Page) -> (Vec<String>, Vec<String>) {
    (
        page.attrs("header a.brand img.brand-logo", "src"),
        page.attrs("header a.brand img.brand-logo", "alt"),
    )
}

#[tokio::test]
async fn a_logo_is_uploaded_shown_in_the_header_served_as_an_image_and_removed() {
    let pool = demo_pool().await;
    let app = app(&pool);
    let mut admin = Client::signed_in(&app, "admin@office-habitat.demo").await;
    admin.get(PROFILE).await;
    let before: i64 =
        sqlx::query_scalar("SELECT revision FROM plan WHERE slug = 'spaser-2025-2027'")
            .fetch_one(&pool)
            .await
            .unwrap();

    // A PNG: accepted, its text chunk gone, shown in the header with the organisation's name.
    let file = png(6, 3, 0);
    let sent = upload(&mut admin, &format!("{PROFILE}/logo"), "logo.png", &file).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = admin.get(sent.location().unwrap()).await;
    assert_eq!(
        page.texts("[role=status]"),
        ["Logo enregistré : il figure désormais en tête des pages."]
    );
    let (src, alt) = header_logo(&page);
    assert_eq!(alt, ["Logo de Office public de l'habitat"]);
    assert!(
        page.texts("header .brand-mark").is_empty(),
        "the logo replaces the initials"
    );
    let png_src = src[0].clone();
    assert!(
        png_src.starts_with("/organisations/office-habitat/logo/"),
        "{png_src}"
    );
    let served = admin.get(&png_src).await;
    assert_eq!(served.status, StatusCode::OK);
    for (name, value) in [
        ("content-type", "image/png"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "public, max-age=31536000, immutable"),
    ] {
        assert_eq!(served.headers.get(name).unwrap(), value, "{name}");
    }
    let (_, bytes, _) = admin.get_bytes(&png_src).await;
    assert!(bytes.starts_with(b"\x89PNG") && bytes.windows(4).any(|w| w == b"IDAT"));
    assert!(
        !bytes.windows(11).any(|w| w == b"Jean Dupont"),
        "metadata stripped"
    );
    let after: i64 =
        sqlx::query_scalar("SELECT revision FROM plan WHERE slug = 'spaser-2025-2027'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(after > before, "the public pages are rendered again");

    // On the public pages too, for anyone.
    publish_office(&pool).await;
    let mut visitor = Client::new(&app);
    let public = visitor.get("/public/office-habitat/spaser-2025-2027").await;
    assert_eq!(header_logo(&public).0, std::slice::from_ref(&png_src));
    assert_eq!(visitor.get(&png_src).await.status, StatusCode::OK);

    // An SVG replaces it, re-written without the editor's leftovers; the former address is gone.
    let sent = upload(
        &mut admin,
        &format!("{PROFILE}/logo"),
        "logo.svg",
        SVG.as_bytes(),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = admin.get(PROFILE).await;
    let svg_src = header_logo(&page).0[0].clone();
    assert_ne!(svg_src, png_src);
    assert_eq!(admin.get(&png_src).await.status, StatusCode::NOT_FOUND);
    let served = visitor.get(&svg_src).await;
    assert_eq!(served.headers.get("content-type").unwrap(), "image/svg+xml");
    assert_eq!(
        served.headers.get("content-security-policy").unwrap(),
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    assert!(
        served.body.contains("<path") && !served.body.contains("inkscape"),
        "{}",
        served.body
    );

    // Refused, each with a French message naming the limit or the fault; the logo stays.
    let hostile = SVG.replace("<path", "<script>alert(1)</script><path");
    let too_big = png(40, 40, 600 * 1024);
    let too_wide = png(2400, 1, 0);
    for (name, bytes, message) in [
        ("logo.svg", hostile.as_bytes(), "un script"),
        ("logo.png", too_big.as_slice(), "512 Ko au plus"),
        ("logo.png", too_wide.as_slice(), "pixels au plus"),
        (
            "logo.gif",
            b"GIF89a\x01\x00\x01\x00".as_slice(),
            "ni une image PNG ni une image SVG",
        ),
        ("vide.png", b"".as_slice(), "Choisissez le fichier du logo"),
    ] {
        let refused = upload(&mut admin, &format!("{PROFILE}/logo"), name, bytes).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let error = refused.texts("#logo-error").join(" ");
        assert!(error.contains(message), "{name}: {error}");
        assert_eq!(
            header_logo(&refused).0,
            std::slice::from_ref(&svg_src),
            "{name}"
        );
    }

    // Removed: the initials again, the address gone.
    let removed = admin.post(&format!("{PROFILE}/logo/retirer"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = admin.get(removed.location().unwrap()).await;
    assert!(header_logo(&page).0.is_empty());
    assert_eq!(page.texts("header .brand-mark"), ["OP"]);
    assert_eq!(visitor.get(&svg_src).await.status, StatusCode::NOT_FOUND);
    let log: Vec<String> = sqlx::query_scalar("SELECT what FROM organisation_log ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(log, ["Logo changé", "Logo changé", "Logo retiré"]);

    // Other roles and organisations cannot change it.
    for (email, expected) in [
        ("pilote@office-habitat.demo", StatusCode::FORBIDDEN),
        ("admin@grand-orly-seine-bievre.demo", StatusCode::NOT_FOUND),
    ] {
        let mut other = Client::signed_in(&app, email).await;
        let sent = upload(
            &mut other,
            &format!("{PROFILE}/logo"),
            "logo.svg",
            SVG.as_bytes(),
        )
        .await;
        assert_eq!(sent.status, expected, "{email}");
    }
}
