//! Reading a JWT's claims (RFC 7519 4) into typed values, each wrong or missing claim named.

use serde_json::{Map, Value};

use super::VerifyError;

/// The claims of a token whose signature verified, taken out one at a time; what is left at
/// the end are the claims the caller does not type.
pub(crate) struct Claims(Map<String, Value>);

impl Claims {
    pub(crate) fn new(claims: Map<String, Value>) -> Self {
        Self(claims)
    }

    /// A string claim that must be there.
    pub(crate) fn string(&mut self, name: &'static str) -> Result<String, VerifyError> {
        self.optional_string(name)?
            .ok_or(VerifyError::MissingClaim(name))
    }

    /// A string claim that may be absent.
    pub(crate) fn optional_string(
        &mut self,
        name: &'static str,
    ) -> Result<Option<String>, VerifyError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(VerifyError::MalformedClaim(name)),
        }
    }

    /// A NumericDate claim that must be there.
    pub(crate) fn time(&mut self, name: &'static str) -> Result<i64, VerifyError> {
        self.optional_time(name)?
            .ok_or(VerifyError::MissingClaim(name))
    }

    /// A NumericDate claim that may be absent.
    pub(crate) fn optional_time(&mut self, name: &'static str) -> Result<Option<i64>, VerifyError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(value) => numeric_date(&value)
                .map(Some)
                .ok_or(VerifyError::MalformedClaim(name)),
        }
    }

    /// `aud`: one string or an array of strings (RFC 7519 4.1.3); must be there.
    pub(crate) fn audiences(&mut self) -> Result<Vec<String>, VerifyError> {
        match self.0.remove("aud") {
            None => Err(VerifyError::MissingClaim("aud")),
            Some(Value::String(one)) => Ok(vec![one]),
            Some(Value::Array(many)) => strings(many, "aud"),
            Some(_) => Err(VerifyError::MalformedClaim("aud")),
        }
    }

    /// An array of strings that may be absent.
    pub(crate) fn optional_strings(
        &mut self,
        name: &'static str,
    ) -> Result<Option<Vec<String>>, VerifyError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Array(many)) => strings(many, name).map(Some),
            Some(_) => Err(VerifyError::MalformedClaim(name)),
        }
    }

    /// Removes a claim whatever its type.
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// Looks at a claim without taking it.
    pub(crate) fn peek(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The claims not taken.
    pub(crate) fn rest(self) -> Map<String, Value> {
        self.0
    }
}

/// A NumericDate (RFC 7519 2): seconds since the epoch, possibly with a fraction, which is
/// dropped.
pub(crate) fn numeric_date(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.trunc() as i64)
    })
}

fn strings(values: Vec<Value>, name: &'static str) -> Result<Vec<String>, VerifyError> {
    values
        .into_iter()
        .map(|v| match v {
            Value::String(text) => Ok(text),
            _ => Err(VerifyError::MalformedClaim(name)),
        })
        .collect()
}
