//! The simulated SMS/WhatsApp gateway: the text a customer receives. Sending it is recording
//! it in the `message` table (`GET /v1/workspaces/{ws}/messages` lists them), in the same
//! transaction as the request, so a request never exists without its message.

use super::request::Channel;
use time::Duration;

/// The message that carries a link.
pub fn message_text(channel: Channel, link: &str, valid_for: Duration) -> String {
    let minutes = valid_for.whole_minutes().max(1);
    let greeting = match channel {
        Channel::Sms => "To confirm it's you, open",
        Channel::Whatsapp => "Please confirm it's you: open",
    };
    format!("{greeting} {link} and sign in. The link works once, for {minutes} minutes.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_link_and_its_lifetime() {
        let text = message_text(Channel::Sms, "http://p/l/abc", Duration::minutes(10));
        assert!(text.contains("http://p/l/abc"), "{text}");
        assert!(text.contains("10 minutes"), "{text}");
    }
}
