//! French number writing: `10 000`, `31 107,86`, `95 %`, `10 000 h`.

use rust_decimal::Decimal;

/// Narrow no-break space, the French thousands separator.
pub const THOUSANDS_SEP: char = '\u{202F}';
/// No-break space, between a number and its unit.
pub const UNIT_SEP: char = '\u{00A0}';

/// Writes a number the French way: thousands grouped, decimal comma, no trailing zeros.
pub fn number_fr(value: Decimal) -> String {
    let mut out = String::with_capacity(16);
    push_number_fr(&mut out, value);
    out
}

/// Writes a number the French way at the end of `out`, straight from its digits: no string
/// in between (a bilan writes thousands of them).
pub fn push_number_fr(out: &mut String, value: Decimal) {
    let (mut mantissa, mut scale) = (value.mantissa(), value.scale() as usize);
    // No trailing zeros: 95,00 is written 95.
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if mantissa < 0 {
        out.push('-');
    }
    // The digits from the last one (a mantissa has at most 29), then zeros up to the first
    // digit before the comma.
    let mut digits = [b'0'; 40];
    let (mut rest, mut len) = (mantissa.unsigned_abs(), 0);
    while rest > 0 || len == 0 {
        digits[len] = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    let len = len.max(scale + 1);
    let whole = len - scale;
    for i in 0..whole {
        if i > 0 && (whole - i) % 3 == 0 {
            out.push(THOUSANDS_SEP);
        }
        out.push(char::from(digits[len - 1 - i]));
    }
    if scale > 0 {
        out.push(',');
        out.extend((0..scale).rev().map(|i| char::from(digits[i])));
    }
}

/// Writes a quantity with its unit: `10 000 h`, `95 %`, `1 formation`, `5 formations`.
/// Word units are stored in the plural and written in the singular below 2, as French does.
pub fn quantity_fr(value: Decimal, unit: Option<&str>) -> String {
    let mut out = String::with_capacity(24);
    push_number_fr(&mut out, value);
    if let Some(unit) = unit {
        let unit = if is_word_unit(unit) && value.abs() < Decimal::TWO {
            unit.strip_suffix('s').unwrap_or(unit)
        } else {
            unit
        };
        out.push(UNIT_SEP);
        out.push_str(unit);
    }
    out
}

/// Writes a date the French way: `16 septembre 2025`, `1er janvier 2026`.
pub fn date_fr(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = if date.day() == 1 {
        "1er".to_string()
    } else {
        date.day().to_string()
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// How a bilan says a value, the way its authors write it: `75 % (58 % en 2023)`,
/// `97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)`.
pub fn year_on_year(
    actual: Decimal,
    unit: Option<&str>,
    target: Option<Decimal>,
    previous: Option<(Decimal, i32)>,
) -> String {
    // In a sentence, hours are written out.
    let long = unit.map(|u| if u == "h" { "heures" } else { u });
    let mut sentence = quantity_fr(actual, long);
    if let Some(t) = target {
        sentence.push_str(" pour un objectif de ");
        sentence.push_str(&quantity_fr(t, long));
    }
    if let Some((p, year)) = previous {
        // The year before keeps the percent sign, but not a counted unit.
        let p = if unit == Some("%") {
            quantity_fr(p, unit)
        } else {
            number_fr(p)
        };
        sentence.push_str(&format!(" ({p} en {year})"));
    }
    sentence
}

fn is_word_unit(unit: &str) -> bool {
    unit.chars().all(|c| c.is_alphabetic() || c == ' ') && unit.chars().count() > 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn plain(s: String) -> String {
        s.replace([THOUSANDS_SEP, UNIT_SEP], " ")
    }

    /// The number written from the decimal's own text (`Display`), as it was before it was
    /// written from its digits.
    fn through_text(value: Decimal) -> String {
        let normalized = value.normalize();
        let text = normalized.abs().to_string();
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        if normalized.is_sign_negative() && !normalized.is_zero() {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(THOUSANDS_SEP);
            }
            out.push(c);
        }
        if !fraction.is_empty() {
            out.push(',');
            out.push_str(fraction);
        }
        out
    }

    #[test]
    fn numbers_written_from_their_digits_read_as_through_their_text() {
        let mut mantissas: Vec<i128> = vec![0, 1, 5, 10, 100, 999, 1000, 1001, 123_456_789];
        mantissas.extend([i128::from(u64::MAX), (1i128 << 96) - 1]);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            // xorshift: mantissas of every length, some ending in zeros.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let m = i128::from(seed >> (seed % 64)) * 10i128.pow((seed % 5) as u32);
            mantissas.push(m % ((1i128 << 96) - 1));
        }
        for &m in &mantissas {
            for scale in [0, 1, 2, 3, 6, 12, 28] {
                for sign in [1, -1] {
                    let value = Decimal::from_i128_with_scale(sign * m, scale);
                    assert_eq!(number_fr(value), through_text(value), "{m} scale {scale}");
                }
            }
        }
        assert_eq!(number_fr(d("-0.00")), "0");
        assert_eq!(number_fr(d("0.05")), "0,05");
        assert_eq!(plain(number_fr(d("-1234.500"))), "-1 234,5");
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(plain(number_fr(d("10000"))), "10 000");
        assert_eq!(plain(number_fr(d("9840"))), "9 840");
        assert_eq!(plain(number_fr(d("31107.86"))), "31 107,86");
        assert_eq!(plain(number_fr(d("97972"))), "97 972");
        assert_eq!(plain(number_fr(d("1234567.5"))), "1 234 567,5");
        assert_eq!(number_fr(d("0.80")), "0,8");
        assert_eq!(number_fr(d("95.00")), "95");
        assert_eq!(number_fr(d("100")), "100");
        assert_eq!(plain(number_fr(d("-2500"))), "-2 500");
        assert_eq!(number_fr(d("0")), "0");
    }

    #[test]
    fn year_on_year_sentences_as_the_authors_write_them() {
        assert_eq!(
            plain(year_on_year(
                d("75"),
                Some("%"),
                None,
                Some((d("58"), 2023))
            )),
            "75 % (58 % en 2023)"
        );
        assert_eq!(
            plain(year_on_year(
                d("97972"),
                Some("h"),
                Some(d("25000")),
                Some((d("58526"), 2023))
            )),
            "97 972 heures pour un objectif de 25 000 heures (58 526 en 2023)"
        );
        assert_eq!(
            plain(year_on_year(d("33"), Some("participants"), None, None)),
            "33 participants"
        );
        assert_eq!(
            plain(year_on_year(d("4"), None, Some(d("5")), None)),
            "4 pour un objectif de 5"
        );
    }

    #[test]
    fn dates_are_written_in_french() {
        assert_eq!(
            date_fr(chrono::NaiveDate::from_ymd_opt(2025, 9, 16).unwrap()),
            "16 septembre 2025"
        );
        assert_eq!(
            date_fr(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            "1er janvier 2026"
        );
    }

    #[test]
    fn quantities_carry_their_unit() {
        assert_eq!(plain(quantity_fr(d("10000"), Some("h"))), "10 000 h");
        assert_eq!(plain(quantity_fr(d("95"), Some("%"))), "95 %");
        assert_eq!(
            plain(quantity_fr(d("1"), Some("formations"))),
            "1 formation"
        );
        assert_eq!(
            plain(quantity_fr(d("5"), Some("formations"))),
            "5 formations"
        );
        assert_eq!(plain(quantity_fr(d("31107.86"), Some("€"))), "31 107,86 €");
        assert_eq!(quantity_fr(d("7"), None), "7");
    }
}
