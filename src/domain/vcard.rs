//! The vCard a contact card carries. WhatsApp's clients send vCard 3.0
//! (RFC 2426) with the number's WhatsApp id in the TEL line's `waid`
//! parameter, which is what makes "Message" and "Add contact" work on the
//! card; the name is escaped as RFC 2426 §4 asks. A received card is read
//! back the same way: the first TEL line's `waid` (else its number).

use super::details::ContactCard;

impl ContactCard {
    pub fn vcard(&self) -> String {
        let name = escape(&self.name);
        let digits = self.phone.trim_start_matches('+');
        format!(
            "BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\nTEL;type=CELL;type=VOICE;waid={digits}:{phone}\nEND:VCARD",
            phone = self.phone
        )
    }

    /// The card a received vCard describes, shown as `name`. Its number is
    /// E.164 from the first TEL line's `waid`, else that line's number as
    /// written, else empty (a card without a number).
    pub fn from_vcard(name: &str, vcard: &str) -> Self {
        let tel = vcard.lines().find(|line| is_tel(line));
        let phone = tel.map(phone_of_tel).unwrap_or_default();
        Self {
            name: name.trim().to_owned(),
            phone,
        }
    }
}

/// A TEL line, also with a group prefix (`item1.TEL;...`, as iPhones write).
fn is_tel(line: &str) -> bool {
    let property = line.split([':', ';']).next().unwrap_or_default();
    let name = property.rsplit('.').next().unwrap_or_default();
    name.eq_ignore_ascii_case("TEL")
}

/// `TEL;type=CELL;waid=5511988887777:+55 11 98888-7777` → `+5511988887777`.
fn phone_of_tel(line: &str) -> String {
    let (params, number) = line.split_once(':').unwrap_or((line, ""));
    let waid = params
        .split(';')
        .find_map(|p| p.trim().strip_prefix("waid="))
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    match waid {
        Some(digits) => format!("+{digits}"),
        None => number.trim().to_owned(),
    }
}

/// Backslashes, commas and semicolons escaped; line breaks as `\n`.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | ',' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_names_the_number_with_its_whatsapp_id() {
        let card = ContactCard {
            name: "Ana; Sales, BR".into(),
            phone: "+5511988887777".into(),
        };
        assert_eq!(
            card.vcard(),
            "BEGIN:VCARD\nVERSION:3.0\nN:;Ana\\; Sales\\, BR;;;\nFN:Ana\\; Sales\\, BR\n\
             TEL;type=CELL;type=VOICE;waid=5511988887777:+5511988887777\nEND:VCARD"
        );
    }

    #[test]
    fn a_received_card_gives_its_whatsapp_number_or_its_written_one() {
        let card = ContactCard {
            name: "Ana".into(),
            phone: "+5511988887777".into(),
        };
        assert_eq!(ContactCard::from_vcard(" Ana ", &card.vcard()), card);
        let written = "BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nitem1.tel;type=HOME:+1 (415) 555-0123\nEND:VCARD";
        assert_eq!(ContactCard::from_vcard("Bo", written).phone, "+1 (415) 555-0123");
        let none = "BEGIN:VCARD\nFN:Cy\nEND:VCARD";
        assert_eq!(ContactCard::from_vcard("Cy", none).phone, "");
    }

    #[test]
    fn line_breaks_cannot_add_lines_to_the_card() {
        let card = ContactCard {
            name: "A\r\nEND:VCARD".into(),
            phone: "+15550001111".into(),
        };
        assert_eq!(card.vcard().lines().count(), 6);
    }
}
