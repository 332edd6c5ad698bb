//! The short pages a customer's browser shows. They are fixed text: nothing from the request
//! (query, path, headers) is ever put in them; the only variables are the request's own
//! `return_url`, validated when the request was created, and on [`continue_page`] the last
//! digits of the number the link was sent to, both HTML-escaped here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One page: its status, its title and its sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Verified,
    NotVerified,
    LinkUnknown,
    LinkUsed,
    LinkExpired,
    CannotStart,
    Busy,
    CallbackRefused,
}

impl Page {
    fn status(self) -> StatusCode {
        match self {
            Page::Verified => StatusCode::OK,
            Page::NotVerified => StatusCode::UNAUTHORIZED,
            Page::LinkUnknown => StatusCode::NOT_FOUND,
            Page::LinkUsed | Page::LinkExpired => StatusCode::GONE,
            Page::CannotStart | Page::Busy => StatusCode::BAD_GATEWAY,
            Page::CallbackRefused => StatusCode::BAD_REQUEST,
        }
    }

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Page::Verified => ("You're verified", "You're verified. Go back to the chat."),
            Page::NotVerified => (
                "Not verified",
                "We could not verify you. Go back to the chat and ask for a new link.",
            ),
            Page::LinkUnknown => (
                "Link not valid",
                "This link is not valid. Check that you opened the whole link from the message.",
            ),
            Page::LinkUsed => (
                "Link already used",
                "This link was already used. Go back to the chat and ask for a new link.",
            ),
            Page::LinkExpired => (
                "Link expired",
                "This link has expired. Go back to the chat and ask for a new link.",
            ),
            Page::CannotStart => (
                "Sign-in unavailable",
                "The sign-in could not be started. Go back to the chat and try again later.",
            ),
            Page::Busy => (
                "Sign-in busy",
                "Too many sign-ins are in progress. Open the link again in a minute.",
            ),
            Page::CallbackRefused => (
                "Sign-in not found",
                "This sign-in is not waiting any more (it finished or expired). Go back to the \
                 chat and ask for a new link.",
            ),
        }
    }

    /// The page, with a link back when there is somewhere to go back to.
    pub fn render(self, return_url: Option<&str>) -> Response {
        let (title, sentence) = self.text();
        let back = return_url
            .map(|url| format!("<p><a href=\"{}\">Back to the chat</a></p>", escape(url)))
            .unwrap_or_default();
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title></head><body><h1>{title}</h1><p>{sentence}</p>{back}\
             </body></html>"
        );
        let mut response = (self.status(), html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        no_store(headers);
        response
    }
}

/// What a link shows before it is used: who it is for (masked) and a button that posts back to
/// the same address. Opening the link does not use it, so a link preview or a scanner that
/// fetches it cannot spend it; only the customer's click does.
pub fn continue_page(sent_to: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Confirm it's you</title></head><body><h1>Confirm it's you</h1>\
         <p>This sign-in was sent to {}. Continue only if that is your number.</p>\
         <form method=\"post\" action=\"\"><button type=\"submit\">Continue to sign in</button>\
         </form></body></html>",
        escape(&masked(sent_to))
    );
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    no_store(headers);
    // The form posts to this page itself.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

/// A number with all but its first three and last four characters hidden: `+27•••••0100`.
fn masked(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 7 {
        return "•".repeat(chars.len());
    }
    let hidden = chars.len() - 7;
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "•".repeat(hidden))
}

/// Nothing about a sign-in may be cached, nor its address sent on as a referrer.
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_return_url_is_escaped_and_pages_are_not_cached() {
        let response = Page::Verified.render(Some("https://chat.example/?a=1&b=\"x\""));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let html = body(response).await;
        assert!(
            html.contains("href=\"https://chat.example/?a=1&amp;b=&quot;x&quot;\""),
            "{html}"
        );
        assert!(html.contains("You're verified"));
    }

    #[tokio::test]
    async fn the_continue_page_shows_only_the_ends_of_the_number() {
        let response = continue_page("+27825550100");
        assert_eq!(response.status(), StatusCode::OK);
        let html = body(response).await;
        assert!(html.contains("+27•••••0100"), "{html}");
        assert!(!html.contains("8255"), "{html}");
        assert!(
            html.contains("<form method=\"post\" action=\"\">"),
            "{html}"
        );
        assert_eq!(masked("+12345678"), "+12••5678");
        assert_eq!(masked("+123"), "••••");
    }

    #[tokio::test]
    async fn without_a_return_url_there_is_no_link() {
        let html = body(Page::LinkUsed.render(None)).await;
        assert!(!html.contains("<a "), "{html}");
        assert!(html.contains("already used"));
    }
}
