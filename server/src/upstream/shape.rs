//! The documented shapes of MiniVoice's read answers, checked without being built. The proxy
//! forwards MiniVoice's bytes as they came, so it only needs to know the shape is right:
//! strings are borrowed from the body and unknown fields skipped, where deserialising
//! `minivoice_shared::Recording` would copy every field and buffer the unknown ones for its
//! `extra` map (a third of the proxy's own work on a list, in the profile). The fixture tests
//! below hold these to the shared types: the same answers pass and fail.

use std::borrow::Cow;

use serde::Deserialize;

/// Checks a body against one shape; the error says what is wrong.
pub type Validate = fn(&[u8]) -> Result<(), serde_json::Error>;

#[derive(Deserialize)]
struct Data<T> {
    #[allow(dead_code)]
    data: T,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Recording<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    duration_seconds: u64,
    size_bytes: u64,
}

/// `{"data": [recording, …]}`
pub fn list(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Data<Vec<Recording>>>(body).map(drop)
}

/// `{"data": recording}`
pub fn one(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Data<Recording>>(body).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minivoice_shared::{Data as Full, Recording as FullRecording};

    #[test]
    fn the_shapes_agree_with_the_shared_types() {
        let samples: [&[u8]; 7] = [
            br#"{"data":[{"id":"r","status":"started","duration_seconds":1,"size_bytes":2}]}"#,
            br#"{"data":[{"id":"r\"q","status":"new_kind","duration_seconds":1,"size_bytes":2,"format":"wav","x":{"y":[1]}}],"next":null}"#,
            br#"{"data":[]}"#,
            br#"{"data":[{"id":"r","status":"started","duration_seconds":-1,"size_bytes":2}]}"#,
            br#"{"data":[{"id":"r","duration_seconds":1,"size_bytes":2}]}"#,
            br#"{"data":[{"id":7,"status":"started","duration_seconds":1,"size_bytes":2}]}"#,
            br#"{"data":[{"id":"r","#,
        ];
        for body in samples {
            let full = serde_json::from_slice::<Full<Vec<FullRecording>>>(body).is_ok();
            assert_eq!(
                list(body).is_ok(),
                full,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let one_body = br#"{"data":{"id":"r","status":"stopped","duration_seconds":1,"size_bytes":2,"url":"u"}}"#;
        assert!(one(one_body).is_ok());
        assert!(serde_json::from_slice::<Full<FullRecording>>(one_body).is_ok());
        assert!(one(br#"{"data":[]}"#).is_err());
    }
}
