//! Accounts and what each role may do: plain rules, no HTTP, no database.

use std::fmt;

/// A user's role in one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// « Administrateur » : the plan's structure, users, publication.
    Admin,
    /// « Commande publique » : enters, validates, locks and overrides any value.
    Procurement,
    /// « Pilote » : enters values for the actions its services pilot; reads the rest.
    Pilot,
    /// « Comité » : reads everything, changes nothing.
    Committee,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Procurement, Role::Pilot, Role::Committee];

    pub fn as_db(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Procurement => "procurement",
            Role::Pilot => "pilot",
            Role::Committee => "committee",
        }
    }

    pub fn from_db(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_db() == value)
    }

    /// Reads a role as a person types it, in French or English.
    pub fn parse(value: &str) -> Option<Role> {
        match value.trim().to_lowercase().as_str() {
            "admin" | "administrateur" | "administratrice" => Some(Role::Admin),
            "procurement" | "commande-publique" | "commande publique" => Some(Role::Procurement),
            "pilot" | "pilote" => Some(Role::Pilot),
            "committee" | "comite" | "comité" => Some(Role::Committee),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrateur",
            Role::Procurement => "Commande publique",
            Role::Pilot => "Pilote",
            Role::Committee => "Comité de suivi",
        }
    }

    /// May manage the plan's structure, the users and the publication.
    pub fn administers(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An e-mail address, trimmed and in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("Saisissez une adresse e-mail.");
        }
        if email.chars().count() > 254 {
            return Err("L'adresse e-mail est trop longue (254 caractères au plus).");
        }
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
                && email.matches('@').count() == 1
        });
        if valid {
            Ok(Email(email))
        } else {
            Err("Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown in the application.
pub fn parse_display_name(input: &str) -> Result<String, &'static str> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err("Saisissez le nom de la personne.")
    } else if name.chars().count() > 120 {
        Err("Le nom est trop long (120 caractères au plus).")
    } else {
        Ok(name)
    }
}

/// The shortest password accepted.
pub const PASSWORD_MIN: usize = 12;

/// A new password: at least 12 characters, at most 128.
pub fn check_new_password(password: &str, confirmation: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if password.is_empty() {
        Err("Saisissez un mot de passe.")
    } else if length < PASSWORD_MIN {
        Err("Le mot de passe doit compter au moins 12 caractères.")
    } else if length > 128 {
        Err("Le mot de passe est trop long (128 caractères au plus).")
    } else if is_guessable(password) {
        Err(
            "Ce mot de passe est trop facile à deviner (motif répété ou mot de passe courant) : \
             choisissez-en un autre, par exemple quelques mots sans rapport entre eux.",
        )
    } else if password != confirmation {
        Err("Les deux mots de passe ne sont pas identiques.")
    } else {
        Ok(())
    }
}

/// Passwords of 12 characters or more that lists of leaked passwords put first, in lower case.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "azertyuiop12",
    "azertyuiop123",
    "azertyuiopqsdf",
    "azertyazerty",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyqwerty",
    "motdepasse12",
    "motdepasse123",
    "motdepasse1234",
    "motdepasse2024",
    "motdepasse2025",
    "motdepasse2026",
    "motdepassemotdepasse",
    "password1234",
    "password12345",
    "passwordpassword",
    "iloveyou1234",
    "bonjour12345",
    "soleil123456",
    "administrateur",
    "administrator",
    "changeme1234",
    "spaser-spaser",
    "spaserspaser",
    "bienvenue123",
    "bienvenue2025",
];

/// A pattern of one to three characters repeated (« aaaaaaaaaaaa », « abcabcabcabc »), or a
/// password from [`COMMON_PASSWORDS`].
fn is_guessable(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    let repeated = (1..=3).any(|period| {
        chars.len() > period
            && chars
                .iter()
                .enumerate()
                .all(|(i, c)| *c == chars[i % period])
    });
    repeated || COMMON_PASSWORDS.contains(&password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_in_french_or_english() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_db()), Some(role));
            assert_eq!(Role::from_db(role.as_db()), Some(role));
        }
        assert_eq!(Role::parse("Comité"), Some(Role::Committee));
        assert_eq!(Role::parse("commande-publique"), Some(Role::Procurement));
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Marie.Dupont@Office.FR ").unwrap().as_str(),
            "marie.dupont@office.fr"
        );
        for bad in [
            "",
            "marie",
            "marie@",
            "@office.fr",
            "marie@office",
            "a b@office.fr",
            "<script>@x.fr",
            "a@b@c.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@office.fr", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_and_passwords() {
        assert_eq!(
            parse_display_name("  Marie   Dupont ").unwrap(),
            "Marie Dupont"
        );
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name(&"x".repeat(121)).is_err());
        assert!(check_new_password("", "").is_err());
        assert!(check_new_password("court", "court").is_err());
        assert!(check_new_password("assez-long-2025", "assez-long-2026").is_err());
        assert!(check_new_password("assez-long-2025", "assez-long-2025").is_ok());
        for weak in [
            "aaaaaaaaaaaa",
            "            ",
            "abcabcabcabc",
            "121212121212",
            "MotDePasse123",
            "AZERTYUIOP12",
            "123456789012",
        ] {
            assert!(check_new_password(weak, weak).is_err(), "{weak:?}");
        }
        assert!(check_new_password("aaaaaaaaaaab", "aaaaaaaaaaab").is_ok());
    }
}
