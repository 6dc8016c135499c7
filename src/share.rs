//! Share links in the address bar: reading `?j=` from the hash route, building a link for the page
//! on screen, and copying text to the clipboard.

use wasm_bindgen_futures::JsFuture;

/// The query parameter that carries a journal.
pub const JOURNAL_PARAM: &str = "j";

/// The journal text in a hash-route query such as `?j=fl1.xyz`, if any.
pub fn journal_from_query(query: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| {
            pair.strip_prefix(JOURNAL_PARAM)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .map(str::to_string)
}

/// The full URL that reopens `route_path` with `link`'s journal.
pub fn url_for(route_path: &str, link: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| {
            let location = w.location();
            Some(format!(
                "{}{}",
                location.origin().ok()?,
                location.pathname().ok()?
            ))
        })
        .unwrap_or_default();
    format!("{base}#{route_path}?{JOURNAL_PARAM}={link}")
}

/// Copies `text` to the clipboard. Returns false when the browser refused (for example on a
/// page not served over HTTPS or localhost), so the caller can show the text instead.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_journal_parameter() {
        assert_eq!(journal_from_query("?j=fl1.abc"), Some("fl1.abc".into()));
        assert_eq!(journal_from_query("x=1&j=fl1.abc"), Some("fl1.abc".into()));
        assert_eq!(journal_from_query("?jj=1"), None);
        assert_eq!(journal_from_query(""), None);
    }
}
