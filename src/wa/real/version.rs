//! WA_VERSION: the WhatsApp Web version the client announces, pinned by the
//! operator. Unset, whatsapp-rust reads it from web.whatsapp.com/sw.js before
//! connecting (and keeps the answer in the session store for 24 h); when that
//! fetch fails it cannot connect at all, and when WhatsApp moves on faster
//! than the page, it is refused as outdated. Pinning fixes both.

use std::fmt;

/// A WhatsApp Web version, `primary.secondary.tertiary` (e.g. `2.3000.1023456789`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaVersion(pub u32, pub u32, pub u32);

impl WaVersion {
    /// Parses `2.3000.1023456789`: three dot-separated whole numbers.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let number = |part: &str| -> Result<u32, String> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{part:?} is not a whole number"));
            }
            part.parse().map_err(|_| format!("{part} is too large"))
        };
        match parts.as_slice() {
            [a, b, c] => Ok(Self(number(a)?, number(b)?, number(c)?)),
            _ => Err(format!(
                "{text:?} is not a WhatsApp Web version like 2.3000.1023456789"
            )),
        }
    }

    pub fn triple(self) -> (u32, u32, u32) {
        (self.0, self.1, self.2)
    }
}

impl fmt::Display for WaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_version_parses_and_prints_back() {
        let version = WaVersion::parse("2.3000.1023456789").unwrap();
        assert_eq!(version.triple(), (2, 3000, 1_023_456_789));
        assert_eq!(version.to_string(), "2.3000.1023456789");
        assert_eq!(WaVersion::parse(" 2.3000.1 ").unwrap(), WaVersion(2, 3000, 1));
    }

    #[test]
    fn anything_but_three_whole_numbers_is_refused() {
        for bad in [
            "",
            "2.3000",
            "2.3000.1.4",
            "2.x.1",
            "2..1",
            "-2.3000.1",
            "2.3000.99999999999",
            "+2.1.1",
        ] {
            assert!(WaVersion::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
