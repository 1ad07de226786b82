//! What every page's frame shows: whose page it is (the organisation's name and colour, or
//! spaser's neutral identity outside any organisation), who is signed in, and the token for the
//! sign-out form.

use super::session::Session;
use crate::domain::colour::Rgb;
use crate::plans::read::OrganisationRow;

#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user_name: Option<String>,
    /// Actions awaiting the signed-in person's decision, across their organisations.
    pub awaiting: i64,
    pub csrf: Option<String>,
    /// The organisation whose page this is; `None` on pages outside any organisation.
    pub brand: Option<Brand>,
}

/// An organisation as its pages' header shows it.
#[derive(Debug, Clone)]
pub struct Brand {
    pub name: String,
    pub short_name: String,
    /// Up to two letters on the coloured square when there is no logo.
    pub initials: String,
    pub href: String,
    /// Six hex digits, already checked for contrast; the theme's address is made of it.
    pub accent: Option<String>,
    /// On the public pages: « Publié par … ».
    pub public: bool,
    /// The logo's address, when the organisation has one (it then replaces the initials).
    pub logo: Option<String>,
}

impl Layout {
    pub fn new(session: &Session) -> Self {
        Self {
            user_name: session.user().map(|u| u.display_name.clone()),
            awaiting: session
                .user()
                .map_or(0, |u| u.memberships.iter().map(|m| m.awaiting).sum()),
            csrf: session.csrf(),
            brand: None,
        }
    }

    /// The frame of a member's page of this organisation.
    pub fn of(session: &Session, organisation: &OrganisationRow) -> Self {
        Self::new(session).for_organisation(organisation, false)
    }

    /// This frame, as the organisation's page: for its members, or for the public.
    pub fn for_organisation(mut self, organisation: &OrganisationRow, public: bool) -> Self {
        self.brand = Some(Brand::new(organisation, public));
        self
    }

    /// The address of the style sheet that sets the accent, when the organisation chose one.
    pub fn theme_href(&self) -> Option<String> {
        let accent = self.brand.as_ref()?.accent.as_ref()?;
        Some(format!("/theme/{accent}.css"))
    }
}

impl Brand {
    fn new(organisation: &OrganisationRow, public: bool) -> Self {
        Self {
            name: organisation.name.clone(),
            short_name: organisation.short_name.clone(),
            initials: initials(&organisation.short_name),
            href: if public {
                "/".to_owned()
            } else {
                format!("/organisations/{}", organisation.slug)
            },
            // Stored values were checked when written; a value that no longer reads is ignored.
            accent: organisation
                .accent_color
                .as_deref()
                .and_then(|c| Rgb::parse_accent(c).ok())
                .map(Rgb::hex),
            public,
            logo: organisation
                .logo_hash
                .as_ref()
                .map(|hash| format!("/organisations/{}/logo/{hash}", organisation.slug)),
        }
    }
}

/// The first letters of the first two significant words: « Grand-Orly Seine Bièvre » → « GS ».
pub fn initials(name: &str) -> String {
    const SMALL: [&str; 8] = ["de", "du", "des", "la", "le", "les", "l", "d"];
    name.split(|c: char| c.is_whitespace() || c == '\'' || c == '’')
        .filter(|w| !w.is_empty() && !SMALL.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_skip_the_small_words() {
        assert_eq!(initials("Office public de l'habitat"), "OP");
        assert_eq!(initials("Grand-Orly Seine Bièvre"), "GS");
        assert_eq!(initials("Ville d'Échirolles"), "VÉ");
        assert_eq!(initials("Banc"), "B");
        assert_eq!(initials("東京"), "東");
    }
}
