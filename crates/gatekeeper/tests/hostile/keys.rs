//! Object keys and prefixes (docs/protocol.md section 6.2; SECURITY.md T8): traversal, `.` and `..`
//! segments, empty segments, leading slashes, backslashes, C0 and C1 control characters, keys over
//! 1024 bytes, keys outside the root prefix `tickets/` (by case, by a missing `/`, by look-alike
//! slashes or percent-encodings that are only text), and prefixes that are not directories. The
//! checks run in a fixed order, so a key with several faults gets the first one's code. Keys that
//! are valid but look like others (unicode, `%2e%2e`) are granted and must stay exact at S3: those
//! cases are in the S3 table.
//! No row depends on another row's effects: each edits its own fresh request.

use s3gk_protocol::Operation;

use super::harness::{row, send, Case, Threat::Key, AUDITED};

const DOT: &str = "key_dot_segment";
const EMPTY_SEGMENT: &str = "key_empty_segment";
const SLASH: &str = "key_leading_slash";
const CHAR: &str = "key_forbidden_char";
const LONG: &str = "key_too_long";
const OUTSIDE: &str = "key_outside_root";
const NOT_DIR: &str = "key_prefix_not_directory";

/// `(name, object key for a get, code)`.
const OBJECT_KEYS: &[(&str, &str, &str)] = &[
    ("empty", "", "key_empty"),
    ("parent_segment", "tickets/../secrets/a.bin", DOT),
    ("parent_then_root_again", "tickets/../tickets/a.bin", DOT),
    ("current_segment", "tickets/./a.bin", DOT),
    ("trailing_parent", "tickets/a/..", DOT),
    ("trailing_current", "tickets/a/.", DOT),
    ("only_parent", "..", DOT),
    ("only_current", ".", DOT),
    ("root_then_parent", "tickets/..", DOT),
    ("double_parent", "tickets/a/../../b", DOT),
    ("double_slash", "tickets//a.bin", EMPTY_SEGMENT),
    ("trailing_slash", "tickets/a/", EMPTY_SEGMENT),
    ("trailing_double_slash", "tickets/a//", EMPTY_SEGMENT),
    ("only_slashes_after_root", "tickets///", EMPTY_SEGMENT),
    ("leading_slash", "/tickets/a.bin", SLASH),
    ("leading_double_slash", "//tickets/a.bin", SLASH),
    ("only_a_slash", "/", SLASH),
    ("leading_slash_then_parent", "/tickets/../a", SLASH),
    ("backslash_traversal", "tickets\\..\\secrets", CHAR),
    ("backslash_in_segment", "tickets/a\\b.bin", CHAR),
    ("nul", "tickets/a\0.bin", CHAR),
    ("newline", "tickets/a\n.bin", CHAR),
    ("carriage_return", "tickets/a\r.bin", CHAR),
    ("tab", "tickets/a\t.bin", CHAR),
    ("escape", "tickets/\u{1b}[31m.bin", CHAR),
    ("unit_separator", "tickets/a\u{1f}", CHAR),
    ("delete", "tickets/a\u{7f}", CHAR),
    ("c1_first", "tickets/a\u{80}", CHAR),
    ("c1_next_line", "tickets/a\u{85}b", CHAR),
    ("c1_last", "tickets/a\u{9f}", CHAR),
    ("control_before_parent", "tickets/\0/../a", CHAR),
    ("outside_root", "invoices/1.pdf", OUTSIDE),
    ("root_without_slash", "tickets", OUTSIDE),
    ("root_as_a_name_prefix", "ticketsx/a.bin", OUTSIDE),
    ("root_in_upper_case", "Tickets/a.bin", OUTSIDE),
    ("root_after_a_space", " tickets/a.bin", OUTSIDE),
    ("space_before_the_slash", "tickets /a.bin", OUTSIDE),
    ("percent_encoded_slash", "tickets%2fa.bin", OUTSIDE),
    ("percent_encoded_traversal", "tickets%2f..%2fsecrets", OUTSIDE),
    ("fullwidth_solidus", "tickets\u{ff0f}a.bin", OUTSIDE),
    ("division_slash", "tickets\u{2215}a.bin", OUTSIDE),
    ("fraction_slash", "tickets\u{2044}a.bin", OUTSIDE),
    ("nested_elsewhere", "other/tickets/a.bin", OUTSIDE),
];

/// `(name, prefix for list_prefix, code)`.
const PREFIXES: &[(&str, &str, &str)] = &[
    ("empty", "", "key_empty"),
    ("only_a_slash", "/", SLASH),
    ("without_trailing_slash", "tickets/1", NOT_DIR),
    ("root_without_slash", "tickets", NOT_DIR),
    ("partial_root", "tick", NOT_DIR),
    ("double_trailing_slash", "tickets//", EMPTY_SEGMENT),
    ("parent", "tickets/../", DOT),
    ("current", "tickets/./", DOT),
    ("parent_only", "../", DOT),
    ("outside_root", "invoices/", OUTSIDE),
    ("root_as_a_name_prefix", "ticketsx/", OUTSIDE),
    ("backslash", "tickets\\a/", CHAR),
    ("newline", "tickets/\n/", CHAR),
];

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = OBJECT_KEYS
        .iter()
        .map(|&(name, key, code)| {
            let how = send(move |f| f.with(|r| r.key = key.to_owned()));
            row(format!("get_{name}"), Key, how, 403, code, AUDITED)
        })
        .collect();
    cases.extend(PREFIXES.iter().map(|&(name, prefix, code)| {
        let how = send(move |f| {
            f.with(|r| {
                r.operation = Operation::ListPrefix;
                r.key = prefix.to_owned();
            })
        });
        row(format!("list_prefix_{name}"), Key, how, 403, code, AUDITED)
    }));
    let long = [
        ("1025_bytes", format!("tickets/{}", "a".repeat(1017)), LONG),
        ("4096_bytes", format!("tickets/{}", "a".repeat(4088)), LONG),
        ("1026_bytes_in_513_characters", format!("tickets/{}", "\u{e9}".repeat(509)), LONG),
        ("1025_bytes_with_traversal", format!("tickets/../{}", "a".repeat(1014)), LONG),
        ("1024_bytes_outside_root", format!("invoices/{}", "a".repeat(1015)), OUTSIDE),
    ];
    for (name, key, code) in long {
        let how = send(move |f| f.with(|r| r.key = key.clone()));
        cases.push(row(format!("get_{name}"), Key, how, 403, code, AUDITED));
    }
    for (name, key, code) in [("put_parent_segment", "tickets/../x.bin", DOT), ("put_empty", "", "key_empty")] {
        let how = send(move |f| {
            f.with(|r| {
                r.key = key.to_owned();
                r.operation = Operation::Put { content_length: 100, sha256: None, content_type: None };
            })
        });
        cases.push(row(name, Key, how, 403, code, AUDITED));
    }
    cases
}
