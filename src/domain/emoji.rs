//! Is a text exactly one emoji, as a WhatsApp reaction must be? One emoji
//! may be several code points (Unicode's UTS #51 emoji sequences): a flag
//! (two regional indicators), a keycap (`1️⃣`), a base with a variation
//! selector, skin tone or tag sequence (`👍🏽`, 🏴 with tags), and several
//! of those joined by zero-width joiners (`👩‍💻`). Anything more (two
//! emoji, a letter, a space) is not one.

const ZWJ: char = '\u{200D}';
const TEXT_STYLE: char = '\u{FE0E}';
const EMOJI_STYLE: char = '\u{FE0F}';
const KEYCAP: char = '\u{20E3}';
const CANCEL_TAG: char = '\u{E007F}';

pub fn is_single_emoji(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() == 2 && chars.iter().all(|c| is_regional_indicator(*c)) {
        return true;
    }
    let mut rest = chars.as_slice();
    loop {
        match element(rest) {
            Some([]) => return true,
            Some([ZWJ, after @ ..]) if !after.is_empty() => rest = after,
            _ => return false,
        }
    }
}

/// One emoji element from the start of `chars`: what follows it.
fn element(chars: &[char]) -> Option<&[char]> {
    let (&first, mut rest) = chars.split_first()?;
    if first.is_ascii_digit() || first == '#' || first == '*' {
        rest = rest.strip_prefix(&[EMOJI_STYLE]).unwrap_or(rest);
        return rest.strip_prefix(&[KEYCAP]);
    }
    if !is_pictographic(first) {
        return None;
    }
    if let Some((&next, after)) = rest.split_first() {
        if next == EMOJI_STYLE || next == TEXT_STYLE || is_skin_tone(next) {
            rest = after;
        }
    }
    if rest.first().is_some_and(|c| is_tag(*c)) {
        let tags = rest.iter().take_while(|c| is_tag(**c)).count();
        return (rest[tags - 1] == CANCEL_TAG && tags > 1).then(|| &rest[tags..]);
    }
    Some(rest)
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007F}').contains(&c)
}

/// The blocks emoji come from (symbols, arrows, dingbats and the
/// supplementary pictographs), besides the few scattered ones.
fn is_pictographic(c: char) -> bool {
    const BLOCKS: &[(char, char)] = &[
        ('\u{2190}', '\u{21FF}'),
        ('\u{2300}', '\u{23FF}'),
        ('\u{25A0}', '\u{27BF}'),
        ('\u{2900}', '\u{297F}'),
        ('\u{2B00}', '\u{2BFF}'),
        ('\u{1F000}', '\u{1FAFF}'),
    ];
    const SINGLES: &[char] = &[
        '\u{A9}', '\u{AE}', '\u{203C}', '\u{2049}', '\u{2122}', '\u{2139}', '\u{24C2}', '\u{3030}',
        '\u{303D}', '\u{3297}', '\u{3299}',
    ];
    let in_block = BLOCKS.iter().any(|(from, to)| (*from..=*to).contains(&c));
    (in_block || SINGLES.contains(&c)) && !is_regional_indicator(c) && !is_skin_tone(c)
}

#[cfg(test)]
mod tests {
    use super::is_single_emoji;

    #[test]
    fn one_emoji_of_any_shape_is_accepted() {
        for one in [
            "👍",
            "❤️",
            "❤",
            "😂",
            "🙏",
            "👍🏽",
            "🇧🇷",
            "1️⃣",
            "#⃣",
            "👩‍💻",
            "👨‍👩‍👧‍👦",
            "🏳️‍🌈",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "©️",
            "⭐",
        ] {
            assert!(is_single_emoji(one), "{one:?} is one emoji");
        }
    }

    #[test]
    fn text_and_several_emoji_are_refused() {
        for not_one in [
            "",
            "a",
            "ok",
            "👍👍",
            "👍 ",
            " 👍",
            "🇧",
            "🇧🇷🇵🇹",
            "1",
            "👩‍",
            "‍💻",
            "🏽",
            "👍\u{E0067}",
            ":)",
        ] {
            assert!(!is_single_emoji(not_one), "{not_one:?} is not one emoji");
        }
    }
}
