//! What identifies a buyer: its address in the application, its kind, its SIREN, and whether
//! the law makes a SPASER compulsory for it.

use rust_decimal::Decimal;

/// The kinds of buyer, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationKind {
    Commune,
    Epci,
    Departement,
    Region,
    Etat,
    Hopital,
    Bailleur,
    Autre,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 8] = [
        OrganisationKind::Commune,
        OrganisationKind::Epci,
        OrganisationKind::Departement,
        OrganisationKind::Region,
        OrganisationKind::Etat,
        OrganisationKind::Hopital,
        OrganisationKind::Bailleur,
        OrganisationKind::Autre,
    ];
    pub const CODES: [&'static str; 8] = [
        "commune",
        "epci",
        "departement",
        "region",
        "etat",
        "hopital",
        "bailleur",
        "autre",
    ];

    pub fn parse(code: &str) -> Option<OrganisationKind> {
        let code = code.trim().to_lowercase();
        Self::CODES
            .iter()
            .position(|c| *c == code)
            .map(|i| Self::ALL[i])
    }

    /// How pages name it.
    pub fn label(self) -> &'static str {
        match self {
            OrganisationKind::Commune => "Commune",
            OrganisationKind::Epci => "Établissement public de coopération intercommunale",
            OrganisationKind::Departement => "Département",
            OrganisationKind::Region => "Région",
            OrganisationKind::Etat => "Service de l'État",
            OrganisationKind::Hopital => "Établissement public de santé",
            OrganisationKind::Bailleur => "Bailleur social",
            OrganisationKind::Autre => "Autre acheteur public",
        }
    }
}

/// An organisation's address in the application: lowercase letters, digits and single dashes.
pub fn parse_slug(text: &str) -> Result<String, String> {
    let slug = text.trim();
    let ok = !slug.is_empty()
        && slug.len() <= 60
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        Ok(slug.to_string())
    } else {
        Err(format!(
            "adresse « {slug} » invalide : des lettres minuscules sans accent, des chiffres et des tirets simples, par exemple ville-de-montreuil"
        ))
    }
}

/// An address proposed from a name: « Ville de Montreuil » → `ville-de-montreuil`, accents
/// dropped, anything else than letters and digits a dash, at most 60 characters.
pub fn propose_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        slug.push_str(plain);
    }
    let mut out = String::new();
    for part in slug.split('-').filter(|p| !p.is_empty()) {
        if out.len() + part.len() + 1 > 60 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    out
}

/// A SIREN: nine digits (spaces allowed), whose Luhn checksum holds.
pub fn parse_siren(text: &str) -> Result<String, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "SIREN « {} » invalide : neuf chiffres attendus",
            text.trim()
        ));
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let double = d * 2;
                if double > 9 { double - 9 } else { double }
            } else {
                d
            }
        })
        .sum();
    if !sum.is_multiple_of(10) {
        return Err(format!(
            "SIREN « {digits} » invalide : la clé de contrôle ne correspond pas (vérifiez les chiffres)"
        ));
    }
    Ok(digits)
}

/// The threshold of yearly purchases above which a SPASER is compulsory (50 M€ HT, D2111-3).
pub fn spaser_threshold() -> Decimal {
    Decimal::from(50_000_000)
}

/// Whether the law asks this buyer for a SPASER, from its estimated yearly purchases.
pub fn spaser_compulsory(yearly_purchases: Decimal) -> bool {
    yearly_purchases > spaser_threshold()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_proposed_from_names() {
        assert_eq!(propose_slug("Ville de Montreuil"), "ville-de-montreuil");
        assert_eq!(
            propose_slug("  Office public de l'Habitat — Île-de-France "),
            "office-public-de-l-habitat-ile-de-france"
        );
        assert_eq!(
            propose_slug("Cœur d'Essonne Agglomération"),
            "coeur-d-essonne-agglomeration"
        );
        assert_eq!(propose_slug("東京"), "");
        assert!(propose_slug(&"abc ".repeat(40)).len() <= 60);
        assert!(parse_slug(&propose_slug("Grand-Orly Seine Bièvre (EPT 12)")).is_ok());
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            parse_slug("ville-de-montreuil"),
            Ok("ville-de-montreuil".into())
        );
        assert_eq!(parse_slug(" oph93 "), Ok("oph93".into()));
        for bad in ["", "Ville", "ville--x", "-x", "x-", "é", "a b", "a_b"] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sirens_are_checked_by_their_key() {
        // The SIREN of the City of Paris (its SIRETs start with it).
        assert_eq!(parse_siren("217 500 016"), Ok("217500016".into()));
        assert!(parse_siren("217500017").is_err());
        assert!(parse_siren("21750001").is_err());
        assert!(parse_siren("21750001a").is_err());
    }

    #[test]
    fn the_spaser_is_compulsory_above_50_million() {
        assert!(!spaser_compulsory(Decimal::from(50_000_000)));
        assert!(spaser_compulsory(Decimal::from(50_000_001)));
        assert_eq!(
            OrganisationKind::parse("EPCI"),
            Some(OrganisationKind::Epci)
        );
        assert_eq!(OrganisationKind::parse("mairie"), None);
    }
}
