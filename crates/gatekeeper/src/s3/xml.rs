//! Reading S3's XML answers: a ListObjectsV2 page, and the code of an error.
//!
//! Parsing is total: malformed XML, a missing field, a size that is not a number or nesting deeper
//! than any S3 answer are errors, never panics. Nothing here does I/O.

use quick_xml::events::Event;
use quick_xml::Reader;

/// No S3 answer nests deeper than this; anything deeper is refused.
const MAX_DEPTH: usize = 8;

/// Why an answer could not be read.
pub(super) type XmlError = &'static str;

/// One object of a page, as S3 listed it: its key is unchecked text.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PageObject {
    pub(super) key: String,
    pub(super) size: u64,
}

/// One page of a ListObjectsV2 answer.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ListPage {
    pub(super) objects: Vec<PageObject>,
    pub(super) is_truncated: bool,
    pub(super) next_continuation_token: Option<String>,
}

/// Walks the elements of `xml`, calling `on_end(path, text)` at every closing tag with the path of
/// local names from the root (inclusive) and the text directly inside the element.
fn walk(xml: &[u8], mut on_end: impl FnMut(&[Vec<u8>], &str) -> Result<(), XmlError>) -> Result<(), XmlError> {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut text = String::new();
    let mut seen_root = false;
    loop {
        match reader.read_event().map_err(|_| "malformed XML")? {
            Event::Start(start) => {
                if path.is_empty() && seen_root {
                    return Err("more than one root element");
                }
                if path.len() >= MAX_DEPTH {
                    return Err("XML nested too deeply");
                }
                seen_root = true;
                path.push(start.local_name().as_ref().to_vec());
                text.clear();
            }
            Event::Empty(empty) => {
                if path.is_empty() {
                    return Err("empty root element");
                }
                path.push(empty.local_name().as_ref().to_vec());
                on_end(&path, "")?;
                path.pop();
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.unescape().map_err(|_| "bad XML text")?),
            Event::CData(c) => text.push_str(std::str::from_utf8(&c).map_err(|_| "XML text not UTF-8")?),
            Event::End(_) => {
                on_end(&path, &text)?;
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions, doctypes: nothing to read.
            _ => {}
        }
    }
    if !seen_root || !path.is_empty() {
        return Err("incomplete XML");
    }
    Ok(())
}

/// Parses one ListObjectsV2 page (`<ListBucketResult>`).
pub(super) fn parse_list_page(xml: &[u8]) -> Result<ListPage, XmlError> {
    let mut page = ListPage::default();
    let mut key: Option<String> = None;
    let mut size: Option<u64> = None;
    let mut root_ok = false;
    walk(xml, |path, text| {
        let names: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
        match names.as_slice() {
            [b"ListBucketResult"] => root_ok = true,
            [b"ListBucketResult", b"Contents", b"Key"] => key = Some(text.to_owned()),
            [b"ListBucketResult", b"Contents", b"Size"] => {
                size = Some(text.trim().parse().map_err(|_| "object size is not a number")?);
            }
            [b"ListBucketResult", b"Contents"] => {
                let object = PageObject {
                    key: key.take().ok_or("listed object without a key")?,
                    size: size.take().ok_or("listed object without a size")?,
                };
                page.objects.push(object);
            }
            [b"ListBucketResult", b"IsTruncated"] => {
                page.is_truncated = match text.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err("IsTruncated is not a boolean"),
                };
            }
            [b"ListBucketResult", b"NextContinuationToken"] => {
                page.next_continuation_token = Some(text.to_owned()).filter(|t| !t.is_empty());
            }
            [first, ..] if *first != b"ListBucketResult" => return Err("not a ListBucketResult"),
            _ => {}
        }
        Ok(())
    })?;
    if !root_ok {
        return Err("not a ListBucketResult");
    }
    Ok(page)
}

/// The `<Code>` of an S3 `<Error>` answer, if there is one and it looks like a code: ASCII letters and
/// digits only, at most 64 of them. Nothing else from the answer is kept (S3's messages can echo the
/// string to sign).
pub(super) fn parse_error_code(xml: &[u8]) -> Option<String> {
    let mut code = None;
    let _ = walk(xml, |path, text| {
        let names: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
        if let [b"Error", b"Code"] = names.as_slice() {
            let text = text.trim();
            if !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
                code = Some(text.to_owned());
            }
        }
        Ok(())
    });
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>p/a &amp; b</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>3</Size></Contents>
  <Contents><Key>p/caf&#xE9;</Key><Size>0</Size><Owner><ID>x</ID></Owner></Contents>
  <NextContinuationToken>tok+/=</NextContinuationToken>
</ListBucketResult>"#;

    #[test]
    fn reads_a_page() {
        let page = parse_list_page(PAGE.as_bytes()).unwrap();
        assert_eq!(
            page.objects,
            vec![PageObject { key: "p/a & b".into(), size: 3 }, PageObject { key: "p/café".into(), size: 0 }]
        );
        assert!(page.is_truncated);
        assert_eq!(page.next_continuation_token.as_deref(), Some("tok+/="));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let cases: &[&str] = &[
            "",
            "not xml",
            "<ListBucketResult>",
            "<ListBucketResult></Other>",
            "<Error><Code>AccessDenied</Code></Error>",
            "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
            "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
            "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
            "<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
            "<ListBucketResult><Contents><Key>&bogus;</Key><Size>1</Size></Contents></ListBucketResult>",
            "<ListBucketResult/><ListBucketResult/>",
            "<ListBucketResult><a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a></ListBucketResult>",
        ];
        for case in cases {
            assert!(parse_list_page(case.as_bytes()).is_err(), "{case}");
        }
        let empty = parse_list_page(b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>").unwrap();
        assert_eq!(empty, ListPage::default());
    }

    #[test]
    fn error_codes_are_kept_only_when_plain() {
        let xml = b"<Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4</StringToSign></Error>";
        assert_eq!(parse_error_code(xml).as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(parse_error_code(b"<Error><Code>a b</Code></Error>"), None);
        assert_eq!(parse_error_code(b"<html>oops"), None);
    }
}
