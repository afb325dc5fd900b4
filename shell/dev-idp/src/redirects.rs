//! Where the provider is willing to send a browser back to.
//!
//! **Dev-only relaxation.** A real provider redirects only to URIs registered exactly, port
//! included. Tests here start the relying party on random ports, so any `http://` URI on a
//! loopback host (`127.0.0.1`, `localhost`, `[::1]`) with any port is accepted instead. That
//! still keeps codes on this machine: a browser is never sent to another host.

/// Whether `uri` is an absolute `http://` URI on a loopback host, without a fragment
/// (RFC 6749 §3.1.2) or user info.
pub(crate) fn is_loopback_http(uri: &str) -> bool {
    if uri.len() > 2048 || uri.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\' || c == '#') {
        return false;
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    // Split off `:port`; the host part then has to be one of the three names exactly.
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(rest) => ("[::1]", rest.strip_prefix(':').ok_or(rest)),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Ok(port)),
            None => (authority, Err("")),
        },
    };
    let host_ok = host == "[::1]" || host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost");
    let port_ok = match port {
        Ok(digits) => (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && digits.parse::<u16>().is_ok(),
        // No port at all is fine; anything else after the host is not.
        Err(rest) => rest.is_empty(),
    };
    host_ok && port_ok
}

/// `uri` with `params` added to its query (after `&` when it already has one).
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    for (name, value) in params {
        let separator = match out.find('?') {
            None => "?",
            Some(_) if out.ends_with(['?', '&']) => "",
            Some(_) => "&",
        };
        out.push_str(separator);
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space); `None` when it is not
/// valid UTF-8 after decoding or a `%` escape is malformed.
pub(crate) fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_uris_on_any_port_are_accepted() {
        for uri in [
            "http://127.0.0.1:8080/auth/callback",
            "http://127.0.0.1/cb",
            "http://localhost:43123/auth/callback?x=1",
            "http://LOCALHOST:1",
            "http://[::1]:65535/cb",
            "http://127.0.0.1:8080",
        ] {
            assert!(is_loopback_http(uri), "{uri}");
        }
    }

    #[test]
    fn other_hosts_schemes_and_tricks_are_refused() {
        for uri in [
            "https://evil.example/cb",
            "https://127.0.0.1:8080/cb",
            "http://evil.example/cb",
            "http://localhost.evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://127.0.0.1@evil.example/cb",
            "http://evil.example@127.0.0.1/cb",
            "http://127.0.0.1:80@evil.example/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:8080/cb#fragment",
            "http://127.0.0.1:8080/c b",
            "http://[::1]evil/cb",
            "//127.0.0.1/cb",
            "/auth/callback",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!is_loopback_http(uri), "{uri}");
        }
    }

    #[test]
    fn parameters_are_encoded_and_appended_to_an_existing_query() {
        assert_eq!(with_query("http://127.0.0.1/cb", &[("code", "a b"), ("state", "x&y=z")]), "http://127.0.0.1/cb?code=a%20b&state=x%26y%3Dz");
        assert_eq!(with_query("http://127.0.0.1/cb?app=1", &[("code", "c")]), "http://127.0.0.1/cb?app=1&code=c");
        assert_eq!(with_query("http://127.0.0.1/cb?", &[("code", "c")]), "http://127.0.0.1/cb?code=c");
    }

    #[test]
    fn form_encoding_decodes_and_rejects_broken_escapes() {
        assert_eq!(form_decode("a+b%3A%2Fc").as_deref(), Some("a b:/c"));
        assert_eq!(form_decode("tessera-dev-secret").as_deref(), Some("tessera-dev-secret"));
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%+1"), None);
        assert_eq!(form_decode("%ff"), None);
    }
}
