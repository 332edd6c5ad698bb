//! `If-Match` and `If-None-Match` on writes (RFC 9110 §13.1), as [`Precondition`]s.
//!
//! Invariants: a write without a usable precondition is refused before anything else about
//! it is considered (428 when there is none, 400 when it cannot be understood). Entity tags
//! are compared strongly: a weak tag (`W/"…"`) never matches. A bare, unquoted version is
//! accepted as if quoted, for clients that send the `version` member as is.

use crate::problem::ApiError;
use crate::writes::Precondition;

/// `PUT`: `If-None-Match: *` (create) or `If-Match` (replace), not both.
pub fn for_put(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Precondition, ApiError> {
    match (if_match, if_none_match) {
        (None, None) => Err(ApiError::PreconditionRequired),
        (Some(_), Some(_)) => Err(ApiError::InvalidPrecondition(
            "Send either If-None-Match: * (to create) or If-Match (to replace), not both.".into(),
        )),
        (None, Some(value)) if value.trim() == "*" => Ok(Precondition::Absent),
        (None, Some(_)) => Err(ApiError::InvalidPrecondition(
            "If-None-Match accepts only * on a write (create only if the IdP does not exist)."
                .into(),
        )),
        (Some(value), None) => parse_if_match(value),
    }
}

/// `DELETE`: `If-Match` only.
pub fn for_delete(if_match: Option<&str>) -> Result<Precondition, ApiError> {
    match if_match {
        None => Err(ApiError::PreconditionRequired),
        Some(value) => parse_if_match(value),
    }
}

fn parse_if_match(value: &str) -> Result<Precondition, ApiError> {
    let value = value.trim();
    if value == "*" {
        return Ok(Precondition::AnyVersion);
    }
    let mut strong = Vec::new();
    for tag in value.split(',').map(str::trim) {
        if let Some(weak) = tag.strip_prefix("W/") {
            quoted(weak).ok_or_else(|| invalid(tag))?;
        } else if let Some(version) = quoted(tag) {
            strong.push(version.to_string());
        } else if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_graphic() && c != '"') {
            strong.push(tag.to_string());
        } else {
            return Err(invalid(tag));
        }
    }
    Ok(Precondition::OneOf(strong))
}

fn quoted(tag: &str) -> Option<&str> {
    tag.strip_prefix('"')?
        .strip_suffix('"')
        .filter(|inner| !inner.is_empty() && !inner.contains('"'))
}

fn invalid(tag: &str) -> ApiError {
    ApiError::InvalidPrecondition(format!(
        "If-Match must hold the version you last saw as an entity tag, e.g. \"r12\", or *; \
         {:?} is not one.",
        tag.chars().take(80).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of(v: &[&str]) -> Precondition {
        Precondition::OneOf(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn put_needs_exactly_one_usable_header() {
        assert!(matches!(
            for_put(None, None),
            Err(ApiError::PreconditionRequired)
        ));
        assert_eq!(for_put(None, Some("*")).unwrap(), Precondition::Absent);
        assert!(matches!(
            for_put(None, Some("\"r1\"")),
            Err(ApiError::InvalidPrecondition(_))
        ));
        assert!(matches!(
            for_put(Some("\"r1\""), Some("*")),
            Err(ApiError::InvalidPrecondition(_))
        ));
        assert_eq!(for_put(Some("\"r1\""), None).unwrap(), one_of(&["r1"]));
    }

    #[test]
    fn if_match_lists_stars_weak_and_bare_tags() {
        assert_eq!(for_delete(Some("*")).unwrap(), Precondition::AnyVersion);
        assert_eq!(
            for_delete(Some("\"r1\", \"r2\"")).unwrap(),
            one_of(&["r1", "r2"])
        );
        assert_eq!(
            for_delete(Some("W/\"r1\"")).unwrap(),
            one_of(&[]),
            "weak tags never match"
        );
        assert_eq!(for_delete(Some("r7")).unwrap(), one_of(&["r7"]));
        assert!(matches!(
            for_delete(None),
            Err(ApiError::PreconditionRequired)
        ));
        for bad in ["\"", "\"\"", "\"a\"b\"", "a b", ""] {
            assert!(
                matches!(for_delete(Some(bad)), Err(ApiError::InvalidPrecondition(_))),
                "{bad:?} must be refused"
            );
        }
    }
}
