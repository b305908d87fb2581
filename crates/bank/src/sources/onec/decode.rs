//! Bytes to text. The `Кодировка=` header is a hint, not a fact: files re-saved by editors
//! and exported by some banks are UTF-8 while still saying `Windows`. UTF-8 is tried first
//! because a windows-1251 or cp866 Cyrillic text is practically never valid UTF-8.

use std::borrow::Cow;

use encoding_rs::{Encoding, IBM866, WINDOWS_1251};
use serde::Serialize;

use crate::sources::ParseError;

/// The encoding the text was actually read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Windows1251,
    Cp866,
}

/// How far into the file the `Кодировка=` line is looked for; it belongs to the header.
const HEADER_LINES: usize = 64;

pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), TextEncoding::Utf8),
        Err(_) => {
            let encoding = declared_encoding(bytes);
            let coder: &'static Encoding = match encoding {
                TextEncoding::Cp866 => IBM866,
                _ => WINDOWS_1251,
            };
            (coder.decode_without_bom_handling(bytes).0, encoding)
        }
    };
    reject_replacement_characters(&text)?;
    Ok((text, encoding))
}

/// `DOS` (or anything naming 866) means cp866; everything else, and no header, windows-1251,
/// which is what banks send in practice. The key itself is Cyrillic, so each header line is
/// tried in both encodings.
fn declared_encoding(bytes: &[u8]) -> TextEncoding {
    for line in bytes.split(|&b| b == b'\n').take(HEADER_LINES) {
        for coder in [WINDOWS_1251, IBM866] {
            let decoded = coder.decode_without_bom_handling(line).0;
            let Some((key, value)) = decoded.split_once('=') else {
                continue;
            };
            if key.trim().to_lowercase() == "кодировка" {
                let value = value.trim().to_ascii_lowercase();
                return if value == "dos" || value.contains("866") {
                    TextEncoding::Cp866
                } else {
                    TextEncoding::Windows1251
                };
            }
        }
    }
    TextEncoding::Windows1251
}

/// U+FFFD means the text was already broken before it reached us: a windows-1251 file read
/// as UTF-8 and saved, so every Cyrillic letter became the same character. Importing it would
/// store garbage names and purposes, so the file is refused at the first such line.
fn reject_replacement_characters(text: &str) -> Result<(), ParseError> {
    // `contains` with a string is a vectorised search; `find` is only for the rare hit.
    if !text.contains("\u{FFFD}") {
        return Ok(());
    }
    if let Some(at) = text.find('\u{FFFD}') {
        let line = 1 + text[..at].bytes().filter(|&b| b == b'\n').count();
        return Err(ParseError::line(
            line,
            "the text has U+FFFD replacement characters (�): the file was decoded with the \
             wrong encoding and saved, so its Cyrillic text is lost; export it from the bank again",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp1251(s: &str) -> Vec<u8> {
        WINDOWS_1251.encode(s).0.into_owned()
    }

    #[test]
    fn utf8_wins_over_the_header() {
        let (text, enc) = decode("\u{FEFF}Кодировка=Windows\n".as_bytes()).unwrap();
        assert_eq!(
            (text.as_ref(), enc),
            ("Кодировка=Windows\n", TextEncoding::Utf8)
        );
    }

    #[test]
    fn windows_1251_and_dos() {
        let bytes = cp1251("1CClientBankExchange\r\nКодировка=Windows\r\nПлательщик=Ёлка\r\n");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, TextEncoding::Windows1251);
        assert!(text.contains("Плательщик=Ёлка"));

        let dos = IBM866
            .encode("1CClientBankExchange\nКодировка=DOS\nПлательщик=Ёлка\n")
            .0;
        let (text, enc) = decode(&dos).unwrap();
        assert_eq!(enc, TextEncoding::Cp866);
        assert!(text.contains("Плательщик=Ёлка"));
    }

    #[test]
    fn no_header_means_windows_1251() {
        let bytes = cp1251("Сумма=1");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("Сумма=1", TextEncoding::Windows1251));
    }

    #[test]
    fn replacement_character_names_its_line() {
        let err = decode("a\nb\nc\u{FFFD}\n".as_bytes()).unwrap_err();
        assert_eq!(err.line_number(), Some(3));
    }
}
