//! Media URLs as logs and errors may show them: scheme, host (and port)
//! and path. A query or fragment may carry a presigned signature and user
//! info a password, so neither is ever shown.

/// A URL that would not parse, cut before any query or fragment, without
/// what could be user info, and at most 200 characters.
pub fn shown_raw(raw: &str) -> String {
    let before_query = raw.split(['?', '#']).next().unwrap_or_default();
    let without_user = match before_query.rsplit_once('@') {
        Some((_, rest)) => rest,
        None => before_query,
    };
    without_user.chars().take(200).collect()
}

/// Takes the user info, query and fragment off the URL a reqwest error
/// carries (its message shows that URL).
pub fn redact_error_url(err: &mut reqwest::Error) {
    if let Some(url) = err.url_mut() {
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_does_not_parse_is_shown_without_query_or_user() {
        assert_eq!(shown_raw("ftp://user:pw@host/x?sig=s3cret"), "host/x");
        assert_eq!(shown_raw("not a url#frag"), "not a url");
    }
}
