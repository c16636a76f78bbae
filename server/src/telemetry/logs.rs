//! The log subscriber: human-readable lines (`text`, the default) or one JSON object per line
//! (`json`, for log shippers), both on stderr and filtered by `RUST_LOG`.
//!
//! Lines are written by a thread of their own, a few milliseconds' worth at a time
//! ([`super::log_writer`]): a request never waits on stderr's write.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::Subscriber;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FormatFields, MakeWriter};
use tracing_subscriber::util::{SubscriberInitExt, TryInitError};
use tracing_subscriber::EnvFilter;

pub use super::log_writer::LogGuard;
pub use crate::config::LogFormat;

/// What `RUST_LOG` does not override: INFO, so each request's answer line shows.
pub const DEFAULT_FILTER: &str = "info,tower_http=info";

/// The subscriber for `format`, writing to `writer` (stderr in the binary, a buffer in tests);
/// `colour` applies to text only.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    colour: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => Box::new(builder.fmt_fields(EscapedFields).with_ansi(colour).finish()),
        // Never colour codes: a shipper would store them inside the JSON strings.
        LogFormat::Json => Box::new(builder.json().with_ansi(false).finish()),
    }
}

/// Installs the process's subscriber: `RUST_LOG` or [`DEFAULT_FILTER`], on stderr, in colour
/// only when stderr is a terminal (a file or a collector gets plain text).
///
/// Keep the returned guard until the process ends: dropping it writes out every line still
/// held, so the last lines (the shutdown's) reach the log.
pub fn init(format: LogFormat) -> Result<LogGuard, TryInitError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (writer, guard) = super::log_writer::start(std::io::stderr());
    subscriber(format, filter, colour, writer).try_init()?;
    Ok(guard)
}

/// The text format's fields (the event's and its spans'), each `name=value` as the default
/// formatter writes them, but with every control character escaped: values carry what clients
/// sent (paths, webhook bodies, header values), and a raw newline would forge a log line, an
/// escape sequence a colour or a cleared screen. tracing-subscriber escapes some of them, in
/// the message only; a value written with `%` (Display) it writes as it is. One formatter for
/// every field, so no log site has to remember.
pub struct EscapedFields;

impl<'w> FormatFields<'w> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Visit for EscapingVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // What the `log` bridge adds; the line says it already, as the default formatter does.
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let first = std::mem::take(&mut self.first);
        self.result = write_field(&mut self.writer, first, name, value);
    }

    // Numbers and plain strings skip `dyn Debug` and the escaping scan, writing the same text
    // `record_debug` would: every answer line has four such fields, and formatting fields was a
    // twentieth of a request's instructions (callgrind, BENCHMARKS.md).
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.plain(field, format_args!("{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.plain(field, format_args!("{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.plain(field, format_args!("{value:?}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.plain(field, format_args!("{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        // Debug quotes a string and escapes `"`, `\` and what is not printable ASCII; a string
        // with none of those is written between quotes as it is.
        if value
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            self.plain(field, format_args!("\"{value}\""));
        } else {
            self.record_debug(field, &value);
        }
    }
}

impl EscapingVisitor<'_> {
    /// A field whose text needs no escape.
    fn plain(&mut self, field: &Field, text: fmt::Arguments<'_>) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let first = std::mem::take(&mut self.first);
        self.result =
            write_name(&mut self.writer, first, name).and_then(|()| self.writer.write_fmt(text));
    }
}

/// ` name=value`, the value escaped; the message without its name, as the default does.
fn write_field(w: &mut Writer<'_>, first: bool, name: &str, value: &dyn fmt::Debug) -> fmt::Result {
    write_name(w, first, name)?;
    write!(Escaping(w), "{value:?}")
}

fn write_name(w: &mut Writer<'_>, first: bool, name: &str) -> fmt::Result {
    if !first {
        w.write_char(' ')?;
    }
    if name != "message" {
        w.write_str(name.strip_prefix("r#").unwrap_or(name))?;
        w.write_char('=')?;
    }
    Ok(())
}

/// Writes through to `W` with control characters (and the Unicode line separators) written as
/// escapes: `\n`, `\r`, `\t`, `\u{1b}`.
struct Escaping<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // What needs no escape is written a run at a time, not a character at a time: every
        // answer line passes through here.
        if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return self.0.write_str(s);
        }
        let mut clean = 0;
        for (at, c) in s.char_indices() {
            let escaped = match c {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => "",
                _ => continue,
            };
            self.0.write_str(&s[clean..at])?;
            clean = at + c.len_utf8();
            if escaped.is_empty() {
                write!(self.0, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                self.0.write_str(escaped)?;
            }
        }
        self.0.write_str(&s[clean..])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn control_characters_in_any_field_are_escaped() {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let writer = move || Sink(sink.clone());
        let sub = subscriber(
            LogFormat::Text,
            tracing_subscriber::EnvFilter::new("info"),
            false,
            writer,
        );
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("request", agent = tracing::field::Empty);
            span.record(
                "agent",
                tracing::field::display("eve\nFORGED \u{1b}[31mred"),
            );
            span.in_scope(|| {
                tracing::info!(body = %"a\r\nFORGED\u{85}", quoted = "q\u{1b}", "said \nFORGED");
            });
        });
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{85}'),
            "{text}"
        );
        assert!(text.contains(r"agent=eve\nFORGED \u{1b}[31mred"), "{text}");
        assert!(text.contains(r"body=a\r\nFORGED\u{85}"), "{text}");
        assert!(text.contains(r"said \nFORGED"), "{text}");
    }

    /// The numbers and plain strings written without `Debug` read as `Debug` writes them.
    #[test]
    fn typed_fields_are_written_as_debug_writes_them() {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let sub = subscriber(
            LogFormat::Text,
            tracing_subscriber::EnvFilter::new("info"),
            false,
            move || Sink(sink.clone()),
        );
        let (quoted, multiline, accented) = ("say \"hi\" \\o/", "a\nb", "café");
        tracing::subscriber::with_default(sub, || {
            tracing::info!(
                n = 7u64,
                neg = -3i64,
                whole = 1.0f64,
                part = 0.25f64,
                yes = true,
                plain = "/api/calls/{call_id}",
                quoted,
                multiline,
                accented,
                "typed"
            );
        });
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let expected = format!(
            "typed n=7 neg=-3 whole=1.0 part=0.25 yes=true plain=\"/api/calls/{{call_id}}\" \
             quoted={quoted:?} multiline={multiline:?} accented={accented:?}"
        );
        assert!(text.contains(&expected), "{text}\n{expected}");
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
