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
    } else if password != confirmation {
        Err("Les deux mots de passe ne sont pas identiques.")
    } else {
        Ok(())
    }
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
    }
}
