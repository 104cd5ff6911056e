//! Policy markdown to HTML that cannot carry script: pulldown-cmark renders,
//! ammonia sanitizes. Links to sibling `.md` files point at their pages.

use std::sync::LazyLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .add_generic_attributes(["id"])
        .id_prefix(Some("md-"))
        // The portal makes no request beyond its own files: an image from
        // elsewhere would be a tracking pixel, so it loses its source.
        .attribute_filter(|element, attribute, value| {
            let remote = value.contains("://") || value.starts_with("//");
            if element == "img" && attribute == "src" && remote {
                None
            } else {
                Some(value.into())
            }
        });
    builder
});

/// Renders markdown to sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: md_link_to_html(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    SANITIZER.clean(&unsafe_html).to_string()
}

/// `other-policy.md#scope` → `other-policy.html#scope`, for relative links.
fn md_link_to_html(url: CowStr<'_>) -> CowStr<'_> {
    if url.contains("://") || url.starts_with('/') || url.starts_with("mailto:") {
        return url;
    }
    let (path, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (&url[..], ""),
    };
    match path.strip_suffix(".md") {
        Some(stem) if !stem.is_empty() => CowStr::from(format!("{stem}.html{fragment}")),
        _ => url,
    }
}

/// The text of markdown without markup, for the search index.
pub fn to_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => {
                text.push_str(&t);
                text.push(' ');
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_handlers_do_not_survive() {
        let html = to_html(
            "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [d](data:text/html,hi)\n\n<a href=\"JaVaScRiPt:alert(1)\">y</a>\n",
        );
        let lowered = html.to_lowercase();
        assert!(!lowered.contains("<script"), "{html}");
        assert!(!lowered.contains("onerror"), "{html}");
        assert!(!lowered.contains("javascript:"), "{html}");
        assert!(!lowered.contains("data:"), "{html}");
        assert!(html.contains("<h1>Hi</h1>"));
    }

    #[test]
    fn remote_images_lose_their_source() {
        let html = to_html(
            "![pixel](https://evil.test/t.png) <img src=\"//evil.test/u.png\"> ![ok](diagram.png)",
        );
        assert!(!html.contains("evil.test"), "{html}");
        assert!(html.contains("src=\"diagram.png\""), "{html}");
    }

    #[test]
    fn links_to_markdown_siblings_point_at_pages() {
        let html =
            to_html("[a](access.md#scope) [b](https://x.test/a.md) [c](../hr/onboarding.md)");
        assert!(html.contains("href=\"access.html#scope\""), "{html}");
        assert!(html.contains("href=\"https://x.test/a.md\""));
        assert!(html.contains("href=\"../hr/onboarding.html\""));
    }

    #[test]
    fn text_drops_markup() {
        assert_eq!(
            to_text("# Title\n\nSome *emphasis* and `code`."),
            "Title Some emphasis and code ."
        );
    }
}
