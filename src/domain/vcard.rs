//! The vCard a contact card carries. WhatsApp's clients send vCard 3.0
//! (RFC 2426) with the number's WhatsApp id in the TEL line's `waid`
//! parameter, which is what makes "Message" and "Add contact" work on the
//! card; the name is escaped as RFC 2426 §4 asks.

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
    fn line_breaks_cannot_add_lines_to_the_card() {
        let card = ContactCard {
            name: "A\r\nEND:VCARD".into(),
            phone: "+15550001111".into(),
        };
        assert_eq!(card.vcard().lines().count(), 6);
    }
}
