//! The API's own OpenAPI document, used at run time: the methods of each path (to answer 405
//! with `Allow`), and the JSON types of request bodies.
//!
//! poem-openapi reads a string field from a JSON number or boolean too (`false` becomes
//! `"false"`); the document says `string`. So every JSON body is first checked against the
//! types its schema declares — strings, integers, numbers, booleans, arrays and objects, through
//! `$ref` and `allOf` — and a body that does not match is refused with 400 naming the field,
//! before the operation runs. Limits (lengths, ranges) stay with poem-openapi's validators.

use serde_json::Value;

/// The document, and its paths split into segments.
pub(crate) struct Document {
    document: Value,
    templates: Vec<(Vec<String>, String)>,
}

/// A body member whose JSON type is not the documented one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// The top-level member (`audiences` for `audiences[0]`).
    pub field: String,
    /// The documented type.
    pub expected: String,
}

impl Document {
    /// The document of `spec` (the generated OpenAPI JSON); paths are relative to `base`.
    pub(crate) fn new(spec: &str) -> Self {
        let document: Value = serde_json::from_str(spec).unwrap_or_default();
        let templates = document["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .keys()
                    .map(|path| (path.split('/').map(str::to_owned).collect(), path.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            document,
            templates,
        }
    }

    /// The documented path a request path (relative to the API's base) matches.
    fn template(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.templates.iter().find_map(|(template, name)| {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                });
            matches.then_some(name.as_str())
        })
    }

    /// The `Allow` value of a path: its documented methods.
    pub(crate) fn allowed(&self, path: &str) -> Option<String> {
        let template = self.template(path)?;
        let methods = self.document["paths"][template].as_object()?;
        Some(
            methods
                .keys()
                .map(|m| m.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(", "),
        )
    }

    /// Checks a JSON request body's types against the operation's request schema; `Ok` when
    /// the operation has none or the body is not JSON (poem-openapi answers those).
    pub(crate) fn check(&self, method: &str, path: &str, body: &[u8]) -> Result<(), Mismatch> {
        let Some(template) = self.template(path) else {
            return Ok(());
        };
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        let Some(content) = operation["requestBody"]["content"].as_object() else {
            return Ok(());
        };
        let Some(schema) = content
            .iter()
            .find(|(media, _)| media.starts_with("application/json"))
            .map(|(_, media)| &media["schema"])
        else {
            return Ok(());
        };
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return Ok(());
        };
        match self.mismatch(schema, &value, 0) {
            Some((field, expected)) => Err(Mismatch { field, expected }),
            None => Ok(()),
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => &self.document["components"]["schemas"][name],
            None => schema,
        }
    }

    /// The first member (top-level name, documented type) whose type differs; `null` is left
    /// to poem-openapi (absent for optional and defaulted members, refused for required ones).
    fn mismatch(&self, schema: &Value, value: &Value, depth: usize) -> Option<(String, String)> {
        if depth > 16 || value.is_null() {
            return None;
        }
        let schema = self.resolve(schema);
        if let Some(parts) = schema["allOf"].as_array() {
            return parts
                .iter()
                .find_map(|part| self.mismatch(part, value, depth + 1));
        }
        let expected = schema["type"].as_str().unwrap_or_default();
        let fits = match expected {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !fits {
            return Some((String::new(), expected.to_owned()));
        }
        if let Some(items) = value.as_array() {
            let item_schema = &schema["items"];
            return items.iter().find_map(|item| {
                self.mismatch(item_schema, item, depth + 1)
                    .map(|(_, t)| (String::new(), format!("array of {t}")))
            });
        }
        if let (Some(members), Some(properties)) =
            (value.as_object(), schema["properties"].as_object())
        {
            return members.iter().find_map(|(name, member)| {
                let property = properties.get(name)?;
                self.mismatch(property, member, depth + 1)
                    .map(|(inner, t)| {
                        (
                            if inner.is_empty() {
                                name.clone()
                            } else {
                                inner
                            },
                            t,
                        )
                    })
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document::new(
            &serde_json::json!({
                "paths": {
                    "/things/{id}": {
                        "put": {"requestBody": {"content": {"application/json; charset=utf-8": {
                            "schema": {"$ref": "#/components/schemas/Thing"}}}}},
                        "get": {}
                    }
                },
                "components": {"schemas": {
                    "Thing": {"type": "object", "allOf": [
                        {"type": "object", "properties": {"name": {"type": "string"}}},
                        {"type": "object", "properties": {
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "count": {"type": "integer"},
                            "on": {"type": "boolean"}
                        }}
                    ]}
                }}
            })
            .to_string(),
        )
    }

    #[test]
    fn bodies_must_have_the_documented_json_types() {
        let d = document();
        let check = |body: &str| d.check("PUT", "/things/7", body.as_bytes());
        assert_eq!(
            check(r#"{"name":"x","tags":["a"],"count":2,"on":true}"#),
            Ok(())
        );
        assert_eq!(
            check(r#"{"name":null,"extra":false}"#),
            Ok(()),
            "null and unknown pass"
        );
        assert_eq!(check("not json"), Ok(()), "poem-openapi answers those");
        let wrong = |body: &str| check(body).unwrap_err();
        assert_eq!(wrong(r#"{"name":false}"#).field, "name");
        assert_eq!(wrong(r#"{"tags":[false]}"#).expected, "array of string");
        assert_eq!(wrong(r#"{"count":"2"}"#).field, "count");
        assert_eq!(wrong(r#"{"count":2.5}"#).expected, "integer");
        assert_eq!(wrong(r#"{"on":"true"}"#).field, "on");
        assert_eq!(wrong(r#"[]"#).expected, "object");
        assert_eq!(
            d.check("GET", "/things/7", b"{}"),
            Ok(()),
            "no body documented"
        );
    }

    #[test]
    fn allow_lists_the_documented_methods() {
        let d = document();
        let allowed = d.allowed("/things/7").unwrap();
        assert!(allowed == "GET, PUT" || allowed == "PUT, GET", "{allowed}");
        assert_eq!(d.allowed("/things/"), None);
        assert_eq!(d.allowed("/other"), None);
    }
}
