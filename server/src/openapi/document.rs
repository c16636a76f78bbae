//! What the document says beyond its routes: the title, where the proxy is, the tags, how a
//! caller proves who it is, the error shape, and the headers on every answer.

use minivoice_shared::ErrorEnvelope;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::{ServerBuilder, ServerVariableBuilder};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    HeaderBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, RefOr, Required,
};
use utoipa::{PartialSchema, ToSchema};

use super::{operations, ACCESS_TOKEN, AGENT_TOKEN, METRICS_TOKEN};

/// Every tag an operation may name, with what it groups (a test holds every operation to
/// these).
const TAGS: [(&str, &str); 6] = [
    (
        "recordings",
        "Start, stop, pause and resume recording a call, and its recordings as MiniVoice \
         has them. An agent token whose `calls` include the call.",
    ),
    (
        "calls",
        "What the proxy itself knows of a call: its state, its audit trail, its story and \
         its live events. An agent token whose `calls` include the call.",
    ),
    (
        "webhooks",
        "MiniVoice's signed webhooks, and the inspector of every delivery (supervisors).",
    ),
    (
        "supervisor",
        "Every call at once, for supervisors (a token for every call, `[\"*\"]`): the calls \
         being recorded or paused, their live events, and the pause report.",
    ),
    (
        "proxy",
        "About the proxy, and this document. No token needed.",
    ),
    (
        "operations",
        "Liveness, readiness and the metrics scrape, for orchestrators and Prometheus.",
    ),
];

/// The title, servers, tags, security schemes, the error shape; `security: []` on every
/// operation that names none (they are public); the headers every answer carries.
pub fn describe(doc: OpenApi) -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("MiniVoice recording proxy")
                .version(env!("CARGO_PKG_VERSION"))
                .license(Some(
                    LicenseBuilder::new()
                        .name("MIT")
                        .identifier(Some("MIT"))
                        .build(),
                ))
                .description(Some(
                    "The proxy between the recording widget and MiniVoice: start, stop, pause \
                     and resume recording a call, its recordings, state, story and live events, \
                     and MiniVoice's webhooks. Errors have one shape, `ErrorEnvelope`; the \
                     codes each status is given for are listed with it.\n\n\
                     Who may call: with `WIDGET_TOKEN_SECRET` set, the `agent_token` routes \
                     take an agent token. Without it the proxy is anonymous: those routes take \
                     no token and answer only this machine (a loopback peer and `Host`, no \
                     forwarding header, no `PUBLIC_URL`); anything else is refused with 403 \
                     `forbidden_remote`, `forbidden_host` or `forbidden_origin`.",
                )),
        )
        .servers(Some([ServerBuilder::new()
            .url("{scheme}://{host}")
            .description(Some(
                "The proxy: its paths start at the origin (`/api/…`, `/webhooks/…`, \
                 `/healthz`). The defaults are its own on this machine (`LISTEN_ADDR`).",
            ))
            .parameter(
                "scheme",
                ServerVariableBuilder::new()
                    .default_value("http")
                    .enum_values(Some(["http", "https"])),
            )
            .parameter(
                "host",
                ServerVariableBuilder::new()
                    .default_value("127.0.0.1:8080")
                    .description(Some("The proxy's host and port, or its PUBLIC_URL's")),
            )
            .build()]))
        .tags(Some(TAGS.map(|(name, about)| {
            TagBuilder::new()
                .name(name)
                .description(Some(about))
                .build()
        })))
        .build()
        .merge_from(doc);
    security_schemes(&mut doc);
    let components = doc.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(ErrorEnvelope::name().into(), ErrorEnvelope::schema())];
    ErrorEnvelope::schemas(&mut schemas);
    components.schemas.extend(schemas);
    // Our errors carry the request's ID; MiniVoice's, passed through, do not.
    if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("ErrorBody") {
        body.properties.insert(
            "request_id".into(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The request's ID (also the x-request-id header)"))
                .into(),
        );
    }
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            // Routes behind a token say so where it is layered on (`agent_only`, `/metrics`).
            op.security.get_or_insert_with(Vec::new);
            not_null(op);
            answer_headers(op);
        }
    }
    doc
}

fn security_schemes(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        AGENT_TOKEN,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An HS256 agent token (`sub`, `calls`, `exp`) signed with \
                     WIDGET_TOKEN_SECRET; `calls: [\"*\"]` is a supervisor's. Without a \
                     secret the proxy is anonymous: no token, and only requests from this \
                     machine are answered (see the description above).",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        ACCESS_TOKEN,
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
            "access_token",
            "The agent token, for the event stream only (EventSource cannot send headers).",
        ))),
    );
    components.add_security_scheme(
        METRICS_TOKEN,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "METRICS_TOKEN, as `Authorization: Bearer …`, for `/metrics` when it is \
                     set; without it the scrape is open.",
                ))
                .build(),
        ),
    );
}

/// `x-request-id` on every answer, `idempotent-replayed` where a key may be sent.
fn answer_headers(op: &mut Operation) {
    let idempotent = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "Idempotency-Key");
    for response in op.responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        response
            .headers
            .insert(crate::request_id::HEADER.into(), request_id_header());
        if idempotent {
            response
                .headers
                .insert("idempotent-replayed".into(), replayed_header());
        }
    }
}

/// utoipa spells an optional parameter or body (`Option<T>`) as one that may be `null`; an
/// absent one is what is meant: a header or query value cannot be JSON `null`, and a body of
/// `null` is refused like any other that is not the documented shape.
fn not_null(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if let Some(RefOr::T(Schema::Object(o))) = &mut p.schema {
            if let SchemaType::Array(types) = &o.schema_type {
                if let [t, Type::Null] | [Type::Null, t] = types.as_slice() {
                    o.schema_type = SchemaType::Type(t.clone());
                }
            }
        }
    }
    let Some(body) = &mut op.request_body else {
        return;
    };
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema {
            if let [RefOr::T(Schema::Object(null)), other] = one.items.as_slice() {
                if null.schema_type == SchemaType::Type(Type::Null) {
                    content.schema = Some(other.clone());
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

fn request_id_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(String::schema())
        .description(Some(
            "The request's ID: the caller's own when it sent a sane one, else a new one",
        ))
        .build()
}

fn replayed_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true"])),
        )
        .description(Some(
            "`true` when this is the answer first given for the same Idempotency-Key",
        ))
        .build()
}
