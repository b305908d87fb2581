//! The feed item's description: HTML (entity-encoded inside the XML) made of labelled
//! values, `<strong>Label: </strong>value<br/>`, with highlight `<span>`s the portal
//! leaves unclosed. Reading it as label → value pairs, not as a tree, makes unclosed or
//! stray tags harmless.

/// Label and value pairs in document order; labels without the colon, values with
/// entities decoded and whitespace collapsed.
pub(super) fn labelled_values(html: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut label: Option<String> = None;
    let mut bold = String::new();
    let mut in_bold = false;
    let mut value = String::new();
    let mut finish = |label: &mut Option<String>, value: &mut String| {
        if let Some(l) = label.take() {
            pairs.push((l, clean(value)));
        }
        value.clear();
    };
    for token in (Tokens { rest: html }) {
        match token {
            Token::Text(t) if in_bold => bold.push_str(t),
            Token::Text(t) => value.push_str(t),
            Token::Tag { name, end } => match name.as_str() {
                "strong" | "b" if !end => {
                    finish(&mut label, &mut value);
                    in_bold = true;
                    bold.clear();
                }
                "strong" | "b" => {
                    in_bold = false;
                    let text = clean(&bold);
                    if let Some(l) = text.strip_suffix(':') {
                        label = Some(l.trim_end().to_owned());
                    }
                }
                "br" | "p" | "div" => {
                    in_bold = false;
                    finish(&mut label, &mut value);
                }
                _ => {}
            },
        }
    }
    finish(&mut label, &mut value);
    pairs
}

/// Markup with the tags removed, for fields such as `author` that are plain text with
/// highlight spans.
pub(super) fn plain_text(html: &str) -> String {
    let mut out = String::new();
    for token in (Tokens { rest: html }) {
        if let Token::Text(t) = token {
            out.push_str(t);
        }
    }
    clean(&out)
}

/// Entities decoded (`&quot;`, `&nbsp;`, `&#171;`), whitespace collapsed.
fn clean(s: &str) -> String {
    let decoded = html_escape::decode_html_entities(s);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

enum Token<'a> {
    Text(&'a str),
    Tag { name: String, end: bool },
}

/// Splits markup into text runs and tags. Only tag names matter here, so attributes are
/// passed over; a `<` that opens no tag stays text.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if let Some(after) = self.rest.strip_prefix('<') {
            let end = after.starts_with('/');
            let name_part = after.trim_start_matches('/');
            let name: String = name_part
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if let (false, Some(close)) = (name.is_empty(), after.find('>')) {
                self.rest = &after[close + 1..];
                return Some(Token::Tag {
                    name: name.to_ascii_lowercase(),
                    end,
                });
            }
            // Not a tag: the `<` is text.
            let (text, rest) = self.rest.split_at(1);
            self.rest = rest;
            return Some(Token::Text(text));
        }
        let cut = self.rest.find('<').unwrap_or(self.rest.len());
        let (text, rest) = self.rest.split_at(cut);
        self.rest = rest;
        Some(Token::Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_spans_and_inline_labels() {
        let html = "<b>Параметры поиска: </b><br/><strong>Наименование Заказчика: </strong>ГБУ ЗДРАВО<span class='highlightColor'>ОХРАНЕНИЯ &quot;Б&quot;<br/><strong>Начальная цена контракта: </strong>506000.00<strong> Валюта: </strong>Российский рубль<br/><strong>Электронный аукцион</strong> <a href='x'><strong>№ </strong><strong>0373</strong></a><br/>";
        let pairs = labelled_values(html);
        let get = |l: &str| pairs.iter().find(|(k, _)| k == l).map(|(_, v)| v.as_str());
        assert_eq!(
            get("Наименование Заказчика"),
            Some("ГБУ ЗДРАВООХРАНЕНИЯ \"Б\"")
        );
        assert_eq!(get("Начальная цена контракта"), Some("506000.00"));
        assert_eq!(get("Валюта"), Some("Российский рубль"));
        assert_eq!(get("Параметры поиска"), Some(""));
    }

    #[test]
    fn plain_text_drops_tags() {
        assert_eq!(
            plain_text("ЗДРАВО<span class='highlightColor'>ОХРА</span>НЕНИЯ a < b"),
            "ЗДРАВООХРАНЕНИЯ a < b"
        );
    }
}
