//! A streaming walk over an XML document by local element names, shared by the feed and
//! notice parsers. Namespace prefixes are dropped (`ns5:purchaseNumber` is
//! `purchaseNumber`) because the portal renumbers them between schema versions. Elements
//! a parser does not need (base64 signatures, attachments) are skipped by the reader
//! without decoding their content.

use std::fmt;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use serde::Serialize;

/// Deeper nesting than any portal document has; past it the input is refused rather than
/// growing the path without bound.
const MAX_DEPTH: usize = 128;

/// Where and why a document is not well-formed XML (or not one this code can read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XmlFault {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for XmlFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl XmlFault {
    pub(crate) fn at(input: &[u8], offset: usize, message: impl Into<String>) -> XmlFault {
        let (line, column) = line_column(input, offset);
        XmlFault {
            line,
            column,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_column(input: &[u8], offset: usize) -> (usize, usize) {
    let before = &input[..offset.min(input.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Count UTF-8 lead bytes only, so Cyrillic counts one column per letter.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, column)
}

/// What a parser does with the elements of a document. `path` holds local names from the
/// root down to the element concerned.
pub(crate) trait Visitor {
    type Error;

    /// An element opens; return `false` to skip it with everything inside.
    fn start(&mut self, _path: &[String]) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// An element closes that held text (trimmed, never empty); `offset` is where it
    /// closed, for error messages.
    fn text(&mut self, path: &[String], text: &str, offset: usize) -> Result<(), Self::Error>;

    /// An element closes (after [`Visitor::text`], if it held text).
    fn end(&mut self, _path: &[String]) -> Result<(), Self::Error> {
        Ok(())
    }
}

pub(crate) enum WalkError<E> {
    Xml(XmlFault),
    Visitor(E),
}

impl<E> From<XmlFault> for WalkError<E> {
    fn from(f: XmlFault) -> Self {
        WalkError::Xml(f)
    }
}

/// The local names of the first two elements (the root and its first child), for telling
/// document types apart before walking them.
pub(crate) fn first_elements(input: &[u8]) -> Result<(String, Option<String>), XmlFault> {
    let mut reader = reader(input);
    let mut names = Vec::new();
    loop {
        let offset = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e)) => names.push(local(&e)),
            Ok(Event::Empty(e)) => {
                names.push(local(&e));
                if names.len() == 1 {
                    return Ok((names.remove(0), None));
                }
            }
            Ok(Event::Decl(d)) => check_encoding(input, offset, &d)?,
            Ok(Event::End(_)) if !names.is_empty() => break,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(XmlFault::at(
                    input,
                    reader.error_position() as usize,
                    e.to_string(),
                ));
            }
        }
        if names.len() == 2 {
            break;
        }
    }
    let mut names = names.into_iter();
    match names.next() {
        Some(root) => Ok((root, names.next())),
        None => Err(XmlFault::at(input, input.len(), "no root element")),
    }
}

/// Walks `input`, calling `visitor` for each element.
pub(crate) fn walk<V: Visitor>(input: &[u8], visitor: &mut V) -> Result<(), WalkError<V::Error>> {
    let mut reader = reader(input);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut seen_root = false;
    loop {
        let offset = reader.buffer_position() as usize;
        let fault = |reader: &Reader<&[u8]>, message: String| {
            XmlFault::at(input, reader.error_position() as usize, message)
        };
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if seen_root && path.is_empty() {
                    return Err(XmlFault::at(input, offset, "a second root element").into());
                }
                seen_root = true;
                if path.len() >= MAX_DEPTH {
                    return Err(XmlFault::at(input, offset, "elements nested too deep").into());
                }
                path.push(local(&e));
                text.clear();
                if !visitor.start(&path).map_err(WalkError::Visitor)? {
                    reader
                        .read_to_end(e.name())
                        .map_err(|err| fault(&reader, err.to_string()))?;
                    path.pop();
                }
            }
            Ok(Event::Empty(e)) => {
                if seen_root && path.is_empty() {
                    return Err(XmlFault::at(input, offset, "a second root element").into());
                }
                seen_root = true;
                path.push(local(&e));
                if visitor.start(&path).map_err(WalkError::Visitor)? {
                    visitor.end(&path).map_err(WalkError::Visitor)?;
                }
                path.pop();
                text.clear();
            }
            Ok(Event::End(_)) => {
                let trimmed = text.trim();
                if !trimmed.is_empty() {
                    visitor
                        .text(&path, trimmed, offset)
                        .map_err(WalkError::Visitor)?;
                }
                text.clear();
                visitor.end(&path).map_err(WalkError::Visitor)?;
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| XmlFault::at(input, offset, e.to_string()))?;
                if path.is_empty() {
                    if !s.trim().is_empty() {
                        return Err(
                            XmlFault::at(input, offset, "text outside the root element").into()
                        );
                    }
                } else {
                    text.push_str(&s);
                }
            }
            Ok(Event::CData(c)) => {
                let s = c
                    .xml10_content()
                    .map_err(|e| XmlFault::at(input, offset, e.to_string()))?;
                text.push_str(&s);
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r
                            .decode()
                            .map_err(|e| XmlFault::at(input, offset, e.to_string()))?;
                        // Only the five predefined entities exist without a DTD; others are
                        // refused, never looked up or expanded.
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| {
                                XmlFault::at(input, offset, format!("unknown entity &{name};"))
                            })?
                            .to_owned()
                    }
                    Err(e) => return Err(XmlFault::at(input, offset, e.to_string()).into()),
                };
                text.push_str(&resolved);
            }
            Ok(Event::Decl(d)) => check_encoding(input, offset, &d)?,
            Ok(Event::DocType(_)) => {
                return Err(
                    XmlFault::at(input, offset, "a DOCTYPE (not expected in portal XML)").into(),
                );
            }
            Ok(Event::Eof) => {
                if !path.is_empty() {
                    return Err(XmlFault::at(
                        input,
                        input.len(),
                        format!("the document ends inside <{}>", path.join("/")),
                    )
                    .into());
                }
                if !seen_root {
                    return Err(XmlFault::at(input, input.len(), "no root element").into());
                }
                return Ok(());
            }
            Ok(Event::Comment(_) | Event::PI(_)) => {}
            Err(e) => return Err(fault(&reader, e.to_string()).into()),
        }
    }
}

fn reader(input: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.trim_text(false);
    reader
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The portal writes UTF-8; anything else is refused by name rather than misread.
fn check_encoding(
    input: &[u8],
    offset: usize,
    decl: &quick_xml::events::BytesDecl<'_>,
) -> Result<(), XmlFault> {
    if let Some(Ok(enc)) = decl.encoding() {
        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
        if enc != "utf-8" && enc != "utf8" {
            return Err(XmlFault::at(
                input,
                offset,
                format!("unsupported encoding {enc:?}; only UTF-8 is read"),
            ));
        }
    }
    Ok(())
}

/// Whitespace runs (line breaks included) as single spaces.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `s`, for error messages.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(String, String)>);

    impl Visitor for Collect {
        type Error = ();
        fn start(&mut self, path: &[String]) -> Result<bool, ()> {
            Ok(path.last().map(String::as_str) != Some("skip"))
        }
        fn text(&mut self, path: &[String], text: &str, _: usize) -> Result<(), ()> {
            self.0.push((path.join("/"), text.to_owned()));
            Ok(())
        }
    }

    fn leaves(xml: &str) -> Result<Vec<(String, String)>, XmlFault> {
        let mut c = Collect::default();
        match walk(xml.as_bytes(), &mut c) {
            Ok(()) => Ok(c.0),
            Err(WalkError::Xml(f)) => Err(f),
            Err(WalkError::Visitor(())) => unreachable!(),
        }
    }

    #[test]
    fn local_names_entities_and_skipping() {
        let got = leaves(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a:r xmlns:a=\"x\"><a:n>1 &amp; 2 &#171;x&#xBB;</a:n><skip><b>hidden</b></skip><c><![CDATA[<raw>]]></c></a:r>",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("r/n".into(), "1 & 2 «x»".into()),
                ("r/c".into(), "<raw>".into())
            ]
        );
    }

    #[test]
    fn faults_name_the_line() {
        let f = leaves("<r>\n  <a>text</b>\n</r>").unwrap_err();
        assert_eq!(f.line, 2, "{f}");
        let f = leaves("<r><a>1</a>").unwrap_err();
        assert!(f.message.contains("ends inside"), "{f}");
        assert!(
            leaves("<r>&custom;</r>")
                .unwrap_err()
                .message
                .contains("custom")
        );
        assert!(leaves("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>").is_err());
        assert!(leaves("").is_err());
        assert!(
            leaves("<?xml version=\"1.0\" encoding=\"windows-1251\"?><r/>")
                .unwrap_err()
                .message
                .contains("windows-1251")
        );
        assert!(leaves("<r/><r/>").is_err());
    }

    #[test]
    fn first_elements_reads_only_the_start() {
        assert_eq!(
            first_elements(b"<?xml version=\"1.0\"?><ns3:export><ns3:epNotificationEF2020>broken")
                .unwrap(),
            ("export".into(), Some("epNotificationEF2020".into()))
        );
        assert_eq!(first_elements(b"<rss/>").unwrap(), ("rss".into(), None));
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("ая\nбв".as_bytes(), "ая\nб".len()), (2, 2));
    }
}
