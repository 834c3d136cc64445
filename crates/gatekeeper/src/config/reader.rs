//! A strict walk over a parsed TOML table that records every problem instead of stopping at the
//! first, each with the dotted path of its field (`acl.put.allow_cidrs[2]`).
//!
//! Unknown fields are problems (the effect of serde's `deny_unknown_fields`, but all of them are
//! reported at once, with type errors and missing fields alongside). Messages describe what was
//! expected and never repeat the value found, so a secret pasted into the wrong place is not echoed.

use core::ops::RangeInclusive;

use toml::{Table, Value};

use super::{ConfigErrors, ConfigProblem};

/// The problems found so far.
#[derive(Debug, Default)]
pub(super) struct Problems(Vec<ConfigProblem>);

impl Problems {
    /// Records `message` against the field at `path`.
    pub(super) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem { path: path.into(), message: message.into() });
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems so far.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn into_errors(self) -> ConfigErrors {
        ConfigErrors { problems: self.0 }
    }
}

/// A value and where it was found.
#[derive(Debug)]
pub(super) struct Field<T> {
    pub(super) path: String,
    pub(super) value: T,
}

/// One table of the file, with its path.
#[derive(Debug)]
pub(super) struct Section<'a> {
    path: String,
    table: &'a Table,
}

impl<'a> Section<'a> {
    /// The top-level table; keys outside `allowed` are reported.
    pub(super) fn root(table: &'a Table, allowed: &[&str], p: &mut Problems) -> Self {
        let section = Self { path: String::new(), table };
        section.check_keys(allowed, p);
        section
    }

    /// The path of `key` in this table. A key that is not a bare TOML key (empty, or with a dot,
    /// a space, a quote…) is written quoted, as in the file, so the path always names one field
    /// and is never empty.
    pub(super) fn field_path(&self, key: &str) -> String {
        let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let key = if bare { key.to_owned() } else { Value::String(key.to_owned()).to_string() };
        if self.path.is_empty() {
            key
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn check_keys(&self, allowed: &[&str], p: &mut Problems) {
        for key in self.table.keys().filter(|k| !allowed.contains(&k.as_str())) {
            p.push(self.field_path(key), format!("unknown field; expected one of: {}", allowed.join(", ")));
        }
    }

    /// True if `key` is present.
    pub(super) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The raw value of `key`, if present.
    pub(super) fn value(&self, key: &str) -> Option<Field<&'a Value>> {
        self.table.get(key).map(|value| Field { path: self.field_path(key), value })
    }

    /// A string, if present; any other type is a problem.
    pub(super) fn str(&self, key: &str, p: &mut Problems) -> Option<Field<&'a str>> {
        let field = self.value(key)?;
        match field.value.as_str() {
            Some(value) => Some(Field { path: field.path, value }),
            None => {
                p.push(field.path, "expected a string");
                None
            }
        }
    }

    /// A string that must be present.
    pub(super) fn required_str(&self, key: &str, p: &mut Problems) -> Option<Field<&'a str>> {
        if !self.has(key) {
            p.push(self.field_path(key), "missing (required)");
        }
        self.str(key, p)
    }

    /// An integer in `range`, or `default` when absent. Problems give back the default.
    pub(super) fn u64_in(&self, key: &str, default: u64, range: RangeInclusive<u64>, p: &mut Problems) -> u64 {
        let Some(field) = self.value(key) else { return default };
        let Some(n) = field.value.as_integer() else {
            p.push(field.path, "expected an integer");
            return default;
        };
        match u64::try_from(n) {
            Ok(n) if range.contains(&n) => n,
            _ => {
                p.push(field.path, format!("must be {}..={}", range.start(), range.end()));
                default
            }
        }
    }

    /// A boolean, or `default` when absent.
    pub(super) fn bool(&self, key: &str, default: bool, p: &mut Problems) -> bool {
        let Some(field) = self.value(key) else { return default };
        field.value.as_bool().unwrap_or_else(|| {
            p.push(field.path, "expected true or false");
            default
        })
    }

    /// A list of strings, if present; each element that is not a string is its own problem.
    pub(super) fn str_list(&self, key: &str, p: &mut Problems) -> Option<Vec<Field<&'a str>>> {
        let field = self.value(key)?;
        let Some(items) = field.value.as_array() else {
            p.push(field.path, "expected a list of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", field.path);
            match item.as_str() {
                Some(value) => out.push(Field { path, value }),
                None => p.push(path, "expected a string"),
            }
        }
        Some(out)
    }

    /// The table `key`, if present; keys outside `allowed` are reported.
    pub(super) fn section(&self, key: &str, allowed: &[&str], p: &mut Problems) -> Option<Section<'a>> {
        let field = self.value(key)?;
        match field.value.as_table() {
            Some(table) => {
                let section = Section { path: field.path, table };
                section.check_keys(allowed, p);
                Some(section)
            }
            None => {
                p.push(field.path, "expected a table");
                None
            }
        }
    }

    /// The table `key`, or `empty` (with the same path) when absent or not a table.
    pub(super) fn section_or_empty(
        &self,
        key: &str,
        allowed: &[&str],
        empty: &'a Table,
        p: &mut Problems,
    ) -> Section<'a> {
        self.section(key, allowed, p).unwrap_or_else(|| Section { path: self.field_path(key), table: empty })
    }

    /// The array of tables `key` (`[[key]]`), empty when absent.
    pub(super) fn sections(&self, key: &str, allowed: &[&str], p: &mut Problems) -> Vec<Section<'a>> {
        let Some(field) = self.value(key) else { return Vec::new() };
        let Some(items) = field.value.as_array() else {
            p.push(field.path, format!("expected an array of tables ([[{key}]])"));
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", field.path);
            match item.as_table() {
                Some(table) => {
                    let section = Section { path, table };
                    section.check_keys(allowed, p);
                    out.push(section);
                }
                None => p.push(path, "expected a table"),
            }
        }
        out
    }
}
