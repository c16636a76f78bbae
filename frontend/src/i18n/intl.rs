//! Sizes, byte counts and times in the agent's locale, written by the browser's `Intl` (its
//! formats are already in every browser; ours would cost the wasm). Every kind goes through one
//! path, [`format`], with its options as JSON text: one `JSON.parse` costs the wasm less than a
//! setter per option.

use js_sys::{Array, JSON};
use wasm_bindgen::JsValue;

use crate::state::size_in_units;

/// `Intl` units for [`size_in_units`]' units: SI, as `Intl` means them (1 kB = 1000 B).
const SIZE_UNITS: [&str; 6] = [
    "byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte",
];

/// `value` as `Intl` writes it for `locale` with `options` (JSON): through
/// `Array.prototype.toLocaleString`, which hands both to the value's own `toLocaleString`
/// (`Intl.NumberFormat` for a number, `Intl.DateTimeFormat` for a date). One binding for every
/// kind costs the wasm less than a constructor binding each.
fn format(value: &JsValue, locale: &str, options_json: &str) -> String {
    // The options are this file's own JSON: they parse.
    let options = JSON::parse(options_json).unwrap_or_default();
    Array::of1(value)
        .to_locale_string(&locale.into(), &options)
        .into()
}

/// `1.5 kB`, `1,5 kB`, `1,5 ko`: a decimal below 10 so small files don't all read "1 kB".
pub fn size(locale: &str, bytes: u64) -> String {
    let (tenths, unit) = size_in_units(bytes);
    in_unit(locale, tenths as f64 / 10.0, unit)
}

/// `1,536 bytes`, `1.536 Byte`, `1 536 octets`.
pub fn byte_count(locale: &str, bytes: u64) -> String {
    in_unit(locale, bytes as f64, 0)
}

/// `value` (rounded to a tenth at most) in the `unit`th of [`SIZE_UNITS`]; bytes spelled out
/// (`Intl` abbreviates a byte as "byte").
fn in_unit(locale: &str, value: f64, unit: usize) -> String {
    let display = if unit == 0 { "long" } else { "short" };
    let options = format!(
        r#"{{"style":"unit","unit":"{}","unitDisplay":"{display}","maximumFractionDigits":1}}"#,
        SIZE_UNITS[unit]
    );
    format(&value.into(), locale, &options)
}

/// A recording's length or a countdown, as the locale writes a clock's minutes and seconds
/// (`01:05`; `1:15:03` from an hour): `Intl.DateTimeFormat` in UTC on that many seconds after
/// the epoch, which every browser has (`Intl.DurationFormat`'s binding would cost the wasm
/// more). A day or longer would wrap; no call lasts that long.
pub fn duration(locale: &str, seconds: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let options = if seconds < 3600 {
        r#"{"minute":"2-digit","second":"2-digit","timeZone":"UTC"}"#
    } else {
        r#"{"hour":"numeric","minute":"2-digit","second":"2-digit","hourCycle":"h23","timeZone":"UTC"}"#
    };
    format(&date, locale, options)
}

/// The local wall-clock time of a UTC timestamp (RFC 3339, as the proxy writes them):
/// `12:10:03 PM`, `12:10:03`.
pub fn time(locale: &str, iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    format(&date, locale, r#"{"timeStyle":"medium"}"#)
}
