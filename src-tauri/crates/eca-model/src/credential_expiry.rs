//! When an IdP's client credential expires (the client secret — or the signing key, for
//! private_key_jwt), and how near that is.
//!
//! Invariants:
//! - The date is a calendar day, `YYYY-MM-DD`, in UTC. The credential still works on that day
//!   and is expired from the next one on.
//! - [`expiry`] is the one rule: the list, the CLI, readiness and the platform all call it, with
//!   "today" taken from an injected [`Clock`] by [`today`].
//! - "Due soon" starts [`REMINDER_DAYS`] days ahead and includes the day itself.

use crate::clock::Clock;
use crate::idp::ClientAuthMethod;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, UtcOffset};

/// How many days ahead of the expiry date the app starts reminding.
pub const REMINDER_DAYS: u32 = 30;

/// How near a credential's expiry is, against a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CredentialExpiry {
    /// No expiry date is recorded.
    NoDate,
    /// More than [`REMINDER_DAYS`] days left.
    Fine { days_left: u32 },
    /// [`REMINDER_DAYS`] days or fewer left; 0 is the last day it works.
    DueSoon { days_left: u32 },
    /// Expired `days_ago` days ago (1: it expired at the end of yesterday).
    Expired { days_ago: u32 },
}

impl CredentialExpiry {
    pub fn is_expired(self) -> bool {
        matches!(self, CredentialExpiry::Expired { .. })
    }

    /// The reminder the list shows: [`Self::describe`] once it is due soon or expired, else
    /// nothing.
    pub fn reminder(self, expires_on: &str, method: ClientAuthMethod) -> Option<String> {
        match self {
            CredentialExpiry::DueSoon { .. } | CredentialExpiry::Expired { .. } => {
                self.describe(expires_on, method)
            }
            CredentialExpiry::NoDate | CredentialExpiry::Fine { .. } => None,
        }
    }

    /// What an admin reads about it (readiness, the CLI, the platform's refusal), with the
    /// date it is recorded for and what `method` renews; `None` when no date is recorded.
    pub fn describe(self, expires_on: &str, method: ClientAuthMethod) -> Option<String> {
        let (what, renew) = if method.uses_key() {
            (
                "The signing key",
                "replace the key in the IdP's form, register its new public key at the IdP, \
                 and record the new key's expiry date",
            )
        } else {
            (
                "The client secret",
                "create a new one at the IdP, enter it with its expiry date, and push it",
            )
        };
        Some(match self {
            CredentialExpiry::NoDate => return None,
            CredentialExpiry::Fine { days_left } => {
                format!("{what} expires on {expires_on}, in {days_left} days.")
            }
            CredentialExpiry::DueSoon { days_left: 0 } => {
                format!("{what} expires today ({expires_on}): {renew} now.")
            }
            CredentialExpiry::DueSoon { days_left } => format!(
                "{what} expires on {expires_on}, in {days_left} day{}: {renew} before then.",
                plural(days_left)
            ),
            CredentialExpiry::Expired { .. } => format!(
                "{what} expired on {expires_on}: the platform refuses customer sign-ins with it. \
                 To renew it, {renew}."
            ),
        })
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Today, in UTC, by `clock`.
pub fn today(clock: &dyn Clock) -> Date {
    clock.now().to_offset(UtcOffset::UTC).date()
}

/// Reads an expiry date, `YYYY-MM-DD`; the error is the field message validation shows.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let format = format_description!("[year]-[month]-[day]");
    match Date::parse(text, &format) {
        Ok(date) if text.len() == 10 => Ok(date),
        _ => Err(format!(
            "\"{text}\" is not a date: write it as YYYY-MM-DD, e.g. 2027-03-31"
        )),
    }
}

/// How near the expiry recorded as `expires_on` is, on `today`. A text that is not a date
/// counts as no date: validation lets none through, so only a hand-edited row could hold one.
pub fn expiry(expires_on: Option<&str>, today: Date) -> CredentialExpiry {
    let Some(date) = expires_on.and_then(|d| parse_date(d).ok()) else {
        return CredentialExpiry::NoDate;
    };
    let days = (date - today).whole_days();
    let clamp = |d: i64| u32::try_from(d).unwrap_or(u32::MAX);
    if days < 0 {
        CredentialExpiry::Expired {
            days_ago: clamp(-days),
        }
    } else if days <= i64::from(REMINDER_DAYS) {
        CredentialExpiry::DueSoon {
            days_left: clamp(days),
        }
    } else {
        CredentialExpiry::Fine {
            days_left: clamp(days),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use time::macros::{date, datetime};

    const TODAY: Date = date!(2026 - 11 - 30);

    #[test]
    fn the_reminder_starts_thirty_days_ahead_and_expiry_the_day_after() {
        let cases = [
            ("2027-01-01", CredentialExpiry::Fine { days_left: 32 }),
            ("2026-12-31", CredentialExpiry::Fine { days_left: 31 }),
            ("2026-12-30", CredentialExpiry::DueSoon { days_left: 30 }),
            ("2026-12-10", CredentialExpiry::DueSoon { days_left: 10 }),
            ("2026-11-30", CredentialExpiry::DueSoon { days_left: 0 }),
            ("2026-11-29", CredentialExpiry::Expired { days_ago: 1 }),
            ("2025-11-30", CredentialExpiry::Expired { days_ago: 365 }),
        ];
        for (on, expected) in cases {
            assert_eq!(expiry(Some(on), TODAY), expected, "expires on {on}");
        }
        assert_eq!(expiry(None, TODAY), CredentialExpiry::NoDate);
        assert_eq!(expiry(Some("soon"), TODAY), CredentialExpiry::NoDate);
    }

    #[test]
    fn today_is_the_utc_day_of_the_clock() {
        let late_in_auckland = FixedClock(datetime!(2026-12-01 08:00 +13:00));
        assert_eq!(today(&late_in_auckland), TODAY);
    }

    #[test]
    fn only_a_full_iso_date_reads() {
        assert_eq!(parse_date("2027-03-31"), Ok(date!(2027 - 03 - 31)));
        for bad in [
            "2027-3-31",
            "2027-02-30",
            "31/03/2027",
            "2027-03-31T00:00",
            "",
            " 2027-03-31",
        ] {
            let err = parse_date(bad).expect_err(bad);
            assert!(err.contains("YYYY-MM-DD"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn each_state_says_what_to_do() {
        let secret = ClientAuthMethod::ClientSecretBasic;
        let due = expiry(Some("2026-12-01"), TODAY)
            .describe("2026-12-01", secret)
            .unwrap();
        assert!(
            due.starts_with("The client secret") && due.contains("in 1 day:"),
            "{due}"
        );
        let expired = expiry(Some("2026-11-01"), TODAY)
            .describe("2026-11-01", secret)
            .unwrap();
        assert!(expired.contains("expired on 2026-11-01") && expired.contains("refuses"));
        let key = expiry(Some("2026-11-01"), TODAY)
            .describe("2026-11-01", ClientAuthMethod::PrivateKeyJwt)
            .unwrap();
        assert!(
            key.starts_with("The signing key expired")
                && key.contains("register its new public key"),
            "{key}"
        );
        assert_eq!(CredentialExpiry::NoDate.describe("", secret), None);
        assert!(CredentialExpiry::Expired { days_ago: 1 }.is_expired());
        assert!(!CredentialExpiry::DueSoon { days_left: 0 }.is_expired());
    }

    #[test]
    fn the_list_reminds_only_once_the_reminder_is_due() {
        let key = ClientAuthMethod::PrivateKeyJwt;
        let fine = expiry(Some("2026-12-31"), TODAY);
        assert_eq!(fine.reminder("2026-12-31", key), None);
        assert_eq!(CredentialExpiry::NoDate.reminder("", key), None);
        let due = expiry(Some("2026-12-30"), TODAY);
        assert_eq!(
            due.reminder("2026-12-30", key),
            due.describe("2026-12-30", key)
        );
        let gone = expiry(Some("2026-11-29"), TODAY).reminder("2026-11-29", key);
        assert!(gone.is_some_and(|text| text.starts_with("The signing key expired")));
    }
}
