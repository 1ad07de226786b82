//! An organisation's logo as uploaded: a PNG, checked from its header (signature, dimensions,
//! chunk layout) without decoding a pixel and stripped of its text and metadata chunks; or an
//! SVG, parsed by `roxmltree` (no DTD, so no entity can expand) and written again from an
//! allow-list of elements and attributes. Scripts, event handlers, `<foreignObject>`, external
//! references and style sheets that load anything are refused with a message saying which.

use std::fmt::Write as _;

/// The largest PNG taken, in bytes.
pub const PNG_MAX_BYTES: usize = 512 * 1024;
/// The largest SVG taken, in bytes.
pub const SVG_MAX_BYTES: usize = 256 * 1024;
/// The largest width and height of a PNG, in pixels.
pub const PNG_MAX_SIDE: u32 = 2000;
/// The most bytes an upload may hold (the larger of the two limits).
pub const MAX_BYTES: usize = PNG_MAX_BYTES;

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Elements nested deeper than this are refused (no logo needs it).
const MAX_DEPTH: usize = 64;
/// Nodes (elements, texts, comments…) at most in an SVG.
const MAX_NODES: u32 = 20_000;

/// A logo ready to store: its bytes as they will be served, their type and their hash.
#[derive(Debug, Clone)]
pub struct Logo {
    pub content: Vec<u8>,
    pub mime: &'static str,
    /// 32 hex digits: the logo's address changes with its content.
    pub hash: String,
}

/// Reads an uploaded logo, or says in French why it is refused.
pub fn read_logo(bytes: &[u8]) -> Result<Logo, String> {
    if bytes.is_empty() {
        return Err("Choisissez un fichier (le fichier envoyé est vide).".into());
    }
    let (content, mime) = if bytes.starts_with(PNG_SIGNATURE) {
        (check_png(bytes)?, "image/png")
    } else if looks_like_xml(bytes) {
        (sanitise_svg(bytes)?, "image/svg+xml")
    } else {
        return Err(
            "Ce fichier n'est ni une image PNG ni une image SVG : enregistrez le logo dans l'un de ces formats."
                .into(),
        );
    };
    let hash = hash(&content, mime);
    Ok(Logo {
        content,
        mime,
        hash,
    })
}

fn hash(content: &[u8], mime: &str) -> String {
    use blake2::Digest;
    let mut hasher = blake2::Blake2b::<blake2::digest::consts::U16>::new();
    hasher.update(mime.as_bytes());
    hasher.update([0]);
    hasher.update(content);
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn kilobytes(n: usize) -> String {
    format!("{} Ko", n.div_ceil(1024))
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Ancillary chunks kept: how the pixels are to be shown. Text, dates, Exif and animation go.
const PNG_KEPT: [&[u8; 4]; 8] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD",
];

/// Checks a PNG from its bytes, without decoding: the signature, then `IHDR` first with
/// dimensions within the limit, every chunk within the file, `IEND` last. Returns the file
/// with only the chunks needed to show it.
fn check_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() > PNG_MAX_BYTES {
        return Err(format!(
            "Le logo PNG pèse {} : {} au plus. Réduisez l'image ou enregistrez-la en SVG.",
            kilobytes(bytes.len()),
            kilobytes(PNG_MAX_BYTES)
        ));
    }
    let broken =
        || "Cette image PNG est incomplète ou abîmée : enregistrez-la de nouveau.".to_string();
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    // IHDR: length 13, then width and height.
    if bytes.get(12..16) != Some(b"IHDR") || be32(8) != Some(13) {
        return Err(broken());
    }
    let (width, height) = (be32(16).ok_or_else(broken)?, be32(20).ok_or_else(broken)?);
    if width == 0 || height == 0 {
        return Err(broken());
    }
    if width > PNG_MAX_SIDE || height > PNG_MAX_SIDE {
        let fr = |n: u32| crate::domain::format::quantity_fr(n.into(), None);
        return Err(format!(
            "L'image fait {} × {} pixels : {m} × {m} pixels au plus. Réduisez-la.",
            fr(width),
            fr(height),
            m = fr(PNG_MAX_SIDE)
        ));
    }
    let mut out = PNG_SIGNATURE.to_vec();
    let mut at = 8;
    let mut seen_data = false;
    loop {
        let length = be32(at).ok_or_else(broken)? as usize;
        let kind: [u8; 4] = bytes
            .get(at + 4..at + 8)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(broken)?;
        let end = (at + 12).checked_add(length).ok_or_else(broken)?;
        if end > bytes.len() || !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(broken());
        }
        let critical = kind[0].is_ascii_uppercase();
        let keep = match &kind {
            b"IHDR" => at == 8,
            b"PLTE" | b"IEND" => true,
            b"IDAT" => {
                seen_data = true;
                true
            }
            _ if critical => return Err(broken()),
            other => PNG_KEPT.contains(&other),
        };
        if kind == *b"IHDR" && at != 8 {
            return Err(broken());
        }
        if keep {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
        if kind == *b"IEND" {
            break;
        }
    }
    if !seen_data {
        return Err(broken());
    }
    Ok(out)
}

/// Elements written back; any other is left out with what it holds.
const SVG_ELEMENTS: [&str; 25] = [
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "marker",
    "style",
    "switch",
];

/// Elements whose text is kept.
const SVG_TEXT: [&str; 5] = ["title", "desc", "text", "tspan", "style"];

/// Attributes (without namespace) written back; any other is left out.
const SVG_ATTRIBUTES: [&str; 77] = [
    "id",
    "class",
    "style",
    "version",
    "viewBox",
    "preserveAspectRatio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "pathLength",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "color",
    "display",
    "visibility",
    "overflow",
    "clip-path",
    "clip-rule",
    "mask",
    "marker-start",
    "marker-mid",
    "marker-end",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "markerWidth",
    "markerHeight",
    "markerUnits",
    "refX",
    "refY",
    "orient",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "letter-spacing",
    "dx",
    "dy",
    "href",
    "shape-rendering",
    "vector-effect",
];

/// Re-writes an SVG from its allowed parts, or says what in it is refused.
fn sanitise_svg(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() > SVG_MAX_BYTES {
        return Err(format!(
            "Le logo SVG pèse {} : {} au plus.",
            kilobytes(bytes.len()),
            kilobytes(SVG_MAX_BYTES)
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "Ce fichier SVG n'est pas encodé en UTF-8 : enregistrez-le de nouveau.".to_string()
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..Default::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => {
            "Ce fichier SVG contient une déclaration DOCTYPE (entités) : elle est refusée. Enregistrez-le sans elle (« SVG simple »).".to_string()
        }
        roxmltree::Error::NodesLimitReached => format!(
            "Ce fichier SVG compte trop d'éléments : {} au plus.",
            crate::domain::format::quantity_fr(MAX_NODES.into(), None)
        ),
        e => format!("Ce fichier SVG est illisible ({e})."),
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err(
            "Ce fichier n'est pas une image SVG (son élément racine n'est pas <svg> de l'espace SVG)."
                .into(),
        );
    }
    let mut out = String::with_capacity(text.len());
    write_element(root, 0, &mut out)?;
    // Escaping may lengthen it (an apostrophe becomes five characters): still bounded.
    if out.len() > PNG_MAX_BYTES {
        return Err(format!(
            "Une fois réécrit, ce fichier SVG pèserait {} : {} au plus.",
            kilobytes(out.len()),
            kilobytes(PNG_MAX_BYTES)
        ));
    }
    Ok(out.into_bytes())
}

fn refused(what: &str) -> String {
    format!("Ce fichier SVG contient {what} : il est refusé. Enregistrez le logo sans lui.")
}

/// A value with spaces and control characters removed, lowercased: what a browser reads as a
/// scheme (`java\tscript:`).
fn squeezed(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Refuses a value that would run or load something: a script scheme, an `@import`, a `url(…)`
/// that is not a fragment of the document itself.
fn check_value(value: &str) -> Result<(), String> {
    let v = squeezed(value);
    if v.contains("javascript:") || v.contains("vbscript:") {
        return Err(refused("un lien « javascript: »"));
    }
    if v.contains("@import") {
        return Err(refused("une feuille de style importée (@import)"));
    }
    if v.contains("expression(") || v.contains("-moz-binding") || v.contains("behavior:") {
        return Err(refused("une expression de style exécutable"));
    }
    let mut rest = v.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        let target = rest.trim_start_matches(['"', '\'']);
        if !target.starts_with('#') {
            return Err(refused(
                "une référence externe dans un style (url(…) vers un autre fichier)",
            ));
        }
    }
    Ok(())
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn write_element(node: roxmltree::Node, depth: usize, out: &mut String) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "Ce fichier SVG imbrique ses éléments trop profondément ({MAX_DEPTH} niveaux au plus)."
        ));
    }
    let tag = node.tag_name();
    let name = tag.name();
    // Refused in any namespace: what runs, or embeds another document.
    if name.eq_ignore_ascii_case("script") {
        return Err(refused("un script"));
    }
    if name.eq_ignore_ascii_case("foreignObject") {
        return Err(refused("un élément <foreignObject>"));
    }
    let in_svg = tag.namespace() == Some(SVG_NS);
    for attribute in node.attributes() {
        let attr = attribute.name();
        if attr.len() > 2 && attr.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on")) {
            return Err(refused(&format!("un gestionnaire d'événement ({attr}=…)")));
        }
        check_value(attribute.value())?;
        let is_href = attr == "href" && matches!(attribute.namespace(), None | Some(XLINK_NS));
        if is_href && !attribute.value().trim_start().starts_with('#') {
            return Err(refused(&format!(
                "une référence externe (href=\"{}\")",
                attribute.value().chars().take(60).collect::<String>()
            )));
        }
    }
    if !in_svg || !SVG_ELEMENTS.contains(&name) {
        // Still looked through: a script hidden in an element left out is refused all the same.
        return node
            .children()
            .filter(|c| c.is_element())
            .try_for_each(|c| check_only(c, depth + 1));
    }
    out.push('<');
    out.push_str(name);
    if depth == 0 {
        out.push_str(
            r#" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink""#,
        );
    }
    for attribute in node.attributes() {
        let written = match (attribute.namespace(), attribute.name()) {
            (None, a) if SVG_ATTRIBUTES.contains(&a) => a.to_string(),
            (Some(XLINK_NS), "href") => "xlink:href".into(),
            (Some(XML_NS), "space") => "xml:space".into(),
            _ => continue,
        };
        let _ = write!(out, " {written}=\"");
        escape(attribute.value(), out);
        out.push('"');
    }
    out.push('>');
    let keeps_text = SVG_TEXT.contains(&name);
    for child in node.children() {
        if child.is_element() {
            write_element(child, depth + 1, out)?;
        } else if child.is_text() && keeps_text {
            let text = child.text().unwrap_or_default();
            if name == "style" {
                check_value(text)?;
            }
            escape(text, out);
        }
    }
    let _ = write!(out, "</{name}>");
    Ok(())
}

/// An element left out, looked through for what must be refused.
fn check_only(node: roxmltree::Node, depth: usize) -> Result<(), String> {
    let mut discard = String::new();
    // Writing into a buffer thrown away runs the same checks, at the same depth.
    write_element(node, depth, &mut discard)
}

#[cfg(test)]
mod tests;
