//! The provider's few HTML pages share one self-contained frame: inline CSS, no scripts, no
//! external resources, so the pages work with nothing else running.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page. `title` is plain text; `body` is HTML the caller has already escaped.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<p class="badge" role="note"><span aria-hidden="true">⚠</span> Development sign-in — not a real identity provider</p>
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // No framing (clickjacking of the sign-in buttons), no scripts, nothing loaded from elsewhere.
    // `form-action` stays unset: browsers apply it to the redirect that follows the form post,
    // and that redirect goes to the relying party on another port.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// A page that explains a refused request; never a redirect.
pub(crate) fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let body = format!(
        r#"<h1>{heading}</h1>
<p class="lede">{message}</p>
<p class="note">Nothing was sent back to the application that asked. Check its OpenID Connect settings: the client id and a redirect URI on <code>http://127.0.0.1</code>, <code>http://localhost</code> or <code>http://[::1]</code>.</p>"#,
        heading = escape(heading),
        message = escape(message),
    );
    page(status, &format!("{heading} · Tessera Eats"), &body)
}

const STYLE: &str = r#"
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --card: #ffffff; --text: #1b1f24; --muted: #5a6370; --border: #e1e4e8;
  --accent: #c2410c; --accent-soft: #fde7dc; --on-accent: #ffffff;
  --warn-bg: #fff3df; --warn-text: #7a4100; --chip: #eef0f3;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1a1f26; --text: #e8eaed; --muted: #a3acb8; --border: #2b323c;
    --accent: #f07236; --accent-soft: #3b2418; --on-accent: #1b0d05;
    --warn-bg: #3a2910; --warn-text: #ffd08a; --chip: #262d36;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 3rem 1rem 4rem; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: 1.25rem 0 .25rem; }
.lede { color: var(--muted); margin: 0 0 1.5rem; }
.badge { display: inline-flex; gap: .4rem; align-items: center; margin: 0; padding: .3rem .8rem;
  border: 1px solid currentColor; border-radius: 999px; background: var(--warn-bg); color: var(--warn-text);
  font-size: .85rem; font-weight: 600; }
.users { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
.user { display: flex; gap: 1rem; align-items: center; margin: 0; padding: 1rem 1.1rem;
  background: var(--card); border: 1px solid var(--border); border-radius: 14px;
  box-shadow: 0 1px 2px rgb(0 0 0 / .04); }
.avatar { flex: none; display: grid; place-items: center; width: 2.75rem; height: 2.75rem; border-radius: 50%;
  background: var(--accent-soft); color: var(--accent); font-weight: 700; letter-spacing: .02em; }
.who { flex: 1; min-width: 0; }
.name { font-weight: 600; }
.blurb { color: var(--muted); font-size: .92rem; }
.roles { display: flex; flex-wrap: wrap; gap: .3rem; margin-top: .3rem; }
.role { padding: .05rem .55rem; border-radius: 999px; background: var(--chip); font-size: .78rem; }
button, .button { flex: none; padding: .55rem 1.15rem; border: 0; border-radius: 9px; background: var(--accent);
  color: var(--on-accent); font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
button:hover, .button:hover { filter: brightness(1.08); }
button:focus-visible, .button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.note { color: var(--muted); font-size: .85rem; margin-top: 1.75rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .85em; }
@media (max-width: 26rem) { .user { flex-wrap: wrap; } button { width: 100%; } }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(escape(r#"<a href="x" onclick='y'>&</a>"#), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    }
}
