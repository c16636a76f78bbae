//! The two read-only panels (the activity list and a recording's fields) as HTML text, set as
//! their container's `innerHTML`. A Leptos view costs the wasm code per element and per
//! dynamic part; these panels are only read, never typed into or focused inside, so one string
//! per panel shows the same markup for about a kilobyte less of the byte budget each
//! (measured, `BENCHMARKS.md`). Every value passes [`escape`]: what MiniVoice and agents send
//! (reasons, webhook payloads, field names) is shown as text and can never become markup.

/// `text` safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
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

/// One activity entry: its line and (muted) local time; a webhook's payload, when there is
/// one, behind a native `<details>` (keyboard and screen-reader ready, and no code of ours).
pub fn activity_entry(line: &str, when: &str, event: Option<&str>) -> String {
    let line = format!(
        r#"{}<span class="mv-muted"> · {}</span>"#,
        escape(line),
        escape(when)
    );
    let body = match event {
        Some(json) => format!(
            r#"<details><summary>{line}</summary><pre class="mv-event">{}</pre></details>"#,
            escape(json)
        ),
        None => line,
    };
    format!(r#"<li data-testid="activity-entry">{body}</li>"#)
}

/// A recording's fields as `<dl>` rows of (name, label, value), each tagged with its name
/// (`data-field`) and showing its label.
pub fn field_rows(rows: &[(&str, &str, &str)]) -> String {
    let mut out = String::new();
    for (name, label, value) in rows {
        out.push_str(&format!(
            r#"<div class="mv-meta-row" data-field="{}"><dt>{}</dt><dd>{}</dd></div>"#,
            escape(name),
            escape(label),
            escape(value)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_become_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        let row = field_rows(&[(r#"x" onclick="y"#, "<i>", "<b>")]);
        assert_eq!(
            row,
            r#"<div class="mv-meta-row" data-field="x&quot; onclick=&quot;y"><dt>&lt;i&gt;</dt><dd>&lt;b&gt;</dd></div>"#
        );
    }

    #[test]
    fn entries_show_their_payload_on_demand() {
        assert_eq!(
            activity_entry("Started by alice", "12:10:03", None),
            r#"<li data-testid="activity-entry">Started by alice<span class="mv-muted"> · 12:10:03</span></li>"#
        );
        let hook = activity_entry("ai.x · rec_1", "12:11:02", Some(r#"{"a":"<b>"}"#));
        assert!(
            hook.contains(r#"<details><summary>ai.x · rec_1<span"#),
            "{hook}"
        );
        assert!(
            hook.contains(r#"<pre class="mv-event">{&quot;a&quot;:&quot;&lt;b&gt;&quot;}</pre></details></li>"#),
            "{hook}"
        );
    }
}
