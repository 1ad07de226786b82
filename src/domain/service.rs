//! A service of the buyer (DSI, DRH, Service Commande Publique…): its name as administrators
//! type it.

/// The longest service name taken.
pub const MAX_SERVICE_NAME: usize = 120;

/// A service's name: trimmed, inner spaces folded to one, not empty, at most 120 characters, no
/// control or invisible character. Uniqueness (case-insensitive, per organisation) is the
/// database's.
pub fn parse_service_name(input: &str) -> Result<String, String> {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if input.chars().any(invisible) {
        return Err(
            "Retirez les caractères invisibles ou de contrôle (retour à la ligne, marque de direction…)."
                .into(),
        );
    }
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err("Indiquez le nom du service.".into())
    } else if name.chars().count() > MAX_SERVICE_NAME {
        Err(format!(
            "Le nom est trop long ({MAX_SERVICE_NAME} caractères au plus)."
        ))
    } else {
        Ok(name)
    }
}

/// The message when another service of the organisation already has this name.
pub fn name_taken(name: &str) -> String {
    format!(
        "Un service s'appelle déjà « {name} » (sans tenir compte des majuscules) : choisissez un autre nom, ou fusionnez les deux."
    )
}

#[cfg(test)]
mod tests {
    use super::parse_service_name;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            parse_service_name("  Direction   des achats ").unwrap(),
            "Direction des achats"
        );
        assert!(parse_service_name("   ").is_err());
        assert!(parse_service_name("DSI\u{202E}").is_err());
        assert!(parse_service_name("D\nSI").is_err());
        assert!(
            parse_service_name(&"x".repeat(121))
                .unwrap_err()
                .contains("120")
        );
        assert!(parse_service_name(&"é".repeat(120)).is_ok());
    }
}
