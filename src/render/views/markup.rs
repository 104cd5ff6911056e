//! Charts' drawings and data tables written as HTML here, not by the
//! templates: they are most of the dashboard's bytes and of a metric file's
//! page, thousands of marks and cells each, and laying them out mark by
//! mark in the template engine cost 1.6 s of user CPU in a bundle of the
//! benchmark workspace (14.2 s against 12.6 s now). The templates still
//! place them (`macros.html`: `svg` prints `s.html`, `data_table` prints
//! `t.html`) and lay out everything around them.
//!
//! Every text is escaped exactly as the template engine escapes it, so the
//! pages are byte for byte what the templates made. Writing to a `String`
//! cannot fail: the `fmt::Result`s are dropped.

use std::fmt::Write;

use minijinja::Value;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::charts::{Chart, LegendItem, Mark, Meter, Panel, Svg, Table};
use crate::render::escape::Html;

/// `<svg>`: the drawing, for the page's `s.html`.
impl Svg {
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(160 + 96 * self.marks.len());
        let _ = write!(
            out,
            r#"<svg class="chart-svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}" focusable="false">"#,
            Html(&self.label),
            w = self.width,
            h = self.height,
        );
        for mark in &self.marks {
            let _ = match mark {
                Mark::Rect {
                    x,
                    y,
                    width,
                    height,
                    class,
                    title,
                } => write!(
                    out,
                    r#"<rect class="{}" x="{}" y="{}" width="{}" height="{}">{}</rect>"#,
                    Html(class),
                    Html(x),
                    Html(y),
                    Html(width),
                    Html(height),
                    Title(title),
                ),
                Mark::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    class,
                } => write!(
                    out,
                    r#"<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
                    Html(class),
                    Html(x1),
                    Html(y1),
                    Html(x2),
                    Html(y2),
                ),
                Mark::Polyline { points, class } => write!(
                    out,
                    r#"<polyline class="{}" points="{}"/>"#,
                    Html(class),
                    Html(points),
                ),
                Mark::Circle {
                    cx,
                    cy,
                    r,
                    class,
                    title,
                } => write!(
                    out,
                    r#"<circle class="{}" cx="{}" cy="{}" r="{}">{}</circle>"#,
                    Html(class),
                    Html(cx),
                    Html(cy),
                    Html(r),
                    Title(title),
                ),
                Mark::Text {
                    x,
                    y,
                    anchor,
                    class,
                    text,
                } => write!(
                    out,
                    r#"<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>"#,
                    Html(class),
                    Html(x),
                    Html(y),
                    Html(anchor),
                    Html(text),
                ),
            };
        }
        out.push_str("\n</svg>");
        out
    }
}

/// A mark's `<title>` (its tooltip), when it has one.
struct Title<'a>(&'a Option<String>);

impl std::fmt::Display for Title<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(title) if !title.is_empty() => write!(f, "<title>{}</title>", Html(title)),
            _ => Ok(()),
        }
    }
}

/// A drawing as a template sees it: `width`, `height`, `label` and `html`,
/// the `<svg>` element.
impl Serialize for Svg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Svg", 4)?;
        s.serialize_field("width", &self.width)?;
        s.serialize_field("height", &self.height)?;
        s.serialize_field("label", &self.label)?;
        s.serialize_field("html", &Value::from_safe_string(self.to_html()))?;
        s.end()
    }
}

impl Table {
    /// `<table>`, its links relative to a page at `root` (the page's path
    /// back to the period folder, as templates get it).
    pub fn to_html(&self, root: &str) -> String {
        let cells: usize = self.rows.iter().map(Vec::len).sum();
        let mut out = String::with_capacity(128 + 48 * cells);
        let _ = write!(
            out,
            "<table class=\"list data\">\n<caption>{}</caption>\n<thead><tr>",
            Html(&self.caption)
        );
        for name in &self.head {
            let _ = write!(out, r#"<th scope="col">{}</th>"#, Html(name));
        }
        out.push_str("</tr></thead>\n<tbody>");
        for row in &self.rows {
            out.push_str("\n<tr>");
            for (i, cell) in row.iter().enumerate() {
                let tag = if i == 0 { "th" } else { "td" };
                out.push('<');
                out.push_str(tag);
                if i == 0 {
                    out.push_str(r#" scope="row""#);
                }
                let class = cell.class.filter(|c| !c.is_empty());
                if cell.num || class.is_some() {
                    out.push_str(r#" class=""#);
                    if cell.num {
                        out.push_str("num");
                    }
                    if let Some(class) = class {
                        let _ = write!(out, " {}", Html(class));
                    }
                    out.push('"');
                }
                out.push('>');
                let href = cell.href.as_deref().filter(|h| !h.is_empty());
                if !cell.links.is_empty() {
                    for (j, link) in cell.links.iter().enumerate() {
                        if j > 0 {
                            out.push_str("<br>");
                        }
                        let _ = write!(
                            out,
                            r#"<a href="{}{}">{}</a>"#,
                            Html(root),
                            Html(&link.href),
                            Html(&link.text)
                        );
                    }
                } else if let Some(href) = href {
                    let _ = write!(
                        out,
                        r#"<a href="{}{}">{}</a>"#,
                        Html(root),
                        Html(href),
                        Html(&cell.text)
                    );
                } else {
                    let _ = write!(out, "{}", Html(&cell.text));
                }
                out.push_str("</");
                out.push_str(tag);
                out.push('>');
            }
            out.push_str("</tr>");
        }
        out.push_str("\n</tbody>\n</table>");
        out
    }

    fn view(&self, root: &str) -> TableView {
        TableView {
            caption: self.caption.clone(),
            html: Value::from_safe_string(self.to_html(root)),
        }
    }
}

/// A table as a template sees it: `caption`, and `html`, the `<table>`.
#[derive(Debug, Serialize)]
pub struct TableView {
    caption: String,
    html: Value,
}

/// A chart as a template sees it (the `chart` macro lays it out): as
/// [`Chart`], with each table written for the page it is on.
#[derive(Debug, Serialize)]
pub struct ChartView {
    id: &'static str,
    title: String,
    note: Option<String>,
    layout: &'static str,
    legend: Vec<LegendItem>,
    panels: Vec<PanelView>,
    more: Option<TableView>,
}

#[derive(Debug, Serialize)]
struct PanelView {
    title: String,
    subtitle: Option<String>,
    svg: Svg,
    table: TableView,
    meter: Option<Meter>,
}

impl Chart {
    /// The chart for a page at `root` (see [`Table::to_html`]).
    pub fn into_view(self, root: &str) -> ChartView {
        ChartView {
            id: self.id,
            title: self.title,
            note: self.note,
            layout: self.layout,
            legend: self.legend,
            panels: self
                .panels
                .into_iter()
                .map(|p: Panel| PanelView {
                    table: p.table.view(root),
                    title: p.title,
                    subtitle: p.subtitle,
                    svg: p.svg,
                    meter: p.meter,
                })
                .collect(),
            more: self.more.map(|t| t.view(root)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::views::charts::{Cell, Link};
    use serde_json::json;

    /// The `macros.html` macros these writers replaced, verbatim: the
    /// writers must print what they printed.
    const MACROS: &str = r#"{% macro svg(s) -%}
<svg class="chart-svg" viewBox="0 0 {{ s.width }} {{ s.height }}" width="{{ s.width }}" height="{{ s.height }}" role="img" aria-label="{{ s.label }}" focusable="false">
{%- for m in s.marks %}
{%- if m.shape == "rect" %}<rect class="{{ m.class }}" x="{{ m.x }}" y="{{ m.y }}" width="{{ m.width }}" height="{{ m.height }}">{% if m.title %}<title>{{ m.title }}</title>{% endif %}</rect>
{%- elif m.shape == "line" %}<line class="{{ m.class }}" x1="{{ m.x1 }}" y1="{{ m.y1 }}" x2="{{ m.x2 }}" y2="{{ m.y2 }}"/>
{%- elif m.shape == "polyline" %}<polyline class="{{ m.class }}" points="{{ m.points }}"/>
{%- elif m.shape == "circle" %}<circle class="{{ m.class }}" cx="{{ m.cx }}" cy="{{ m.cy }}" r="{{ m.r }}">{% if m.title %}<title>{{ m.title }}</title>{% endif %}</circle>
{%- elif m.shape == "text" %}<text class="{{ m.class }}" x="{{ m.x }}" y="{{ m.y }}" text-anchor="{{ m.anchor }}">{{ m.text }}</text>
{%- endif %}
{%- endfor %}
</svg>
{%- endmacro %}
{% macro data_table(t, root) -%}
<table class="list data">
<caption>{{ t.caption }}</caption>
<thead><tr>{% for h in t.head %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{%- for row in t.rows %}
<tr>{% for cell in row %}{% if loop.first %}<th scope="row"{% else %}<td{% endif %}{% if cell.num or cell.class %} class="{% if cell.num %}num{% endif %}{% if cell.class %} {{ cell.class }}{% endif %}"{% endif %}>
{%- if cell.links %}{% for l in cell.links %}<a href="{{ root }}{{ l.href }}">{{ l.text }}</a>{% if not loop.last %}<br>{% endif %}{% endfor %}
{%- elif cell.href %}<a href="{{ root }}{{ cell.href }}">{{ cell.text }}</a>
{%- else %}{{ cell.text }}{% endif -%}
{% if loop.first %}</th>{% else %}</td>{% endif %}{% endfor %}</tr>
{%- endfor %}
</tbody>
</table>
{%- endmacro %}"#;

    fn by_the_macros(call: &str, context: serde_json::Value) -> String {
        let mut env = minijinja::Environment::new();
        env.set_formatter(crate::render::escape::formatter);
        env.add_template("macros.html", MACROS).unwrap();
        let page = format!(r#"{{% import "macros.html" as m %}}{{{{ {call} }}}}"#);
        env.add_template("page.html", &page).unwrap();
        env.get_template("page.html")
            .unwrap()
            .render(context)
            .unwrap()
    }

    const HOSTILE: &str = r#"<script>alert('x')</script> & "q" / done"#;

    fn s(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn drawings_are_what_the_svg_macro_drew() {
        let svg = Svg {
            width: 320,
            height: 140,
            label: s(HOSTILE),
            marks: vec![
                Mark::Rect {
                    x: s("1.5"),
                    y: s("2"),
                    width: s("10"),
                    height: s("0"),
                    class: s("sev-high"),
                    title: Some(s(HOSTILE)),
                },
                Mark::Rect {
                    x: s("0"),
                    y: s("0"),
                    width: s("1"),
                    height: s("1"),
                    class: s("bar"),
                    title: Some(String::new()),
                },
                Mark::Line {
                    x1: s("0"),
                    y1: s("1"),
                    x2: s("2"),
                    y2: s("3"),
                    class: s("axis"),
                },
                Mark::Polyline {
                    points: s("0,1 2,3"),
                    class: s("series"),
                },
                Mark::Circle {
                    cx: s("4"),
                    cy: s("5"),
                    r: s("2.5"),
                    class: s("point"),
                    title: None,
                },
                Mark::Text {
                    x: s("6"),
                    y: s("7"),
                    anchor: "end",
                    class: s("label"),
                    text: s(HOSTILE),
                },
            ],
        };
        let expected = by_the_macros(
            "m.svg(s)",
            json!({"s": {"width": 320, "height": 140, "label": HOSTILE, "marks": svg.marks}}),
        );
        assert_eq!(svg.to_html(), expected);
        assert!(!expected.contains("<script>"));
        // And a template prints it as it is, not escaped again.
        let mut env = minijinja::Environment::new();
        env.add_template("t.html", "{{ s.html }}").unwrap();
        let page = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! { s => Value::from_serialize(&svg) })
            .unwrap();
        assert_eq!(page, expected);
    }

    #[test]
    fn tables_are_what_the_data_table_macro_wrote() {
        let link = |text: &str, href: &str| Link {
            text: s(text),
            href: s(href),
        };
        let table = Table {
            caption: s(HOSTILE),
            head: vec![s("Date"), s(HOSTILE), s("Value")],
            rows: vec![
                vec![
                    Cell::text("2026-01-01"),
                    Cell::num("12.5"),
                    Cell {
                        links: vec![
                            link("a.json", "evidence/a b.json.html"),
                            link(HOSTILE, "x/y"),
                        ],
                        ..Cell::default()
                    },
                ],
                vec![
                    Cell::link(HOSTILE, s("controls/soc2/CC1.1.html")),
                    Cell {
                        text: s("bad"),
                        class: Some("bad"),
                        ..Cell::default()
                    },
                    Cell {
                        text: s("95"),
                        num: true,
                        class: Some("ok"),
                        href: Some(String::new()),
                        ..Cell::default()
                    },
                ],
            ],
        };
        for root in ["", "../../"] {
            let expected = by_the_macros(
                "m.data_table(t, root)",
                json!({"root": root, "t": {"caption": table.caption, "head": table.head, "rows": table.rows}}),
            );
            assert_eq!(table.to_html(root), expected, "root {root:?}");
            assert!(!expected.contains("<script>"));
        }
        assert!(table.to_html("../").contains(r#"href="../controls/soc2"#));
    }
}
