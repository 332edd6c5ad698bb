//! Property tests of the callback parser: it is fed by the OS and by any local process, so it
//! must never panic, must stay within its bounds, and must read back exactly what a well-formed
//! redirect carried. `cargo test` runs a short smoke (proptest's default number of cases);
//! `make fuzz` runs many more (`PROPTEST_CASES`).

use eca_oidc::login::callback::{self, CallbackError, MAX_CALLBACK_BYTES};
use proptest::prelude::*;

const DEEP: &str = "com.ecaadmin.desktop:/oauth/callback";

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

proptest! {
    /// Arbitrary bytes after the target: an answer or an error, never a panic.
    #[test]
    fn never_panics_on_arbitrary_queries(query in ".{0,600}") {
        let _ = callback::parse(&format!("{DEEP}?{query}"), DEEP);
        let _ = callback::parse_query(&query);
    }

    /// Percent signs, plus signs, NUL/CR/LF and ampersands in any mix.
    #[test]
    fn never_panics_on_hostile_alphabets(query in "[%+&=a-f0-9\\x00\\r\\nstcode]{0,300}") {
        if let Ok(p) = callback::parse(&format!("{DEEP}?{query}"), DEEP) {
            for value in [&p.code, &p.state, &p.iss, &p.error].into_iter().flatten() {
                prop_assert!(!value.contains(['\0', '\r', '\n']), "{value:?}");
            }
        }
    }

    /// What a well-formed redirect carries comes back exactly.
    #[test]
    fn round_trips_well_formed_values(code in "\\PC{1,60}", state in "\\PC{1,60}", extra in "[a-z]{1,8}") {
        prop_assume!(!["code", "state", "iss", "error", "error_description"].contains(&extra.as_str()));
        let url = format!("{DEEP}?code={}&state={}&{extra}=1", encode(&code), encode(&state));
        let p = callback::parse(&url, DEEP).unwrap();
        prop_assert_eq!(p.code.as_deref(), Some(code.as_str()));
        prop_assert_eq!(p.state.as_deref(), Some(state.as_str()));
    }

    /// Any parameter given twice is refused, whatever else surrounds it.
    #[test]
    fn duplicates_are_always_refused(name in "(code|state|iss|[a-z]{1,6})", a in "[a-z0-9]{0,10}", b in "[a-z0-9]{0,10}") {
        let url = format!("{DEEP}?{name}={a}&x_other=1&{name}={b}");
        prop_assert_eq!(callback::parse(&url, DEEP).unwrap_err(), CallbackError::DuplicateParam(name));
    }

    /// Oversized callbacks are refused by their length, before any parsing.
    #[test]
    fn oversized_callbacks_are_refused(extra in 1usize..4096) {
        let url = format!("{DEEP}?code={}", "a".repeat(MAX_CALLBACK_BYTES + extra));
        prop_assert!(matches!(callback::parse(&url, DEEP), Err(CallbackError::TooLong(_))));
    }
}
