//! Reading the CSV files people export from spreadsheets: the encoding and the separator
//! are whatever their Excel used.

/// Spreadsheets saved on Russian Windows are often Windows-1251; anything that is not valid
/// UTF-8 is read as that. A UTF-8 byte order mark is dropped.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1251
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Excel in a Russian locale writes `;`; everything else `,`. The header row decides.
pub fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// The first line (1-based) holding U+FFFD: text broken before it reached us (a
/// Windows-1251 file once read as UTF-8 and saved), whose letters are lost.
pub fn first_broken_line(text: &str) -> Option<usize> {
    text.find('\u{FFFD}')
        .map(|at| 1 + text[..at].bytes().filter(|&b| b == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_1251_and_semicolons() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("ФИО;почта\nИван;ivan@a.ru\n");
        let text = decode(&bytes);
        assert!(text.starts_with("ФИО;"));
        assert_eq!(sniff_delimiter(&text), b';');
        assert_eq!(sniff_delimiter("full_name,emails\n"), b',');
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), "a,b");
    }

    #[test]
    fn broken_text_is_found_by_its_line() {
        assert_eq!(first_broken_line("a\nb\n\u{FFFD}x"), Some(3));
        assert_eq!(first_broken_line("a\nb"), None);
    }
}
