//! The plain-text part of a mail, rendered from the report's Markdown for
//! reading: no Markdown escapes (`phase\_4`), no HTML entities (`&lt;b&gt;`),
//! headings underlined, tables as `a | b` rows, charts named by their alt text.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// `markdown` as text a person reads in a mail client.
pub fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut heading_start = None;
    let mut cell = 0usize;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading_start = Some(out.len()),
            Event::End(TagEnd::Heading(level)) => {
                let width = heading_start.take().map_or(0, |s| out[s..].chars().count());
                let line = if level == HeadingLevel::H1 { '=' } else { '-' };
                out.push('\n');
                out.extend(std::iter::repeat_n(line, width));
                out.push_str("\n\n");
            }
            Event::End(TagEnd::Paragraph | TagEnd::Table | TagEnd::List(_) | TagEnd::BlockQuote(_)) => {
                out.push('\n');
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::TableHead | Tag::TableRow) => cell = 0,
            Event::Start(Tag::TableCell) => {
                if cell > 0 {
                    out.push_str(" | ");
                }
                cell += 1;
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => out.push('\n'),
            Event::Start(Tag::Image { .. }) => out.push_str("[Chart: "),
            Event::End(TagEnd::Image) => out.push(']'),
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => out.push_str("----\n\n"),
            Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            _ => {}
        }
    }
    // At most one blank line in a row, none at either end.
    let mut text = String::with_capacity(out.len());
    for line in out.lines() {
        let line = line.trim_end();
        if line.is_empty() && (text.is_empty() || text.ends_with("\n\n")) {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_reads_as_text() {
        let md = "# Weekly summary 2026-W46\n\n**3 of 9** targets met, phase phase\\_4\\_general\\_availability.\n\n\
                  A comment: &lt;b&gt;Bold&lt;/b&gt; \\*not emphasis\\*\n\n\
                  | KPI | Value |\n|---|---:|\n| Hit rate | 93.9 % |\n| p99 | 174 ms |\n\n\
                  - one\n- two\n\n![Latency by percentile](charts/latency.png)\n";
        assert_eq!(
            plain(md),
            "Weekly summary 2026-W46\n=======================\n\n\
             3 of 9 targets met, phase phase_4_general_availability.\n\n\
             A comment: <b>Bold</b> *not emphasis*\n\n\
             KPI | Value\nHit rate | 93.9 %\np99 | 174 ms\n\n\
             - one\n- two\n\n[Chart: Latency by percentile]\n"
        );
    }
}
