//! A JSON Schema (draft 2020-12) for events, generated from libs' event table through the
//! bindings: every event code, its direction, and its parameters with their types.
//!
//! The instance validated is [`event_instance`]: `{"evt.code", "evt.type", "evt.dir", "params"}`
//! where `params` maps each parameter name to its decoded value (as [`crate::ParamValue`]
//! serialises). The schema dispatches on `evt.code` (names repeat across event versions) and
//! requires exactly the parameters the table lists, each of the JSON type its `ppm_param_type`
//! decodes to (or null: a parameter the driver left empty).
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::event::{event_table, param_kind, Direction, Event, ParamKind};

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn bytes() -> Value {
    json!({ "type": ["array", "null"], "items": { "type": "integer", "minimum": 0, "maximum": 255 } })
}

fn sockaddr() -> Value {
    json!({
        "oneOf": [
            { "type": "object", "required": ["family", "ip", "port"], "additionalProperties": false,
              "properties": { "family": { "const": "inet" },
                              "ip": { "anyOf": [ { "type": "string", "format": "ipv4" }, { "type": "string", "format": "ipv6" } ] },
                              "port": { "type": "integer", "minimum": 0, "maximum": 65535 } } },
            { "type": "object", "required": ["family", "path"], "additionalProperties": false,
              "properties": { "family": { "const": "unix" }, "path": { "type": "string" } } },
            { "type": "object", "required": ["family", "code"], "additionalProperties": false,
              "properties": { "family": { "const": "other" }, "code": { "type": "integer" } } }
        ]
    })
}

/// The JSON schema of one parameter type (by the decoder's own classification).
pub fn param_schema(ptype: u32) -> Value {
    match param_kind(ptype) {
        ParamKind::Int => nullable("integer"),
        ParamKind::Uint => json!({ "type": ["integer", "null"], "minimum": 0 }),
        ParamKind::Double => nullable("number"),
        ParamKind::Str => nullable("string"),
        ParamKind::StrArray => json!({ "type": ["array", "null"], "items": { "type": "string" } }),
        ParamKind::SockAddr => json!({ "anyOf": [sockaddr(), bytes()] }),
        ParamKind::SockTuple => json!({
            "anyOf": [
                { "type": "object", "required": ["src", "dst"], "additionalProperties": false,
                  "properties": { "src": sockaddr(), "dst": sockaddr() } },
                bytes()
            ]
        }),
        ParamKind::Ip => json!({ "anyOf": [
            { "type": "string", "format": "ipv4" }, { "type": "string", "format": "ipv6" }, { "type": "null" }
        ] }),
        ParamKind::Bytes => bytes(),
        // PT_DYN and anything the decoder does not type: any value.
        ParamKind::Any => json!({}),
    }
}

/// The schema for every event of libs' event table.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(build)
}

fn build() -> Value {
    let mut defs = Map::new();
    let mut dispatch = Vec::new();
    let mut codes = Vec::new();
    for e in event_table() {
        if e.name.is_empty() || e.name == "NA" {
            continue;
        }
        let mut props = Map::new();
        let mut required = Vec::new();
        for p in &e.params {
            props.insert(p.name.to_string(), param_schema(p.ptype));
            required.push(Value::from(p.name));
        }
        let id = format!("e{}", e.code);
        defs.insert(
            id.clone(),
            json!({
                "description": format!("{}{} (code {})", e.direction.as_str(), e.name, e.code),
                "type": "object",
                "properties": {
                    "evt.code": { "const": e.code },
                    "evt.dir": { "const": e.direction.as_str() },
                    "params": { "type": "object", "properties": props, "required": required,
                                "additionalProperties": false }
                }
            }),
        );
        codes.push(e.code);
        dispatch.push(json!({
            "if": { "properties": { "evt.code": { "const": e.code } } },
            "then": { "$ref": format!("#/$defs/{id}") }
        }));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://falco-libs-qa.local/schema/event.json",
        "title": format!("falcosecurity/libs {} event", crate::LIBS_VERSION),
        "type": "object",
        "required": ["evt.num", "evt.code", "evt.type", "evt.dir", "params"],
        "properties": {
            "evt.num": { "type": "integer", "minimum": 0 },
            "evt.rawtime": { "type": "integer", "minimum": 0 },
            "evt.cpu": { "type": "integer", "minimum": 0 },
            "thread.tid": { "type": "integer" },
            "evt.code": { "enum": codes },
            "evt.type": { "type": "string", "minLength": 1 },
            "evt.dir": { "enum": [">", "<"] },
            "params": { "type": "object" },
            "fields": {
                "description": "the sinsp fields the capture extracts, by name (null: no value)",
                "type": "object",
                "additionalProperties": { "type": ["string", "number", "boolean", "null", "array"] }
            }
        },
        "additionalProperties": false,
        "allOf": dispatch,
        "$defs": defs
    })
}

/// An event in full, the shape the schema validates and `sinspqa capture --full-json` prints:
/// header (`evt.num`, `evt.rawtime`, `evt.cpu`, `thread.tid`, `evt.code`, `evt.type`,
/// `evt.dir`), every param by its event-table name, typed (`params`), and the extracted fields
/// (`fields`).
pub fn event_instance(ev: &Event) -> Value {
    let fields: Map<String, Value> = ev
        .fields()
        .map(|(k, v)| {
            (
                k.to_string(),
                serde_json::to_value(v).unwrap_or(Value::Null),
            )
        })
        .collect();
    json!({
        "evt.num": ev.num,
        "evt.rawtime": ev.ts,
        "evt.cpu": ev.cpu,
        "thread.tid": ev.tid,
        "evt.code": ev.code,
        "evt.type": ev.name,
        "evt.dir": match ev.direction { Direction::Enter => ">", Direction::Exit => "<" },
        "params": ev.params_json(),
        "fields": fields,
    })
}

/// A compiled validator for [`schema`].
pub struct Validator {
    inner: jsonschema::Validator,
}

impl Validator {
    /// Compiles the schema (once per validator).
    pub fn new() -> Self {
        let inner = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema())
            .expect("the generated schema compiles");
        Validator { inner }
    }

    /// Validates one event; the error names the event and every violated rule.
    pub fn validate(&self, ev: &Event) -> Result<(), String> {
        let inst = event_instance(ev);
        let errs: Vec<String> = self
            .inner
            .iter_errors(&inst)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errs.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "event {} ({}{}) violates the schema: {}; instance: {}",
                ev.num,
                ev.direction.as_str(),
                ev.name,
                errs.join("; "),
                inst
            ))
        }
    }
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{FieldValue, Param, ParamValue};
    use crate::ffi::abi as sys;
    use std::sync::Arc;

    fn openat_exit() -> &'static crate::event::EventInfo {
        event_table()
            .iter()
            .find(|e| {
                e.name == "openat"
                    && e.direction == Direction::Exit
                    && e.flags & sys::EF_OLD_VERSION == 0
            })
            .unwrap()
    }

    fn event_with(params: Vec<Param>) -> Event {
        let info = openat_exit();
        Event {
            num: 1,
            ts: 1,
            tid: 1,
            cpu: 0,
            code: info.code,
            name: "openat",
            direction: Direction::Exit,
            category: info.category,
            is_main_thread: true,
            params,
            field_names: Arc::from(Vec::<String>::new()),
            field_values: Vec::<FieldValue>::new(),
        }
    }

    fn good_params() -> Vec<Param> {
        openat_exit()
            .params
            .iter()
            .map(|p| Param {
                name: p.name,
                ptype: p.ptype,
                value: match p.name {
                    "name" => ParamValue::Str("/etc/passwd".into()),
                    "fd" | "dirfd" => ParamValue::Int(3),
                    _ => ParamValue::Uint(0),
                },
            })
            .collect()
    }

    #[test]
    fn the_schema_covers_the_event_table_and_is_draft_2020_12() {
        let s = schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let n = s["$defs"].as_object().unwrap().len();
        assert!(n > 300, "only {n} event definitions");
        let code = openat_exit().code;
        let def = &s["$defs"][format!("e{code}")];
        assert_eq!(
            def["properties"]["params"]["properties"]["name"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn a_well_typed_event_validates() {
        Validator::new()
            .validate(&event_with(good_params()))
            .unwrap();
    }

    #[test]
    fn a_mistyped_missing_or_extra_param_fails_with_the_rule() {
        let v = Validator::new();
        let mut p = good_params();
        p.iter_mut().find(|p| p.name == "fd").unwrap().value = ParamValue::Str("three".into());
        let e = v.validate(&event_with(p)).unwrap_err();
        assert!(e.contains("/params/fd") && e.contains("\"three\""), "{e}");

        let p: Vec<Param> = good_params()
            .into_iter()
            .filter(|p| p.name != "name")
            .collect();
        let e = v.validate(&event_with(p)).unwrap_err();
        assert!(e.contains("\"name\" is a required property"), "{e}");

        let mut p = good_params();
        p.push(Param {
            name: "bogus",
            ptype: sys::PT_INT64,
            value: ParamValue::Int(1),
        });
        let e = v.validate(&event_with(p)).unwrap_err();
        assert!(e.contains("bogus"), "{e}");
    }
}
