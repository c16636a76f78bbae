//! `GET /api/reports/pauses?from=…&to=…`: one row per pause begun in the range, oldest first,
//! in JSON or (`Accept: text/csv`) CSV. The store is read a page at a time and each page is
//! written out before the next is read, so a report of any length takes constant memory and
//! no statement runs long.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use minivoice_shared::{Data, PauseReportRow};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use utoipa::IntoParams;

use crate::auth::Supervisor;
use crate::error::AppError;
use crate::failures;
use crate::openapi::PauseReportRefusals;
use crate::store::{self, ReportPlace, Store};

/// Pauses read from the store at a time.
const PAGE: i64 = 500;
/// The longest range one report covers: a month, bounded so that one request cannot ask the
/// store for everything it ever kept.
const MAX_RANGE: Duration = Duration::from_secs(31 * 24 * 3600);

/// The report's range (RFC 3339 times, any offset; a `+` may be sent as `%2B`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ReportQuery {
    /// Pauses begun at or after this time (else 400 `invalid_range`).
    #[param(format = DateTime, example = "2026-03-01T00:00:00Z")]
    from: String,
    /// …and before this one: after `from` (else 400 `inverted_range`), at most 31 days
    /// after it (else 400 `range_too_long`).
    #[param(format = DateTime, example = "2026-03-08T00:00:00+01:00")]
    to: String,
}

/// Every pause begun in a range: who paused and why, how long, how it ended (supervisors).
///
/// Oldest first. JSON by default; CSV with `Accept: text/csv` (a header row, RFC 4180
/// quoting, CRLF line ends). A supervisor's token (`calls: ["*"]`) or, without tokens, a
/// request from this machine.
#[utoipa::path(
    get,
    path = "/reports/pauses",
    tag = "supervisor",
    operation_id = "getPauseReport",
    params(ReportQuery),
    responses(
        (
            status = 200,
            description = "The pauses, as JSON or CSV",
            content(
                (Data<Vec<PauseReportRow>> = "application/json"),
                (String = "text/csv"),
            ),
        ),
        PauseReportRefusals,
    )
)]
pub(super) async fn pauses(
    State(store): State<Store>,
    _: Supervisor,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&uri)
        .map_err(|e| AppError::InvalidRange(e.body_text()))?;
    let (from, to) = range(&query)?;
    let format = Format::asked(&headers);
    // The first page is read before answering, so a store that is away gets a 503 in the one
    // error shape rather than a 200 that breaks off.
    let first = store
        .pauses_between(&from, &to, &ReportPlace::default(), PAGE)
        .await
        .map_err(|e| failures::store("pauses_between", e))?;
    let body = Body::from_stream(pages(store, from, to, first, format));
    let mut resp = ([(header::CONTENT_TYPE, format.content_type())], body).into_response();
    if format == Format::Csv {
        let name = header::HeaderValue::from_static("attachment; filename=\"pauses.csv\"");
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, name);
    }
    Ok(resp)
}

/// `from` and `to` as store times, checked.
fn range(query: &HashMap<String, String>) -> Result<(String, String), AppError> {
    let read = |name: &str| {
        let text = query
            .get(name)
            .ok_or_else(|| AppError::InvalidRange(format!("`{name}` is required")))?;
        // An unescaped `+` in a query is a space: put it back.
        OffsetDateTime::parse(&text.replace(' ', "+"), &Rfc3339)
            .map_err(|_| AppError::InvalidRange(format!("`{name}` is not an RFC 3339 time")))
    };
    // In UTC, as the store writes times; a time whose UTC falls outside years 0000–9999
    // (9999-12-31T23:59:59-01:00) is no time the store holds, and `to_offset` would panic.
    let utc = |name: &str| {
        read(name)?
            .checked_to_offset(UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))
            .ok_or_else(|| AppError::InvalidRange(format!("`{name}` is out of range")))
    };
    let (from, to) = (utc("from")?, utc("to")?);
    if to <= from {
        return Err(AppError::InvertedRange);
    }
    if to - from > MAX_RANGE {
        return Err(AppError::RangeTooLong);
    }
    Ok((store::stamp(from), store::stamp(to)))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    /// CSV when `Accept` names `text/csv` before (or without) `application/json`.
    fn asked(headers: &HeaderMap) -> Format {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|range| {
                range
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        for range in accept {
            match range.as_str() {
                "text/csv" => return Format::Csv,
                "application/json" => return Format::Json,
                _ => {}
            }
        }
        Format::Json
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What comes before the first row.
    fn opening(self) -> Vec<u8> {
        match self {
            Format::Json => b"{\"data\":[".to_vec(),
            Format::Csv => csv_records([PauseReportRow::CSV_HEADER.map(str::to_owned)]),
        }
    }

    /// A page of rows; `first` when no row came before them.
    fn rows(self, rows: &[PauseReportRow], first: bool, out: &mut Vec<u8>) {
        match self {
            Format::Json => {
                for (i, row) in rows.iter().enumerate() {
                    if !(first && i == 0) {
                        out.push(b',');
                    }
                    // A row of strings, numbers and booleans always serialises.
                    let _ = serde_json::to_writer(&mut *out, row);
                }
            }
            Format::Csv => out.extend(csv_records(rows.iter().map(PauseReportRow::csv_fields))),
        }
    }

    fn closing(self) -> &'static [u8] {
        match self {
            Format::Json => b"]}",
            Format::Csv => b"",
        }
    }
}

/// Records as RFC 4180 text: fields quoted when they hold a comma, a quote or a line break
/// (quotes doubled), CRLF after each record.
fn csv_records<const N: usize>(records: impl IntoIterator<Item = [String; N]>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for mut record in records {
        record.iter_mut().for_each(make_inert);
        // Writing to memory cannot fail.
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// A field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) gets a leading `'`, which spreadsheets show as text (OWASP's advice
/// against CSV injection): a reason is whatever an agent typed, and the report is opened by a
/// supervisor. Every other field is written as it is.
fn make_inert(field: &mut String) {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field.insert(0, '\'');
    }
}

/// Where the body's stream is.
enum Step {
    /// The first page, read already.
    First(Vec<PauseReportRow>, ReportPlace),
    /// The next page starts after this place.
    After(ReportPlace),
    Closing,
    Done,
}

/// The body: the opening and the first page, then a page at a time until one comes back
/// short, then the closing. A store failure part-way ends the body early (the client sees a
/// broken-off answer, never a short report that looks whole).
fn pages(
    store: Store,
    from: String,
    to: String,
    first: (Vec<PauseReportRow>, ReportPlace),
    format: Format,
) -> impl Stream<Item = Result<Bytes, sqlx::Error>> {
    let start = Step::First(first.0, first.1);
    stream::unfold(start, move |step| {
        let (store, from, to) = (store.clone(), from.clone(), to.clone());
        async move {
            let mut out = Vec::new();
            let (rows, place, first) = match step {
                Step::Done => return None,
                Step::Closing => {
                    let bytes = Bytes::from_static(format.closing());
                    return Some((Ok(bytes), Step::Done));
                }
                Step::First(rows, place) => {
                    out = format.opening();
                    (rows, place, true)
                }
                Step::After(place) => match store.pauses_between(&from, &to, &place, PAGE).await {
                    Ok((rows, next)) => (rows, next, false),
                    Err(e) => {
                        crate::telemetry::store_error("pauses_between");
                        tracing::error!(error = %e, "pause report broken off");
                        return Some((Err(e), Step::Done));
                    }
                },
            };
            format.rows(&rows, first, &mut out);
            let next = if (rows.len() as i64) < PAGE {
                Step::Closing
            } else {
                Step::After(place)
            };
            Some((Ok(Bytes::from(out)), next))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: &str, to: &str) -> HashMap<String, String> {
        HashMap::from([("from".into(), from.into()), ("to".into(), to.into())])
    }

    #[test]
    fn ranges_are_read_in_any_offset_and_refused_with_their_own_codes() {
        let (from, to) = range(&query("2026-03-01T10:00:00+01:00", "2026-03-02T09:00:00Z"))
            .map_err(|e| e.code())
            .unwrap();
        assert_eq!(from, "2026-03-01T09:00:00.000Z");
        assert_eq!(to, "2026-03-02T09:00:00.000Z");
        let code = |from: &str, to: &str| range(&query(from, to)).unwrap_err().code();
        assert_eq!(code("yesterday", "2026-03-01T00:00:00Z"), "invalid_range");
        let at = "2026-03-01T00:00:00Z";
        assert_eq!(code(at, at), "inverted_range");
        assert_eq!(code(at, "2026-04-01T00:00:01Z"), "range_too_long");
        assert!(range(&query(at, "2026-04-01T00:00:00Z")).is_ok(), "31 days");
        let missing = range(&HashMap::new()).unwrap_err().code();
        assert_eq!(missing, "invalid_range");
        let past_9999 = code("9999-12-31T00:00:00Z", "9999-12-31T23:59:59-01:00");
        assert_eq!(past_9999, "invalid_range", "not a panic");
        assert_eq!(code("0000-01-01T00:30:00+01:00", at), "invalid_range");
    }

    #[test]
    fn csv_fields_a_spreadsheet_would_run_are_written_as_text() {
        let text = csv_records([[
            "=HYPERLINK(\"http://x\")".to_owned(),
            "+1".into(),
            "-2".into(),
            "@SUM(A1)".into(),
            "\tcmd".into(),
            "a=b".into(),
            "".into(),
        ]]);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\tcmd,a=b,\r\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let text = csv_records([["a,b".to_owned(), "say \"hi\"".into(), "one\ntwo".into()]]);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"one\ntwo\"\r\n"
        );
    }
}
