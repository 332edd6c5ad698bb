//! Why a test on the platform failed where Test Configuration passes: the one place that turns
//! the platform's failure (and whether the last test from this computer passed) into a cause,
//! a sentence and a fix.
//!
//! The platform differs from this computer in three ways only: its redirect URI, its client
//! credential (the copy of the client secret that sync pushed, or, for private_key_jwt, its
//! own signing key, never this computer's), and its own rules (the customer-id claim is
//! required, channel binding). Each rule below names which one is at fault.
//!
//! Invariant: pure; nothing here reads the network, the store or the clock.

use eca_oidc::login::report::TestErrorCode;
use serde::Serialize;

/// What the platform's side of a failed test looked like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformFailure<'a> {
    /// The platform finished the login and reports this failed check.
    Failed(&'a TestErrorCode),
    /// The platform has no result: the browser never came back to it with one.
    NoResult { link_opened: bool },
}

/// What the explanation is about (the UI and scripts may branch on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The IdP did not send the browser back to the platform's redirect URI.
    RedirectUriNotRegistered,
    /// The browser never opened the platform's link.
    LinkNotOpened,
    /// The platform's copy of the client secret is missing or not the one tested here.
    PlatformSecret,
    /// The IdP does not know the platform's own signing key (private_key_jwt).
    PlatformKey,
    /// The IdP did not release the customer-id claim to the platform.
    CustomerIdClaim,
    /// The platform's channel binding did not hold for the test number.
    ChannelBinding,
    /// Another check failed on the platform only.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Explanation {
    pub cause: Cause,
    /// "Passes from this computer, fails on the platform: …" (or "Fails on the platform: …").
    pub message: String,
    pub fix: String,
}

/// What the rules need to know besides the failure.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The last Test Configuration from this computer passed.
    pub local_passed: bool,
    /// The platform's redirect URI (`GET /v1/platform`).
    pub redirect_uri: &'a str,
    /// The IdP's customer-id claim.
    pub customer_id_claim: &'a str,
    /// The IdP's client authenticates with private_key_jwt: the platform signs with its own key.
    pub signs_with_key: bool,
    /// The number the test's link was sent to.
    pub customer: &'a str,
    /// The platform's own message and fix for the failure, if it gave one.
    pub platform_message: &'a str,
    pub platform_fix: &'a str,
}

/// The explanation of a failure on the platform; `None` when the platform's own message says
/// all there is (the check failed from this computer too, or was not a platform difference).
pub fn explain(failure: PlatformFailure<'_>, ctx: &Context<'_>) -> Option<Explanation> {
    let (cause, reason, fix) = match failure {
        PlatformFailure::NoResult { link_opened } => no_result(link_opened, ctx.redirect_uri),
        PlatformFailure::Failed(code) => failed(code, ctx)?,
    };
    let lead = if ctx.local_passed {
        "Passes from this computer, fails on the platform"
    } else {
        "Fails on the platform"
    };
    Some(Explanation {
        cause,
        message: format!("{lead}: {reason}."),
        fix,
    })
}

/// A cause, the reason it gives (ends the message), and the fix.
type Diagnosis = (Cause, String, String);

/// The platform has no result: the login never came back to its redirect URI.
fn no_result(link_opened: bool, uri: &str) -> Diagnosis {
    match link_opened {
        true => (
            Cause::RedirectUriNotRegistered,
            format!(
                "the IdP never sent the browser back to the platform, most likely because it \
                 refused the platform's redirect URI — register {uri}"
            ),
            format!(
                "Register {uri} at the IdP as a redirect URI of this client (the platform's \
                 redirect URI for customer sign-in), then test on the platform again."
            ),
        ),
        false => (
            Cause::LinkNotOpened,
            "the platform's link was never opened, so the IdP was not reached".to_string(),
            "Check that the browser opens ($BROWSER, or the system's default browser), then \
             test on the platform again."
                .to_string(),
        ),
    }
}

/// The platform's failure `code`, explained; `None` when its own message says all there is.
fn failed(code: &TestErrorCode, ctx: &Context<'_>) -> Option<Diagnosis> {
    Some(match code {
        TestErrorCode::InvalidClient | TestErrorCode::MissingKey if ctx.signs_with_key => (
            Cause::PlatformKey,
            "the IdP refused the platform's client assertion (invalid_client): the platform \
             signs with its own key, not this computer's, and the IdP does not know it"
                .to_string(),
            "Register the platform's public key at the IdP for this client: the IdP's form \
             shows it under \"The platform (customer sign-in)\", and `eca idp show NAME \
             --public-jwk` prints it with this computer's. Then test on the platform again."
                .to_string(),
        ),
        TestErrorCode::InvalidClient if ctx.local_passed => (
            Cause::PlatformSecret,
            "the IdP refused the client secret the platform holds (invalid_client): it is not \
             the one you tested with"
                .to_string(),
            "Push the secret you tested with: enter it again in the IdP's form (or `eca idp \
             edit NAME --client-secret-stdin`) and push, then test on the platform again."
                .to_string(),
        ),
        TestErrorCode::InvalidClient => (
            Cause::PlatformSecret,
            "the IdP refused the client secret the platform holds (invalid_client)".to_string(),
            "Check the client secret at the IdP, enter it again in the IdP's form and push, \
             then test on the platform again."
                .to_string(),
        ),
        TestErrorCode::MissingSecret => (
            Cause::PlatformSecret,
            "the platform holds no usable client secret for this IdP".to_string(),
            "Enter the client secret in the IdP's form and push, then test on the platform \
             again."
                .to_string(),
        ),
        TestErrorCode::CustomerIdClaim => {
            let claim = ctx.customer_id_claim;
            (
                Cause::CustomerIdClaim,
                format!(
                    "the IdP did not release the customer-id claim \"{claim}\" to the \
                     platform, and the platform authenticates no one without it"
                ),
                format!(
                    "Release \"{claim}\" to this client at the IdP (in the ID token or userinfo, \
                     for the configured scopes), or choose a claim the IdP releases as the \
                     customer-id claim and push; then test on the platform again."
                ),
            )
        }
        TestErrorCode::ChannelBindingMismatch => {
            let number = ctx.customer;
            (
                Cause::ChannelBinding,
                format!(
                    "channel binding is on, and the IdP did not return a verified phone number \
                     equal to {number}, the number the test sent its link to (Test \
                     Configuration does not check the binding)"
                ),
                "Test with the number your test account has verified at the IdP, make sure the \
                 IdP releases phone_number and phone_number_verified (scope \"phone\"), or turn \
                 channel binding off if customers' accounts carry no verified number."
                    .to_string(),
            )
        }
        _ if ctx.local_passed => (
            Cause::Other,
            ctx.platform_message.trim_end_matches('.').to_string(),
            ctx.platform_fix.to_string(),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "https://platform.example/v1/oauth/callback";

    fn ctx(local_passed: bool) -> Context<'static> {
        Context {
            local_passed,
            redirect_uri: URI,
            customer_id_claim: "email",
            signs_with_key: false,
            customer: "+12025550100",
            platform_message: "The ID token's audience is not this client.",
            platform_fix: "Check the client id.",
        }
    }

    fn failed(code: TestErrorCode, local_passed: bool) -> Option<Explanation> {
        explain(PlatformFailure::Failed(&code), &ctx(local_passed))
    }

    #[test]
    fn no_result_after_the_link_was_opened_names_the_redirect_uri_to_register() {
        let e = explain(PlatformFailure::NoResult { link_opened: true }, &ctx(true)).unwrap();
        assert_eq!(e.cause, Cause::RedirectUriNotRegistered);
        assert!(
            e.message
                .starts_with("Passes from this computer, fails on the platform: "),
            "{}",
            e.message
        );
        assert!(
            e.message.contains(&format!("register {URI}")),
            "{}",
            e.message
        );
        assert!(e.fix.contains(URI), "{}", e.fix);
    }

    #[test]
    fn an_unopened_link_is_not_blamed_on_the_idp() {
        let e = explain(
            PlatformFailure::NoResult { link_opened: false },
            &ctx(false),
        )
        .unwrap();
        assert_eq!(e.cause, Cause::LinkNotOpened);
        assert!(
            e.message.starts_with("Fails on the platform: "),
            "{}",
            e.message
        );
        assert!(!e.message.contains(URI));
    }

    #[test]
    fn invalid_client_after_a_local_pass_means_the_pushed_secret_is_another() {
        let e = failed(TestErrorCode::InvalidClient, true).unwrap();
        assert_eq!(e.cause, Cause::PlatformSecret);
        assert!(
            e.message.contains("not the one you tested with"),
            "{}",
            e.message
        );
        assert!(e.fix.starts_with("Push"), "{}", e.fix);
        let alone = failed(TestErrorCode::InvalidClient, false).unwrap();
        assert!(!alone.message.contains("tested with"), "{}", alone.message);
        assert!(alone.fix.contains("push"), "{}", alone.fix);
        let missing = failed(TestErrorCode::MissingSecret, true).unwrap();
        assert_eq!(missing.cause, Cause::PlatformSecret);
    }

    #[test]
    fn invalid_client_for_a_private_key_jwt_client_means_the_platform_key_is_not_registered() {
        let signs = Context {
            signs_with_key: true,
            ..ctx(true)
        };
        let e = explain(
            PlatformFailure::Failed(&TestErrorCode::InvalidClient),
            &signs,
        )
        .unwrap();
        assert_eq!(e.cause, Cause::PlatformKey);
        assert!(e.message.contains("not this computer's"), "{}", e.message);
        assert!(
            e.fix.starts_with("Register the platform's public key") && !e.fix.contains("secret"),
            "{}",
            e.fix
        );
        assert_eq!(
            failed(TestErrorCode::InvalidClient, true).unwrap().cause,
            Cause::PlatformSecret,
            "a client with a secret is still told about the secret"
        );
    }

    #[test]
    fn a_missing_customer_id_claim_is_named() {
        let e = failed(TestErrorCode::CustomerIdClaim, true).unwrap();
        assert_eq!(e.cause, Cause::CustomerIdClaim);
        assert!(e.message.contains("\"email\""), "{}", e.message);
        assert!(e.fix.contains("\"email\""), "{}", e.fix);
    }

    #[test]
    fn a_channel_binding_mismatch_names_the_test_number() {
        let e = failed(TestErrorCode::ChannelBindingMismatch, true).unwrap();
        assert_eq!(e.cause, Cause::ChannelBinding);
        assert!(e.message.contains("+12025550100"), "{}", e.message);
        assert!(e.fix.contains("channel binding off"), "{}", e.fix);
    }

    #[test]
    fn another_failure_is_a_difference_only_when_this_computer_passed() {
        let e = failed(TestErrorCode::IdTokenAud, true).unwrap();
        assert_eq!(e.cause, Cause::Other);
        assert_eq!(
            e.message,
            "Passes from this computer, fails on the platform: The ID token's audience is not \
             this client."
        );
        assert_eq!(e.fix, "Check the client id.");
        assert_eq!(
            failed(TestErrorCode::IdTokenAud, false),
            None,
            "the platform's own message says it all"
        );
    }
}
