/// A closed set of wire strings: `as_str`, `from_known` and `ALL`, one table per enum so a
/// string is written once.
macro_rules! known_strings {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub fn from_known(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Serialises an open enum (one with an `Unknown(String)` arm) as its plain string, so an
/// unknown value round-trips exactly. The type provides `as_str(&self)` and `From<String>`.
macro_rules! string_serde {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// An open set of wire strings: the named variants, and `Unknown` for any other string, kept as
/// sent so that it round-trips. `as_str`, `From<String>`, `Display` and serde as the string.
macro_rules! open_strings {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ Unknown(String), }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self { $($name::$variant => $text,)+ $name::Unknown(s) => s }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() { $($text => $name::$variant,)+ _ => $name::Unknown(s) }
            }
        }

        string_serde!($name);
        open_schema!($name, [$($text),+]);
    };
}

/// With the `openapi` feature, describes an open enum as a string whose `known` values (an
/// iterator of `&str`) are examples, not a closed list: see `crate::openapi`.
macro_rules! open_schema {
    ($name:ident, $known:expr) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::open_string($known)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}
