//! HTML escaping for every text the portal puts in a page, whether the
//! templates print it (the engine's formatter) or a view writes the
//! markup itself (`views::markup`).
//!
//! `&`, `<`, `>`, `"` and `'` are replaced: what text and quoted attribute
//! values need. `/` is left alone. minijinja's own escaper writes it as
//! `&#x2f;`, which no context of these pages needs (no value is printed
//! into a script, a style or an unquoted attribute) and which made every
//! relative link six times longer: 55 MB, 5% of the benchmark portal.

use std::fmt;

use minijinja::value::Value;
use minijinja::{AutoEscape, Error, Output, State};

/// `text`, escaped when displayed.
pub struct Html<'a>(pub &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut plain = 0;
        for (at, byte) in text.bytes().enumerate() {
            let entity = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#x27;",
                _ => continue,
            };
            // Cut at ASCII bytes only, so always at a character boundary.
            f.write_str(&text[plain..at])?;
            f.write_str(entity)?;
            plain = at + 1;
        }
        f.write_str(&text[plain..])
    }
}

/// The templates' formatter: strings that are not marked safe, escaped by
/// [`Html`] where the template auto-escapes HTML; everything else as the
/// engine prints it.
pub fn formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
        if let Some(text) = value.as_str() {
            return fmt::Write::write_fmt(out, format_args!("{}", Html(text))).map_err(Error::from);
        }
    }
    minijinja::escape_formatter(out, state, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, context: Value) -> String {
        let mut env = minijinja::Environment::new();
        env.set_formatter(formatter);
        env.add_template("page.html", source).unwrap();
        env.get_template("page.html")
            .unwrap()
            .render(context)
            .unwrap()
    }

    #[test]
    fn escapes_what_html_needs_and_keeps_slashes() {
        assert_eq!(
            Html(r#"<a href="x">Tom & 'Jerry'</a> é/ü"#).to_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/a&gt; é/ü"
        );
        assert_eq!(Html("").to_string(), "");
        assert_eq!(Html("plain/text").to_string(), "plain/text");
    }

    #[test]
    fn templates_escape_strings_and_print_the_rest_as_before() {
        let context = minijinja::context! {
            text => "<script>alert('x')</script>",
            safe => Value::from_safe_string("<b>kept</b>".into()),
            n => 42,
            f => 1.5,
            yes => true,
            nothing => (),
            list => vec!["a/b", "<c>"],
        };
        assert_eq!(
            render(
                "{{ text }}|{{ safe }}|{{ n }}|{{ f }}|{{ yes }}|{{ nothing }}|{{ list|join(', ') }}|{{ text|safe }}",
                context
            ),
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;|<b>kept</b>|42|1.5|True|None|a/b, &lt;c&gt;|<script>alert('x')</script>"
        );
        // Where the template turns escaping off, nothing is escaped.
        assert_eq!(
            render(
                "{% autoescape false %}{{ text }}{% endautoescape %}",
                minijinja::context! { text => "<&>" }
            ),
            "<&>"
        );
    }
}
