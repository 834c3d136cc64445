//! One test vector file: `name: value` lines, `kind`, `expect` and `comment` first.

/// A vector being written.
pub(crate) struct Vector {
    kind: &'static str,
    name: String,
    lines: Vec<(String, String)>,
}

impl Vector {
    /// A vector of `kind` named `name`, expected to end with `expect`.
    pub(crate) fn new(kind: &'static str, name: &str, expect: &str, comment: &str) -> Self {
        let lines = vec![
            ("kind".to_owned(), kind.to_owned()),
            ("expect".to_owned(), expect.to_owned()),
            ("comment".to_owned(), comment.to_owned()),
        ];
        Self { kind, name: name.to_owned(), lines }
    }

    /// Adds a text or decimal field.
    pub(crate) fn field(mut self, key: &str, value: impl ToString) -> Self {
        let value = value.to_string();
        assert!(!value.contains('\n'), "vector values are single lines");
        self.lines.push((key.to_owned(), value));
        self
    }

    /// Adds a binary field as lower-case hex.
    pub(crate) fn hex(self, key: &str, value: impl AsRef<[u8]>) -> Self {
        self.field(key, hex::encode(value))
    }

    /// The file name: `KIND-NAME.txt`.
    pub(crate) fn file_name(&self) -> String {
        format!("{}-{}.txt", self.kind, self.name)
    }

    /// The file's contents.
    pub(crate) fn render(&self) -> String {
        self.lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
    }
}
