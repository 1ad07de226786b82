//! The shape the README's « Architecture » promises, read from the sources: a web feature
//! (`src/web/<feature>/`) never imports another feature, the shared web modules import no feature,
//! and plan storage (`src/plans/`) calls nothing but the domain and the database.
//!
//! Every path the code names (`use` trees with their groups, and paths written inline) is resolved
//! to an absolute one from the module it is written in (`super::`, `self::`, inline `mod`s), so
//! `super::super::bilan` from `web::entry::page` counts as `crate::web::bilan`.

use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// What the shared web modules are: anything of `src/web/` that is not a feature's folder.
/// Storage may call these top-level modules only.
const STORAGE_MAY_CALL: [&str; 3] = ["domain", "db", "plans"];

/// A path named in a file, resolved: `["web", "view", "Badge"]`.
#[derive(Debug)]
struct Named {
    path: Vec<String>,
    line: usize,
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Bang,
    Other,
}

/// The code's tokens with their lines; comments and the contents of strings and characters
/// are skipped (a message may well say `crate::web`).
fn tokens(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if c == 'r' && (at(i + 1) == '"' || (at(i + 1) == '#' && at(i + 2) != '[')) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push((Token::Ident("r".into()), line));
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                line += usize::from(chars[j] == '\n');
                j += 1;
            }
            out.push((Token::Other, line));
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                line += usize::from(at(j) == '\n');
                j += 1;
            }
            out.push((Token::Other, line));
            i = j + 1;
        } else if c == '\'' && (at(i + 2) == '\'' || at(i + 1) == '\\') {
            // A character ('x', '\n', '\u{..}'); a lifetime ('a) has no closing quote.
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.push((Token::Other, line));
            i = j + 1;
        } else if c.is_alphanumeric() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            out.push((Token::Ident(chars[i..j].iter().collect()), line));
            i = j;
        } else if c == ':' && at(i + 1) == ':' {
            out.push((Token::PathSep, line));
            i += 2;
        } else {
            out.push((
                match c {
                    '{' => Token::Open,
                    '}' => Token::Close,
                    ',' => Token::Comma,
                    '*' => Token::Star,
                    '!' => Token::Bang,
                    _ => Token::Other,
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// A path starting at `i`, with its `{…}` groups expanded: every full path it names.
fn path_tree(tokens: &[(Token, usize)], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut segments = Vec::new();
    while let Some((Token::Ident(name), _)) = tokens.get(i) {
        segments.push(name.clone());
        i += 1;
        if tokens.get(i).map(|t| &t.0) != Some(&Token::PathSep) {
            return (vec![segments], i);
        }
        i += 1;
        match tokens.get(i).map(|t| &t.0) {
            Some(Token::Open) => {
                i += 1;
                let mut paths = Vec::new();
                while let Some((token, _)) = tokens.get(i) {
                    match token {
                        Token::Close => {
                            i += 1;
                            break;
                        }
                        Token::Comma => i += 1,
                        Token::Ident(_) => {
                            let (inner, next) = path_tree(tokens, i);
                            paths.extend(inner.into_iter().map(|p| [segments.clone(), p].concat()));
                            // `as` renames: skip to the next item.
                            i = next;
                            while !matches!(
                                tokens.get(i).map(|t| &t.0),
                                None | Some(Token::Comma | Token::Close)
                            ) {
                                i += 1;
                            }
                        }
                        _ => i += 1,
                    }
                }
                return (paths, i);
            }
            Some(Token::Star) => {
                segments.push("*".into());
                return (vec![segments], i + 1);
            }
            _ => {}
        }
    }
    (vec![segments], i)
}

/// The module a file is: `src/web/entry/page.rs` is `["web", "entry", "page"]`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(SRC).unwrap().with_extension("");
    let mut module: Vec<String> = relative
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod" || m == "lib") {
        module.pop();
    }
    module
}

/// Every path `source` (the file of module `module`) names from the crate's root (`crate::`,
/// `super::`, `self::`), made absolute. Inline `mod name { … }` blocks are followed.
fn named_paths(module: &[String], source: &str) -> Vec<Named> {
    let tokens = tokens(source);
    let mut out = Vec::new();
    // Inline modules open: their name and the brace depth at which they close.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i].0 {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some((Token::Ident(name), _)), Some((Token::Open, _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
            }
            Token::Ident(word)
                if ["crate", "super", "self"].contains(&word.as_str())
                    && (i == 0 || tokens[i - 1].0 != Token::PathSep) =>
            {
                let here: Vec<String> = module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(name, _)| name.clone()))
                    .collect();
                let (paths, next) = path_tree(&tokens, i);
                // `crate::name!`: a macro exported at the root, not a module.
                let macro_call = tokens.get(next).map(|t| &t.0) == Some(&Token::Bang);
                for path in paths.into_iter().filter(|_| !macro_call) {
                    if let Some(path) = absolute(&here, &path) {
                        out.push(Named {
                            path,
                            line: tokens[i].1,
                        });
                    }
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `path` named in module `here`, from the crate's root; `None` for `self` alone (a value).
fn absolute(here: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut resolved = match path.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            here[..here.len().checked_sub(ups)?].to_vec()
        }
        _ => return None,
    };
    let first = usize::from(path[0] != "super") + path.iter().take_while(|s| *s == "super").count();
    resolved.extend(
        path[first.min(path.len())..]
            .iter()
            .filter(|s| *s != "self")
            .cloned(),
    );
    (path.len() > 1).then_some(resolved)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The web features: the folders of `src/web/`.
fn features() -> Vec<String> {
    let mut features: Vec<String> = std::fs::read_dir(Path::new(SRC).join("web"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    features.sort();
    features
}

/// What `module`'s source names that it must not: another web feature (from a feature or a
/// shared web module), anything but the domain and the database (from plan storage).
fn violations(module: &[String], source: &str, features: &[String]) -> Vec<String> {
    let mine = match module {
        [web, feature, ..] if web == "web" && features.contains(feature) => Some(feature.as_str()),
        _ => None,
    };
    let shared_web =
        module.first().is_some_and(|m| m == "web") && mine.is_none() && module.len() > 1;
    named_paths(module, source)
        .into_iter()
        .filter(
            |named| match (module.first().map(String::as_str), named.path.as_slice()) {
                (Some("web"), [web, other, ..]) if web == "web" && features.contains(other) => {
                    (mine.is_some() || shared_web) && mine != Some(other.as_str())
                }
                (Some("plans"), [top, ..]) => !STORAGE_MAY_CALL.contains(&top.as_str()),
                _ => false,
            },
        )
        .map(|named| format!("{} (line {})", named.path.join("::"), named.line))
        .collect()
}

#[test]
fn no_feature_imports_another_and_storage_calls_no_feature() {
    let features = features();
    for expected in ["bilan", "entry", "home", "import", "plans"] {
        assert!(features.iter().any(|f| f == expected), "{features:?}");
    }
    let mut files = Vec::new();
    rust_files(&Path::new(SRC).join("web"), &mut files);
    rust_files(&Path::new(SRC).join("plans"), &mut files);
    files.sort();
    assert!(files.len() > 20, "{files:?}");
    let mut found = Vec::new();
    let mut named = 0;
    for file in &files {
        let module = module_of(file);
        // The router (`web/mod.rs`) is where the features are put together.
        if module == ["web"] {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        named += named_paths(&module, &source).len();
        for v in violations(&module, &source, &features) {
            found.push(format!(
                "{}: {v}",
                file.strip_prefix(SRC).unwrap().display()
            ));
        }
    }
    // The files were read, not skipped: their `use`s are many.
    assert!(named > 200, "{named} paths named");
    assert!(
        found.is_empty(),
        "a feature imports another, or storage calls a feature:\n{}",
        found.join("\n")
    );
}

/// The reader of paths catches what it is there to catch: it is not blind.
#[test]
fn the_architecture_check_sees_every_way_of_naming_a_module() {
    let features: Vec<String> = ["bilan", "entry", "plans"].map(String::from).to_vec();
    let module = |m: &str| m.split("::").map(String::from).collect::<Vec<_>>();
    let caught = |m: &str, source: &str| violations(&module(m), source, &features);
    // From a feature's submodule, its parent's parent is `web`.
    assert!(!caught("web::entry::page", "use super::super::bilan::Row;").is_empty());
    assert!(caught("web::entry::page", "use super::super::view::Badge;").is_empty());
    assert!(caught("web::entry::page", "use super::review::*;").is_empty());
    // From a feature's `mod.rs`, `super` is `web`.
    assert!(!caught("web::entry", "use super::{view::Badge, bilan::Row};").is_empty());
    assert!(!caught("web::entry", "fn f() { super::plans::load(); }").is_empty());
    assert!(
        !caught(
            "web::entry",
            "use crate::web::{self, layout, plans::{self, X as Y}};"
        )
        .is_empty()
    );
    assert!(caught("web::entry", "use crate::plans::read;").is_empty());
    // Inside an inline module, `super` is the file's module.
    assert!(
        !caught(
            "web::entry",
            "mod tests { use super::*; use super::super::bilan; }"
        )
        .is_empty()
    );
    // A shared web module imports no feature.
    assert!(!caught("web::view", "use crate::web::entry::Field;").is_empty());
    // Storage calls the domain and the database, nothing else.
    assert!(!caught("plans::store", "use crate::import::action_key;").is_empty());
    assert!(!caught("plans::store::writer", "use super::super::super::web::X;").is_empty());
    assert!(
        caught(
            "plans::store",
            "use crate::domain::model::{self, PlanDraft};"
        )
        .is_empty()
    );
    // A macro exported at the root is no module.
    assert!(caught("plans::read", "crate::has_period!(PlanTree);").is_empty());
    // Strings and comments say what they like.
    assert!(caught("web::entry", "// crate::web::bilan\nconst A: &str = \"crate::web::bilan\"; const B: &str = r#\"super::bilan\"#; const C: char = '\"';").is_empty());
}
