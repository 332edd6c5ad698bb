//! Secrets from stdin (the client secret, the sync API key): the only way a secret enters the CLI.
//!
//! Invariants: the value goes straight into a [`Secret`] (redacted, zeroised on drop) and is
//! never printed, logged or put in an error. A terminal is refused rather than read, because
//! a terminal would echo what is typed.

use crate::error::CliError;
use eca_core::secrets::Secret;
use std::io::{IsTerminal, Read};

/// Which secret is read, for the messages.
pub struct SecretPrompt {
    /// The flag, e.g. `--client-secret-stdin`.
    pub flag: &'static str,
    /// What it is, e.g. "the client secret".
    pub what: &'static str,
    /// An example pipeline.
    pub example: &'static str,
}

pub const CLIENT_SECRET: SecretPrompt = SecretPrompt {
    flag: "--client-secret-stdin",
    what: "the client secret",
    example: "pass show idp/okta | eca idp add … --client-secret-stdin",
};

/// Reads stdin to its end and drops one trailing newline (`\n` or `\r\n`), as `echo` and
/// password managers add one.
pub fn read_from_stdin(prompt: &SecretPrompt) -> Result<Secret, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::Usage(format!(
            "{} reads a pipe, not the terminal (typing would echo {}): e.g. `{}`",
            prompt.flag, prompt.what, prompt.example
        )));
    }
    let mut value = String::new();
    stdin
        .lock()
        .read_to_string(&mut value)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                CliError::Usage(format!("{} on stdin is not UTF-8 text", prompt.what))
            }
            _ => CliError::io(format!("cannot read {} from stdin", prompt.what), e),
        })?;
    strip_one_newline(&mut value);
    Ok(Secret::new(value))
}

fn strip_one_newline(value: &mut String) {
    if value.ends_with("\r\n") {
        value.truncate(value.len() - 2);
    } else if value.ends_with('\n') {
        value.truncate(value.len() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::strip_one_newline;

    #[test]
    fn one_trailing_newline_is_dropped() {
        for (input, expected) in [
            ("s3cret\n", "s3cret"),
            ("s3cret\r\n", "s3cret"),
            ("s3cret", "s3cret"),
            ("s3cret\n\n", "s3cret\n"),
            ("", ""),
        ] {
            let mut v = input.to_string();
            strip_one_newline(&mut v);
            assert_eq!(v, expected, "input {input:?}");
        }
    }
}
