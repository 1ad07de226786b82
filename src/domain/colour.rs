//! An organisation's accent colour: read from what a person types, and checked for contrast.
//!
//! The accent is used for links and headings on a white page, and as the background of
//! buttons and of the selected year with white text on it. Both uses need a contrast ratio of
//! at least 4.5:1 with white (WCAG 2.1 AA, criterion 1.4.3), which is one and the same test.

use std::fmt;

/// The contrast ratio every accent must reach against white.
pub const MIN_CONTRAST: f64 = 4.5;

/// A colour of six hexadecimal digits, kept in lowercase without its `#`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Why a typed colour is refused, in the words the profile form shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ColourError {
    /// Not `#rrggbb` (nor `rrggbb`, nor `#rgb`).
    Unreadable,
    /// Readable, but white text on it (and it on white) would be too faint.
    TooLight { ratio: f64 },
}

impl fmt::Display for ColourError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColourError::Unreadable => f.write_str(
                "Indiquez une couleur sous la forme #RRVVBB (six chiffres hexadécimaux), par exemple #0f5e6b.",
            ),
            ColourError::TooLight { ratio } => write!(
                f,
                "Cette couleur est trop claire : le texte blanc posé dessus, et elle-même sur fond blanc, n'atteindraient qu'un contraste de {} pour 1, il faut au moins 4,5 pour 1 (RGAA, critère 3.2). Choisissez une teinte plus foncée.",
                // Rounded down: a ratio just under 4,5 never reads « 4,50 ».
                format!("{:.2}", (ratio * 100.0).floor() / 100.0).replace('.', ",")
            ),
        }
    }
}

impl Rgb {
    /// Reads `#0f5e6b`, `0F5E6B` or the short `#09c`, spaces around allowed.
    pub fn parse(text: &str) -> Result<Rgb, ColourError> {
        let digits = text.trim().trim_start_matches('#');
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ColourError::Unreadable);
        }
        let expanded: String = match digits.len() {
            3 => digits.chars().flat_map(|c| [c, c]).collect(),
            6 => digits.to_owned(),
            _ => return Err(ColourError::Unreadable),
        };
        let byte = |i: usize| u8::from_str_radix(&expanded[i..i + 2], 16);
        match (byte(0), byte(2), byte(4)) {
            (Ok(r), Ok(g), Ok(b)) => Ok(Rgb(r, g, b)),
            _ => Err(ColourError::Unreadable),
        }
    }

    /// Reads a colour and refuses one that would fail the contrast rule.
    pub fn parse_accent(text: &str) -> Result<Rgb, ColourError> {
        let colour = Rgb::parse(text)?;
        let ratio = colour.contrast_with(Rgb::WHITE);
        if ratio < MIN_CONTRAST {
            return Err(ColourError::TooLight { ratio });
        }
        Ok(colour)
    }

    pub const WHITE: Rgb = Rgb(255, 255, 255);

    /// Six lowercase hex digits, as stored and as written in addresses.
    pub fn hex(self) -> String {
        format!("{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance, as WCAG 2.1 defines it.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// The contrast ratio between two colours, from 1 to 21.
    pub fn contrast_with(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }

    /// This colour mixed with white, `share` of it (0 to 1): the tinted surfaces behind callouts.
    pub fn tint(self, share: f64) -> Rgb {
        let mix = |c: u8| (f64::from(c) * share + 255.0 * (1.0 - share)).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

/// The style sheet that gives pages an accent: loaded after the design base.
pub fn theme_css(accent: Rgb) -> String {
    format!(
        ":root {{ --accent: #{}; --accent-text: #ffffff; --accent-soft: #{}; }}\n",
        accent.hex(),
        accent.tint(0.1).hex()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_ways_of_writing_a_colour() {
        assert_eq!(Rgb::parse("#0f5e6b"), Ok(Rgb(0x0f, 0x5e, 0x6b)));
        assert_eq!(Rgb::parse(" 0F5E6B "), Ok(Rgb(0x0f, 0x5e, 0x6b)));
        assert_eq!(Rgb::parse("#09c"), Ok(Rgb(0x00, 0x99, 0xcc)));
        for bad in [
            "", "#", "bleu", "#12345", "#1234567", "#gg0000", "#+1+1+1", "#é0000",
        ] {
            assert_eq!(Rgb::parse(bad), Err(ColourError::Unreadable), "{bad}");
        }
    }

    #[test]
    fn contrast_ratios_match_the_wcag_examples() {
        assert!((Rgb(0, 0, 0).contrast_with(Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((Rgb::WHITE.contrast_with(Rgb::WHITE) - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes 4.5:1 on white.
        assert!(Rgb(0x76, 0x76, 0x76).contrast_with(Rgb::WHITE) >= 4.5);
        assert!(Rgb(0x77, 0x77, 0x77).contrast_with(Rgb::WHITE) < 4.5);
    }

    #[test]
    fn an_accent_too_light_for_white_text_is_refused() {
        assert!(Rgb::parse_accent("#0f5e6b").is_ok());
        assert!(Rgb::parse_accent("#767676").is_ok());
        match Rgb::parse_accent("#ffcc00") {
            Err(ColourError::TooLight { ratio }) => assert!(ratio < 2.0, "{ratio}"),
            other => panic!("{other:?}"),
        }
        let message = Rgb::parse_accent("#777777").unwrap_err().to_string();
        assert!(message.contains("4,47 pour 1"), "{message}");
        let just_under = Rgb::parse_accent("#008580").unwrap_err().to_string();
        assert!(just_under.contains("4,49 pour 1"), "{just_under}");
    }

    #[test]
    fn the_theme_sets_the_accent_and_its_tint() {
        let css = theme_css(Rgb(0x0f, 0x5e, 0x6b));
        assert!(css.contains("--accent: #0f5e6b;"), "{css}");
        assert!(css.contains("--accent-soft: #e7eff0;"), "{css}");
    }
}
