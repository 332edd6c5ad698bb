//! Phone numbers in E.164 form (`+` and 8 to 15 digits), the one normalisation channel binding
//! compares with: the number a sign-in link was sent to and the IdP's verified `phone_number`
//! are equal only when their [`e164`] forms are.
//!
//! Invariants: pure and total; it only removes the separators people type (spaces, dashes,
//! dots, parentheses) and never guesses a country code, so a national number is refused
//! rather than completed.

/// Characters removed before the number is checked, as people and IdPs write them.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')
}

/// The E.164 form of `input` (`+27821234567`), or `None` when it is not an international
/// number: a leading `+`, then 8 to 15 ASCII digits, the first not 0.
pub fn e164(input: &str) -> Option<String> {
    let compact: String = input.chars().filter(|c| !is_separator(*c)).collect();
    let digits = compact.strip_prefix('+')?;
    let valid = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then_some(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_removed() {
        for typed in [
            "+27821234567",
            "+27 82 123 4567",
            "+27-82-123-4567",
            "+27.82.123.4567",
            "+27 (82) 123-4567",
            " +27 82 123 4567\t",
            "+27\u{a0}82\u{a0}123\u{a0}4567",
        ] {
            assert_eq!(
                e164(typed).as_deref(),
                Some("+27821234567"),
                "{typed:?} is the same number"
            );
        }
    }

    #[test]
    fn the_length_is_8_to_15_digits() {
        assert_eq!(e164("+12345678").as_deref(), Some("+12345678"));
        assert_eq!(
            e164("+123456789012345").as_deref(),
            Some("+123456789012345")
        );
        assert_eq!(e164("+1234567"), None, "7 digits are too few");
        assert_eq!(e164("+1234567890123456"), None, "16 digits are too many");
    }

    #[test]
    fn a_number_without_plus_or_with_a_leading_zero_is_refused() {
        for bad in [
            "27821234567",
            "0821234567",
            "+0821234567",
            "++27821234567",
            "+27 82 123 456a",
            "+27/82/123/4567",
            "+٢٧٨٢١٢٣٤٥٦٧",
            "+",
            "",
            "27+821234567",
        ] {
            assert_eq!(e164(bad), None, "{bad:?} must be refused");
        }
    }
}
