//! A small scanner for the HTML these pages produce: attribute values are always double-quoted
//! and never contain `"` or `>` (they are escaped), which is all it relies on.

use std::collections::BTreeMap;

/// The attributes of one tag, by name.
pub(super) type Attrs = BTreeMap<String, String>;

/// The attributes of every `<tag …>` in `html`. Attribute values are double-quoted and never
/// contain `"` or `>` (they are escaped), so a small scanner is enough.
pub(super) fn tags(html: &str, tag: &str) -> Vec<Attrs> {
    let open = format!("<{tag}");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        rest = after;
        if !after.starts_with([' ', '>', '\n']) {
            continue;
        }
        let end = after.find('>').expect("tag end");
        found.push(attributes(&after[..end]));
    }
    found
}

/// The attributes inside one start tag (the text between the tag name and `>`).
pub(super) fn attributes(mut s: &str) -> Attrs {
    let mut attrs = Attrs::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return attrs;
        }
        let name_end = s.find(['=', ' ', '\n']).unwrap_or(s.len());
        let name = s[..name_end].to_owned();
        s = &s[name_end..];
        if let Some(quoted) = s.strip_prefix("=\"") {
            let close = quoted.find('"').expect("closing quote");
            attrs.insert(name, quoted[..close].to_owned());
            s = &quoted[close + 1..];
        } else {
            attrs.insert(name, String::new());
        }
    }
}

/// The text inside every `<tag>…</tag>` (tags without attributes).
pub(super) fn inline(html: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    html.split(&open)
        .skip(1)
        .map(|part| part.split(&close).next().expect("closed").to_owned())
        .collect()
}
