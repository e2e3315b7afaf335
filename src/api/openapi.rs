//! `GET /api/openapi.json`: the OpenAPI 3 document of every route, built
//! with utoipa from the route table in `crate::api::route_table` (the same table the
//! HTTP metrics label with), with the API key schemes, the error shape and
//! the inbound webhook (`super::openapi_events`).

use crate::api::route_table::{Route, ROUTES};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required,
    ResponseBuilder, SecurityRequirement,
};
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes() -> BoxedFilter<(impl Reply,)> {
    let document = document().to_json().expect("the document serialises");
    warp::path!("openapi.json")
        .and(warp::get())
        .map(move || warp::reply::with_header(document.clone(), "content-type", "application/json"))
        .boxed()
}

/// The whole document.
pub fn document() -> OpenApi {
    let paths = ROUTES
        .iter()
        .fold(PathsBuilder::new(), |paths, r| paths.path(r.path, path_item(r)));
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("wagate")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(env!("CARGO_PKG_DESCRIPTION"))),
        )
        .paths(paths)
        .webhooks(Some(super::openapi_events::webhooks()))
        .components(Some(components()))
        .security(Some([
            SecurityRequirement::new("apiKey", Vec::<String>::new()),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]))
        .build()
}

fn path_item(route: &Route) -> PathItem {
    let method = match route.method {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    };
    let success = ResponseBuilder::new().description("success: {\"success\": true, ...}");
    let failure = ResponseBuilder::new().description("an error").content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Error")))
            .build(),
    );
    let mut operation = OperationBuilder::new()
        .tag(route.tag)
        .summary(Some(route.summary))
        .operation_id(Some(format!("{} {}", route.method, route.path)))
        .response(route.ok, success)
        .response("default", failure);
    for name in route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
    {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
        );
    }
    if !route.needs_key() {
        operation = operation.securities(Some(Vec::<SecurityRequirement>::new()));
    }
    PathItem::new(method, operation)
}

fn components() -> utoipa::openapi::Components {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let error = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("error", text().description(Some("a sentence for a person")))
        .property("code", text().description(Some("machine-readable, stable")))
        .property(
            "field",
            text().description(Some("the request field at fault, when one is")),
        )
        .required("success")
        .required("error")
        .required("code");
    ComponentsBuilder::new()
        .schema("Error", error)
        .schema("InboundEvent", super::openapi_events::schema())
        .security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        )
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        .build()
}
