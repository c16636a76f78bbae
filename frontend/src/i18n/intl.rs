//! Sizes, byte counts and times in the agent's locale, written by the browser's `Intl` (its
//! formats are already in every browser; ours would cost the wasm). Every kind goes through one
//! path, [`format`], with its options as a struct serde writes into a plain object (the
//! serializer the request bodies use already), not a setter binding per option.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::state::size_in_units;

/// `Intl` units for [`size_in_units`]' units: SI, as `Intl` means them (1 kB = 1000 B).
const SIZE_UNITS: [&str; 6] = [
    "byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte",
];

/// `value` as `Intl` writes it for `locale` with `options`: through
/// `Array.prototype.toLocaleString`, which hands both to the value's own `toLocaleString`
/// (`Intl.NumberFormat` for a number, `Intl.DateTimeFormat` for a date). One binding for every
/// kind costs the wasm less than a constructor binding each.
fn format(value: &JsValue, locale: &str, options: &impl Serialize) -> String {
    let options = options
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or_default();
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
    let options = NumberOptions {
        style: "unit",
        unit: SIZE_UNITS[unit],
        unit_display: if unit == 0 { "long" } else { "short" },
        maximum_fraction_digits: 1,
    };
    format(&value.into(), locale, &options)
}

/// A recording's length or a countdown, as the locale writes a clock's minutes and seconds
/// (`01:05`; `1:15:03` from an hour): `Intl.DateTimeFormat` in UTC on that many seconds after
/// the epoch, which every browser has (`Intl.DurationFormat`'s binding would cost the wasm
/// more). A day or longer would wrap; no call lasts that long.
pub fn duration(locale: &str, seconds: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let hours = seconds >= 3600;
    let options = DateOptions {
        hour: hours.then_some("numeric"),
        minute: Some("2-digit"),
        second: Some("2-digit"),
        hour_cycle: hours.then_some("h23"),
        time_zone: Some("UTC"),
        ..DateOptions::default()
    };
    format(&date, locale, &options)
}

/// The local wall-clock time of a UTC timestamp (RFC 3339, as the proxy writes them):
/// `12:10:03 PM`, `12:10:03`.
pub fn time(locale: &str, iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    let options = DateOptions {
        time_style: Some("medium"),
        ..DateOptions::default()
    };
    format(&date, locale, &options)
}

/// `Intl.NumberFormat`'s options, those the widget sets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NumberOptions {
    style: &'static str,
    unit: &'static str,
    unit_display: &'static str,
    maximum_fraction_digits: u8,
}

/// `Intl.DateTimeFormat`'s options, those the widget sets (an absent one is left out).
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct DateOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    hour: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minute: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    second: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hour_cycle: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_style: Option<&'static str>,
}
