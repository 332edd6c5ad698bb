//! `If-Match` and `If-None-Match` on writes (RFC 9110 §13.1), as [`Precondition`]s.
//!
//! Invariants: a write without a precondition is refused before anything else about it is
//! considered (428); a header that is not RFC 9110's syntax is refused too (400). `If-Match`
//! is `*` or a list of entity tags (`"r12"`, `W/"r12"`, even the empty `""`); empty list
//! elements are ignored (§5.6.1.2). Entity tags are compared strongly: a weak tag never
//! matches, and neither does `""`, since a version is never empty. `docs/sync-api.yaml`
//! states the same syntax as a pattern.

use crate::problem::ApiError;
use crate::writes::Precondition;

/// `PUT`: `If-None-Match: *` (create), `If-Match` (replace), or both (which never holds).
pub fn for_put(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Precondition, ApiError> {
    let if_match = if_match.map(parse_if_match).transpose()?;
    let if_none_match = if_none_match.map(parse_if_none_match).transpose()?;
    match (if_match, if_none_match) {
        (None, None) => Err(ApiError::PreconditionRequired),
        (Some(_), Some(())) => Ok(Precondition::Unsatisfiable),
        (None, Some(())) => Ok(Precondition::Absent),
        (Some(precondition), None) => Ok(precondition),
    }
}

/// `DELETE`: `If-Match` only.
pub fn for_delete(if_match: Option<&str>) -> Result<Precondition, ApiError> {
    match if_match {
        None => Err(ApiError::PreconditionRequired),
        Some(value) => parse_if_match(value),
    }
}

fn parse_if_none_match(value: &str) -> Result<(), ApiError> {
    if value.trim() == "*" {
        Ok(())
    } else {
        Err(ApiError::InvalidPrecondition(
            "If-None-Match accepts only * on a write (create only if the IdP does not exist)."
                .into(),
        ))
    }
}

fn parse_if_match(value: &str) -> Result<Precondition, ApiError> {
    let value = value.trim();
    if value == "*" {
        return Ok(Precondition::AnyVersion);
    }
    let tags = entity_tags(value).ok_or_else(|| invalid(value))?;
    if tags.is_empty() {
        return Err(invalid(value));
    }
    let strong = tags
        .into_iter()
        .filter(|(weak, _)| !weak)
        .map(|(_, opaque)| opaque.to_string())
        .collect();
    Ok(Precondition::OneOf(strong))
}

/// Optional whitespace (RFC 9110 §5.6.3).
const OWS: [char; 2] = [' ', '\t'];

/// `#entity-tag` as (weak, opaque) pairs, or `None` if it is not one. An opaque-tag is
/// `DQUOTE *etagc DQUOTE`, etagc = %x21 / %x23-7E (a comma included: the list is read tag by
/// tag, never split on commas; obs-text is not visible ASCII, so the header was refused).
fn entity_tags(mut rest: &str) -> Option<Vec<(bool, &str)>> {
    let mut tags = Vec::new();
    loop {
        rest = rest.trim_start_matches(OWS);
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
            continue;
        }
        if rest.is_empty() {
            return Some(tags);
        }
        let (weak, quoted) = match rest.strip_prefix("W/") {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let inner = quoted.strip_prefix('"')?;
        let end = inner.find('"')?;
        let opaque = &inner[..end];
        if !opaque.chars().all(|c| c.is_ascii_graphic()) {
            return None;
        }
        tags.push((weak, opaque));
        rest = inner[end + 1..].trim_start_matches(OWS);
        if !rest.is_empty() {
            rest = rest.strip_prefix(',')?;
        }
    }
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
        assert_eq!(
            for_put(Some("\"r1\""), Some("*")).unwrap(),
            Precondition::Unsatisfiable,
            "both headers are evaluated (RFC 9110 §13.2.2): the write gets 412, not 400"
        );
        assert!(
            matches!(
                for_put(Some("r1"), Some("*")),
                Err(ApiError::InvalidPrecondition(_))
            ),
            "each header is still checked"
        );
        assert_eq!(for_put(Some("\"r1\""), None).unwrap(), one_of(&["r1"]));
    }

    #[test]
    fn if_match_follows_rfc_9110() {
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
        assert_eq!(
            for_delete(Some("\"\"")).unwrap(),
            one_of(&[""]),
            "the empty entity tag is valid and matches no version"
        );
        assert_eq!(for_delete(Some("W/\"\"")).unwrap(), one_of(&[]));
        assert_eq!(
            for_delete(Some("\"r1\", ,\"r2\",")).unwrap(),
            one_of(&["r1", "r2"]),
            "empty list elements are ignored (RFC 9110 §5.6.1.2)"
        );
        assert_eq!(
            for_delete(Some("\"a,b\",W/\"c,\" ,\t\"d\"")).unwrap(),
            one_of(&["a,b", "d"]),
            "a comma is an etagc: a tag holding one is one tag"
        );
        assert!(matches!(
            for_delete(None),
            Err(ApiError::PreconditionRequired)
        ));
        for bad in [
            "\"",
            "\"a\"b\"",
            "a b",
            "",
            ",",
            "r7",
            "W/r7",
            "*, \"r1\"",
            "\"a b\"",
        ] {
            assert!(
                matches!(for_delete(Some(bad)), Err(ApiError::InvalidPrecondition(_))),
                "{bad:?} must be refused"
            );
        }
    }
}
