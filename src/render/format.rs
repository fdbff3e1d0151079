//! Text formatting of the renderers: status labels and Markdown escaping.

pub fn status(s: Option<&str>) -> String {
    match s {
        Some("met") => "✅ met".into(),
        Some("at_risk") => "⚠️ at risk".into(),
        Some("missed") => "❌ missed".into(),
        Some("no_data") => "no data".into(),
        _ => "".into(),
    }
}

/// Make customer text inert in Markdown (and in the HTML a Markdown viewer
/// makes of it): HTML specials become entities, Markdown punctuation is
/// backslash-escaped, line breaks become spaces so a table row stays one row.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.chars().enumerate() {
        match ch {
            // List and heading markers matter only at the start.
            '-' | '+' | '#' | '!' if i > 0 => out.push(ch),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_text_is_inert_in_markdown() {
        let s = md_escape("<script>alert(1)</script> | *bold*\nnext [x](http://e)");
        assert!(!s.contains('<') && !s.contains('\n'));
        assert_eq!(
            s,
            "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| \\*bold\\* next \\[x\\]\\(http://e\\)"
        );
    }
}
