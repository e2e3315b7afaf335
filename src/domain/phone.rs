//! Phone numbers, parsed and validated with libphonenumber's metadata (the
//! `rlibphonenumber` crate) and kept in E.164 form, which is what GHL speaks.

use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};
use serde::Serialize;
use std::fmt;

/// A valid phone number in E.164 form (`+5511999999999`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error(
        "phone number {0:?} has no country code: write it as +<country><number>, or set DEFAULT_COUNTRY"
    )]
    NoCountryCode(String),
    #[error("{0:?} is not a valid phone number")]
    Invalid(String),
}

impl Phone {
    /// Parses what people type: spaces, dashes, dots, parentheses, a leading
    /// `+` or `00`. Without a country code, `default_country` (an ISO 3166
    /// code such as `BR`) is assumed when given; otherwise it is an error.
    pub fn parse(raw: &str, default_country: Option<Region>) -> Result<Self, PhoneError> {
        let shown: String = raw.trim().chars().take(40).collect();
        let cleaned = clean(raw);
        if cleaned.is_empty() {
            return Err(PhoneError::Empty);
        }
        let looks_numeric = cleaned
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit());
        if !looks_numeric || cleaned.len() < 3 {
            return Err(PhoneError::Invalid(shown));
        }
        let international = cleaned.starts_with('+');
        if !international && default_country.is_none() {
            return Err(PhoneError::NoCountryCode(shown));
        }
        let country = if international { None } else { default_country };
        valid_e164(country, &cleaned)
            .or_else(|| legacy_form(&cleaned).and_then(|fixed| valid_e164(None, &fixed)))
            .map(Self)
            .ok_or(PhoneError::Invalid(shown))
    }

    /// Wraps digits that WhatsApp itself reported (a linked account's own
    /// number, a sender's phone-number id); they are trusted as they are.
    pub fn from_whatsapp_digits(digits: &str) -> Option<Self> {
        let ok = (6..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(format!("+{digits}")))
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`, as in a WhatsApp user id.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

/// Phones are stored and sent between processes in E.164 form.
impl<'de> serde::Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let digits = raw.strip_prefix('+').unwrap_or(&raw);
        Phone::from_whatsapp_digits(digits)
            .ok_or_else(|| serde::de::Error::custom(format!("{raw:?} is not E.164")))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The E.164 form when libphonenumber's data says the number is valid.
fn valid_e164(country: Option<Region>, cleaned: &str) -> Option<String> {
    let parsed = PhoneNumber::parse(cleaned, country).ok()?;
    parsed
        .is_valid()
        .then(|| parsed.format_as(PhoneNumberFormat::E164).into_owned())
}

/// Numbers still written the way WhatsApp shows them: Mexico's mobiles
/// with the old `1` after `+52`, Brazil's mobiles without the ninth digit.
fn legacy_form(cleaned: &str) -> Option<String> {
    let digits = cleaned.strip_prefix('+')?;
    Phone::from_whatsapp_id_digits(digits)
        .map(|p| p.e164().to_owned())
        .filter(|fixed| fixed != cleaned)
}

/// Keeps digits and a leading `+`; a leading international `00` becomes `+`.
fn clean(raw: &str) -> String {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let letters = trimmed.chars().any(|c| c.is_alphabetic());
    if letters {
        return trimmed.to_owned();
    }
    match (plus, digits.strip_prefix("00")) {
        (true, _) => format!("+{digits}"),
        (false, Some(rest)) => format!("+{rest}"),
        (false, None) => digits,
    }
}

/// Reads a DEFAULT_COUNTRY setting such as `BR` or `us`.
pub fn parse_country(raw: &str) -> Result<Region, String> {
    raw.trim()
        .to_ascii_uppercase()
        .parse::<Region>()
        .map_err(|_| format!("{raw:?} is not an ISO 3166 country code such as US, BR or GB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> String {
        Phone::parse(raw, None).unwrap().e164().to_owned()
    }

    #[test]
    fn international_forms_normalise_to_e164() {
        assert_eq!(e164("+55 11 99999-9999"), "+5511999999999");
        assert_eq!(e164("0044 20 7946 0958"), "+442079460958");
        assert_eq!(e164("+1 (415) 555-2671"), "+14155552671");
        assert_eq!(e164("+51.987.654.321"), "+51987654321");
        assert_eq!(e164("+91 98765 43210"), "+919876543210");
    }

    #[test]
    fn a_national_number_keeps_its_leading_zero() {
        assert_eq!(e164("+39 06 6988 4321"), "+390669884321");
        assert_eq!(e164("+39 02 1234 5678"), "+390212345678");
    }

    #[test]
    fn many_countries_and_writing_styles_normalise() {
        assert_eq!(e164("+44 (0)20 7946 0958"), "+442079460958");
        assert_eq!(e164("+52 1 55 1234 5678"), "+525512345678");
        assert_eq!(e164("+52 55 1234 5678"), "+525512345678");
        assert_eq!(e164("+55 (11) 8765-4321"), "+5511987654321");
        assert_eq!(e164("+55 11 98765-4321"), "+5511987654321");
        assert_eq!(e164("00 51 987-654-321"), "+51987654321");
        assert_eq!(e164("+1-415-555-2671"), "+14155552671");
        assert_eq!(e164("+91-98765-43210"), "+919876543210");
    }

    #[test]
    fn national_numbers_need_a_default_country() {
        assert_eq!(
            Phone::parse("987 654 321", None),
            Err(PhoneError::NoCountryCode("987 654 321".into()))
        );
        let pe = parse_country("pe").unwrap();
        assert_eq!(
            Phone::parse("987 654 321", Some(pe)).unwrap().e164(),
            "+51987654321"
        );
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "+",
            "+12",
            "+999 123",
            "hello",
            "not a phone",
            "+55 11 abc",
            "+1 415 555 26711234567",
        ] {
            assert!(Phone::parse(bad, None).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Phone::parse("  ", None), Err(PhoneError::Empty));
    }

    #[test]
    fn whatsapp_digits_are_wrapped_without_parsing() {
        assert_eq!(
            Phone::from_whatsapp_digits("15550000001").unwrap().e164(),
            "+15550000001"
        );
        assert!(Phone::from_whatsapp_digits("12ab").is_none());
        assert_eq!(
            Phone::from_whatsapp_digits("5511999999999").unwrap().digits(),
            "5511999999999"
        );
    }

    #[test]
    fn countries_parse_case_insensitively() {
        assert!(parse_country("br").is_ok());
        assert!(parse_country("Brazil").is_err());
    }
}
