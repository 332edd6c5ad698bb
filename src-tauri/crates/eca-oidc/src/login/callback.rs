//! The authorization response as it comes back to the app: a redirect URL delivered by the OS
//! (deep link) or by a browser to the loopback listener.
//!
//! Invariants:
//! - Every callback is untrusted input: parsing is bounded in size and parameter count, the
//!   redirect target must match the expected one exactly (scheme, host, port, path), and a
//!   parameter given twice, bad percent-encoding, invalid UTF-8 or a NUL/CR/LF is refused.
//! - Parsing never panics and never allocates more than [`MAX_CALLBACK_BYTES`] worth of data.
//! - A callback belongs to a login only if it carries that login's `state`, compared by
//!   [`same_state`] alone (the deep link, the loopback listener and the flow's own check).

use std::fmt;
use subtle::ConstantTimeEq;

/// The longest callback URL accepted. Real ones are a few hundred bytes.
pub const MAX_CALLBACK_BYTES: usize = 8 * 1024;
/// The most query parameters accepted.
pub const MAX_PARAMS: usize = 16;

/// The parameters of an authorization response (RFC 6749 §4.1.2, RFC 9207).
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl fmt::Debug for CallbackParams {
    // The code is a one-time credential: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("state", &self.state.as_ref().map(|_| "[present]"))
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback is too long ({0} bytes; at most 8192)")]
    TooLong(usize),
    #[error("the callback contains a NUL, CR or LF character")]
    ControlCharacter,
    #[error("the callback is not for this login's redirect URI (expected {expected})")]
    WrongTarget { expected: String },
    #[error("the callback has more than {MAX_PARAMS} parameters")]
    TooManyParams,
    #[error("the callback repeats the parameter \"{0}\"")]
    DuplicateParam(String),
    #[error("the callback's parameter \"{0}\" is not valid percent-encoded UTF-8")]
    BadEncoding(String),
    #[error("the callback carries a fragment (\"#…\"); the response mode must be query")]
    Fragment,
}

/// Parses `url` as a callback to `expected_redirect` (e.g. `com.ecaadmin.desktop:/oauth/callback`
/// or `http://127.0.0.1:43121/oauth/callback`). Unknown parameters are ignored.
pub fn parse(url: &str, expected_redirect: &str) -> Result<CallbackParams, CallbackError> {
    if url.len() > MAX_CALLBACK_BYTES {
        return Err(CallbackError::TooLong(url.len()));
    }
    if url.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
        return Err(CallbackError::ControlCharacter);
    }
    let (target, query) = url.split_once('?').unwrap_or((url, ""));
    if query.contains('#') || target.contains('#') {
        return Err(CallbackError::Fragment);
    }
    if !same_target(target, expected_redirect) {
        return Err(CallbackError::WrongTarget {
            expected: expected_redirect.to_string(),
        });
    }
    parse_query(query)
}

/// Parses only a query string (the loopback listener has already matched the path).
pub fn parse_query(query: &str) -> Result<CallbackParams, CallbackError> {
    if query.len() > MAX_CALLBACK_BYTES {
        return Err(CallbackError::TooLong(query.len()));
    }
    let mut params = CallbackParams {
        state: None,
        code: None,
        iss: None,
        error: None,
        error_description: None,
    };
    let mut seen: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if seen.len() == MAX_PARAMS {
            return Err(CallbackError::TooManyParams);
        }
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(raw_key).ok_or_else(|| CallbackError::BadEncoding(truncate(raw_key)))?;
        if seen.contains(&key) {
            return Err(CallbackError::DuplicateParam(truncate(&key)));
        }
        let value = decode(raw_value).ok_or_else(|| CallbackError::BadEncoding(truncate(&key)))?;
        if value.chars().any(|c| matches!(c, '\0' | '\r' | '\n')) {
            return Err(CallbackError::ControlCharacter);
        }
        let slot = match key.as_str() {
            "state" => &mut params.state,
            "code" => &mut params.code,
            "iss" => &mut params.iss,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            _ => {
                seen.push(key);
                continue;
            }
        };
        *slot = Some(value);
        seen.push(key);
    }
    Ok(params)
}

/// Whether `received` is the `state` a login sent (`expected`), compared in constant time (RFC
/// 6749 §10.12): how long it takes says nothing of how much of a guess was right.
pub fn same_state(expected: &str, received: &str) -> bool {
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

/// Compares two redirect targets exactly, except that the scheme and host are case-insensitive
/// (RFC 3986 §6.2.2.1). A loopback redirect carries its port; it must match too.
fn same_target(actual: &str, expected: &str) -> bool {
    let split = |s: &str| -> (String, String) {
        match s.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                (
                    format!(
                        "{}://{}",
                        scheme.to_ascii_lowercase(),
                        authority.to_ascii_lowercase()
                    ),
                    path.to_string(),
                )
            }
            None => match s.split_once(':') {
                Some((scheme, path)) => (scheme.to_ascii_lowercase(), path.to_string()),
                None => (String::new(), s.to_string()),
            },
        }
    };
    split(actual) == split(expected)
}

/// Strict `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` needs two hex
/// digits, and the bytes must be UTF-8. `None` on any violation (never a lossy replacement).
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEEP: &str = "com.ecaadmin.desktop:/oauth/callback";

    #[test]
    fn parses_a_successful_response() {
        let p = parse(
            &format!("{DEEP}?code=abc%2Fdef&state=s1&iss=https%3A%2F%2Fidp.example&x=1"),
            DEEP,
        )
        .unwrap();
        assert_eq!(p.code.as_deref(), Some("abc/def"));
        assert_eq!(p.state.as_deref(), Some("s1"));
        assert_eq!(p.iss.as_deref(), Some("https://idp.example"));
        assert_eq!(p.error, None);
    }

    #[test]
    fn parses_an_error_response() {
        let p = parse(
            &format!("{DEEP}?error=access_denied&error_description=User+said+no&state=s"),
            DEEP,
        )
        .unwrap();
        assert_eq!(p.error.as_deref(), Some("access_denied"));
        assert_eq!(p.error_description.as_deref(), Some("User said no"));
    }

    #[test]
    fn the_target_must_match_exactly() {
        for url in [
            "com.ecaadmin.desktop:/oauth/callbackX?code=a&state=b",
            "com.ecaadmin.desktop:/oauth/?code=a&state=b",
            "com.evil.desktop:/oauth/callback?code=a&state=b",
            "com.ecaadmin.desktop://oauth/callback?code=a",
        ] {
            assert!(
                matches!(parse(url, DEEP), Err(CallbackError::WrongTarget { .. })),
                "{url}"
            );
        }
        let loopback = "http://127.0.0.1:4000/oauth/callback";
        assert!(parse("http://127.0.0.1:4000/oauth/callback?code=a", loopback).is_ok());
        assert!(parse("HTTP://127.0.0.1:4000/oauth/callback?code=a", loopback).is_ok());
        assert!(
            parse("http://127.0.0.1:4001/oauth/callback?code=a", loopback).is_err(),
            "the port counts"
        );
        assert!(
            parse("COM.ECAADMIN.DESKTOP:/oauth/callback?code=a", DEEP).is_ok(),
            "schemes are case-insensitive"
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let err = parse(&format!("{DEEP}?code=a&state=b&state=c"), DEEP).unwrap_err();
        assert_eq!(err, CallbackError::DuplicateParam("state".into()));
        // Encoded spellings of the same name are the same name.
        let err = parse(&format!("{DEEP}?code=a&%73tate=b&state=c"), DEEP).unwrap_err();
        assert_eq!(err, CallbackError::DuplicateParam("state".into()));
    }

    #[test]
    fn bad_encodings_are_refused() {
        for q in ["code=%zz", "code=%4", "code=%", "code=%C3%28", "st%ate=x"] {
            assert!(
                matches!(
                    parse(&format!("{DEEP}?{q}"), DEEP),
                    Err(CallbackError::BadEncoding(_))
                ),
                "{q}"
            );
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for q in ["code=a%00b", "code=a%0D%0Ab", "code=a\nb", "state=a\rb"] {
            assert_eq!(
                parse(&format!("{DEEP}?{q}"), DEEP).unwrap_err(),
                CallbackError::ControlCharacter,
                "{q:?}"
            );
        }
    }

    /// `{DEEP}?code=aaa…` exactly `len` bytes long.
    fn url_of_length(len: usize) -> String {
        let head = format!("{DEEP}?code=");
        format!("{head}{}", "a".repeat(len - head.len()))
    }

    #[test]
    fn size_limits_hold() {
        assert_eq!(
            MAX_CALLBACK_BYTES, 8192,
            "the limit the error message names"
        );
        let longest = parse(&url_of_length(MAX_CALLBACK_BYTES), DEEP).unwrap();
        assert_eq!(longest.code.map(|c| c.len()), Some(8192 - DEEP.len() - 6));
        assert_eq!(
            parse(&url_of_length(MAX_CALLBACK_BYTES + 1), DEEP).unwrap_err(),
            CallbackError::TooLong(8193)
        );

        let params = |n: usize| {
            (0..n)
                .map(|i| format!("p{i}=x"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(parse(&format!("{DEEP}?{}", params(MAX_PARAMS)), DEEP).is_ok());
        assert_eq!(
            parse(&format!("{DEEP}?{}", params(MAX_PARAMS + 1)), DEEP).unwrap_err(),
            CallbackError::TooManyParams
        );
    }

    #[test]
    fn a_bare_query_is_bounded_too() {
        // The loopback listener parses the query alone, without parse()'s check of the URL.
        let query = |len: usize| format!("code={}", "a".repeat(len - 5));
        assert!(parse_query(&query(MAX_CALLBACK_BYTES)).is_ok());
        assert_eq!(
            parse_query(&query(MAX_CALLBACK_BYTES + 1)).unwrap_err(),
            CallbackError::TooLong(8193)
        );
    }

    #[test]
    fn a_refused_name_is_quoted_at_most_40_characters_long() {
        let name = "n".repeat(60);
        assert_eq!(
            parse(&format!("{DEEP}?{name}=%zz"), DEEP).unwrap_err(),
            CallbackError::BadEncoding("n".repeat(40))
        );
    }

    #[test]
    fn fragments_are_refused() {
        assert_eq!(
            parse(&format!("{DEEP}?code=a#frag"), DEEP).unwrap_err(),
            CallbackError::Fragment
        );
    }

    #[test]
    fn debug_hides_the_code_and_the_state() {
        let p = parse(
            &format!("{DEEP}?code=SECRETCODE&state=STATEVALUE&iss=https%3A%2F%2Fidp&error=e"),
            DEEP,
        )
        .unwrap();
        assert_eq!(
            format!("{p:?}"),
            r#"CallbackParams { state: Some("[present]"), code: Some("[redacted]"), iss: Some("https://idp"), error: Some("e") }"#
        );
    }
}
