//! The forms one number takes on WhatsApp. Brazil's mobile numbers gained a
//! ninth digit that many WhatsApp ids still lack (`55 11 8765 4321` vs
//! `55 11 9 8765 4321`), and Mexico's WhatsApp ids carry the old mobile `1`
//! (`52 1 55 ...`) that E.164 dropped. Sends try every form with an
//! is-on-WhatsApp lookup; numbers going to GHL use the E.164 form.

use super::Phone;

impl Phone {
    /// The digit strings this number may be registered under on WhatsApp,
    /// its own first.
    pub fn whatsapp_variants(&self) -> Vec<String> {
        let digits = self.digits();
        let mut variants = vec![digits.to_owned()];
        variants.extend(brazil_other_form(digits));
        variants.extend(mexico_other_form(digits));
        variants
    }

    /// The E.164 form of a number WhatsApp reported as digits: Brazil's
    /// mobiles get their ninth digit back, Mexico's lose the old `1`.
    pub fn from_whatsapp_id_digits(digits: &str) -> Option<Phone> {
        let canonical = if let Some(local) = digits.strip_prefix("521").filter(|l| l.len() == 10) {
            format!("52{local}")
        } else if is_brazil_mobile_without_nine(digits) {
            format!("55{}9{}", &digits[2..4], &digits[4..])
        } else {
            digits.to_owned()
        };
        Phone::from_whatsapp_digits(&canonical)
    }
}

/// `55` + area (2) + 8 digits starting 6–9: a mobile written without the 9.
fn is_brazil_mobile_without_nine(digits: &str) -> bool {
    digits.len() == 12 && digits.starts_with("55") && matches!(digits.as_bytes()[4], b'6'..=b'9')
}

fn brazil_other_form(digits: &str) -> Option<String> {
    if digits.len() == 13 && digits.starts_with("55") && digits.as_bytes()[4] == b'9' {
        return Some(format!("{}{}", &digits[..4], &digits[5..]));
    }
    is_brazil_mobile_without_nine(digits).then(|| format!("{}9{}", &digits[..4], &digits[4..]))
}

fn mexico_other_form(digits: &str) -> Option<String> {
    if let Some(local) = digits.strip_prefix("521").filter(|l| l.len() == 10) {
        return Some(format!("52{local}"));
    }
    digits
        .strip_prefix("52")
        .filter(|l| l.len() == 10)
        .map(|local| format!("521{local}"))
}

#[cfg(test)]
mod tests {
    use crate::domain::Phone;

    fn variants(raw: &str) -> Vec<String> {
        Phone::parse(raw, None).unwrap().whatsapp_variants()
    }

    #[test]
    fn brazil_mobiles_are_tried_with_and_without_the_ninth_digit() {
        assert_eq!(
            variants("+55 11 98765-4321"),
            vec!["5511987654321", "551187654321"]
        );
        assert_eq!(
            Phone::from_whatsapp_id_digits("551187654321").unwrap().e164(),
            "+5511987654321"
        );
        assert_eq!(
            Phone::from_whatsapp_id_digits("5511987654321").unwrap().e164(),
            "+5511987654321"
        );
    }

    #[test]
    fn brazil_landlines_keep_their_one_form() {
        assert_eq!(variants("+55 11 3456-7890"), vec!["551134567890"]);
        assert_eq!(
            Phone::from_whatsapp_id_digits("551134567890").unwrap().e164(),
            "+551134567890"
        );
    }

    #[test]
    fn mexico_is_tried_with_and_without_the_old_mobile_one() {
        assert_eq!(
            variants("+52 55 1234 5678"),
            vec!["525512345678", "5215512345678"]
        );
        assert_eq!(
            Phone::from_whatsapp_id_digits("5215512345678").unwrap().e164(),
            "+525512345678"
        );
    }

    #[test]
    fn other_countries_have_one_form() {
        for (raw, digits) in [
            ("+1 415 555 2671", "14155552671"),
            ("+44 20 7946 0958", "442079460958"),
            ("+91 98765 43210", "919876543210"),
            ("+51 987 654 321", "51987654321"),
        ] {
            assert_eq!(variants(raw), vec![digits]);
            assert_eq!(Phone::from_whatsapp_id_digits(digits).unwrap().digits(), digits);
        }
    }
}
