//! 1CClientBankExchange (`kl_to_1c.txt`), the statement file every Russian bank exports.
//!
//! The reader is strict where a mistake would import wrong money (amounts, dates, structure,
//! truncation, broken encoding: the file is refused with the line and key) and lenient where
//! banks merely differ (key case, unknown keys, empty values, blank lines, CRLF or LF,
//! identifiers of foreign counterparties).

mod decode;
mod document;
mod fields;
mod key;
mod names;
mod statement;

#[cfg(test)]
mod tests;

pub use decode::TextEncoding;
pub use key::stable_key;
pub use statement::{AccountSection, Header, Statement};

use fields::Fields;
use names::{Key, Name, Names};

use crate::sources::ParseError;

/// The first line of every exchange file.
pub const SIGNATURE: &str = "1CClientBankExchange";

/// Reads a whole file. Either all of it is read or nothing is: a truncated or malformed
/// file is an error naming the line (and the key, when one value is at fault).
pub fn parse(bytes: &[u8]) -> Result<Statement, ParseError> {
    let (text, encoding) = decode::decode(bytes)?;
    let mut reader = Reader::new();
    // Files from old Macs end lines with CR alone; everything else has LF (CR is trimmed).
    let separator = if text.contains('\n') { '\n' } else { '\r' };
    for (index, raw) in text.split(separator).enumerate() {
        let line = trim(raw);
        if line.is_empty() {
            continue;
        }
        if reader.line(index + 1, line)? == Flow::EndOfFile {
            return reader.finish(encoding);
        }
    }
    Err(match reader.last_line {
        0 => ParseError::line(1, "the file is empty"),
        last => ParseError::line(last, "the file ends without КонецФайла (truncated?)"),
    })
}

#[derive(PartialEq)]
enum Flow {
    Continue,
    EndOfFile,
}

/// Where the reader is; the open section's values are in [`Reader::section`].
enum State {
    /// Before the signature line.
    Start,
    /// Header keys and between sections.
    TopLevel,
    Account,
    /// A document of this type.
    Document(Option<String>),
}

/// What one non-blank line is.
enum Line<'a> {
    AccountStart,
    AccountEnd,
    DocumentStart(&'a str),
    DocumentEnd,
    FileEnd,
    /// `key` as written, `name` for lookups.
    Pair {
        key: &'a str,
        name: Name,
        value: &'a str,
    },
    Other,
}

/// `s.trim()`, without the Unicode whitespace tables when the ends are plain characters,
/// which is nearly always (every line and value of a file comes through here).
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    let unicode_space_at_an_end = t.chars().next().is_some_and(char::is_whitespace)
        || t.chars().next_back().is_some_and(char::is_whitespace);
    if unicode_space_at_an_end { t.trim() } else { t }
}

fn classify<'a>(names: &mut Names<'a>, line: &'a str) -> Line<'a> {
    // A byte loop: keys are short, and `split_once` sets up a searcher for every line.
    let (key, value, has_equals) = match line.bytes().position(|b| b == b'=') {
        Some(at) => (trim(&line[..at]), trim(&line[at + 1..]), true),
        None => (line, "", false),
    };
    match names.of(key) {
        Name::Known(Key::AccountStart) => Line::AccountStart,
        Name::Known(Key::AccountEnd) => Line::AccountEnd,
        Name::Known(Key::DocumentStart) => Line::DocumentStart(value),
        Name::Known(Key::DocumentEnd) => Line::DocumentEnd,
        Name::Known(Key::FileEnd) => Line::FileEnd,
        name if has_equals && !key.is_empty() => Line::Pair { key, name, value },
        _ => Line::Other,
    }
}

/// A short quote of a line for messages: enough to recognise it, never a whole purpose.
fn quote(line: &str) -> String {
    let mut q: String = line.chars().take(60).collect();
    if q.len() < line.len() {
        q.push('…');
    }
    format!("«{q}»")
}

/// Values borrow from the decoded text; only what goes into the [`Statement`] is copied.
struct Reader<'a> {
    state: State,
    names: Names<'a>,
    last_line: usize,
    header: Fields<'a>,
    /// The open section's values (reused from one section to the next).
    section: Fields<'a>,
    header_accounts: Vec<HeaderAccount<'a>>,
    sections: Vec<AccountSection>,
    operations: Vec<crate::domain::Operation>,
}

/// A header `РасчСчет=` line, parsed when the file is complete.
struct HeaderAccount<'a> {
    line: usize,
    key: &'a str,
    value: &'a str,
}

impl<'a> Reader<'a> {
    fn new() -> Reader<'a> {
        Reader {
            state: State::Start,
            names: Names::default(),
            last_line: 0,
            header: Fields::new(1),
            section: Fields::new(0),
            header_accounts: Vec::new(),
            sections: Vec::new(),
            operations: Vec::new(),
        }
    }

    fn line(&mut self, n: usize, text: &'a str) -> Result<Flow, ParseError> {
        self.last_line = n;
        let state = std::mem::replace(&mut self.state, State::TopLevel);
        self.state = match state {
            State::Start => {
                if !text.eq_ignore_ascii_case(SIGNATURE) {
                    return Err(ParseError::line(
                        n,
                        format!(
                            "not a 1CClientBankExchange file: it must start with «{SIGNATURE}», \
                             not {}",
                            quote(text)
                        ),
                    ));
                }
                State::TopLevel
            }
            State::TopLevel => match classify(&mut self.names, text) {
                Line::AccountStart => {
                    self.section.reset(n);
                    State::Account
                }
                Line::DocumentStart(kind) => {
                    self.section.reset(n);
                    State::Document((!kind.is_empty()).then(|| kind.to_owned()))
                }
                Line::FileEnd => return Ok(Flow::EndOfFile),
                Line::AccountEnd | Line::DocumentEnd => {
                    return Err(ParseError::line(
                        n,
                        format!("{} closes a section that was never opened", quote(text)),
                    ));
                }
                Line::Pair { key, name, value } => {
                    self.header_pair(n, key, name, value)?;
                    State::TopLevel
                }
                Line::Other => return Err(not_a_pair(n, text)),
            },
            State::Account => match classify(&mut self.names, text) {
                Line::AccountEnd => {
                    self.sections
                        .push(AccountSection::from_fields(&self.section)?);
                    State::TopLevel
                }
                Line::Pair { key, name, value } => {
                    self.section.insert(n, key, name, value)?;
                    State::Account
                }
                Line::Other => return Err(not_a_pair(n, text)),
                _ => {
                    return Err(unclosed(
                        n,
                        text,
                        "СекцияРасчСчет",
                        "КонецРасчСчет",
                        &self.section,
                    ));
                }
            },
            State::Document(kind) => match classify(&mut self.names, text) {
                Line::DocumentEnd => {
                    self.operations
                        .push(document::operation(kind, &self.section)?);
                    State::TopLevel
                }
                Line::Pair { key, name, value } => {
                    self.section.insert(n, key, name, value)?;
                    State::Document(kind)
                }
                Line::Other => return Err(not_a_pair(n, text)),
                _ => {
                    return Err(unclosed(
                        n,
                        text,
                        "СекцияДокумент",
                        "КонецДокумента",
                        &self.section,
                    ));
                }
            },
        };
        Ok(Flow::Continue)
    }

    fn header_pair(
        &mut self,
        n: usize,
        key: &'a str,
        name: Name,
        value: &'a str,
    ) -> Result<(), ParseError> {
        // The header names one `РасчСчет` per account, so this key may repeat.
        if name == Name::Known(Key::Account) {
            if !value.is_empty() {
                self.header_accounts.push(HeaderAccount {
                    line: n,
                    key,
                    value,
                });
            }
            return Ok(());
        }
        self.header.insert(n, key, name, value)
    }

    fn finish(self, encoding: TextEncoding) -> Result<Statement, ParseError> {
        let h = &self.header;
        let mut accounts = Vec::new();
        for a in &self.header_accounts {
            let account = crate::domain::AccountNumber::parse(a.value)
                .map_err(|e| ParseError::field(a.line, a.key, e.to_string()))?;
            if !accounts.contains(&account) {
                accounts.push(account);
            }
        }
        let header = Header {
            format_version: h.owned(Key::FormatVersion),
            declared_encoding: h.owned(Key::Encoding),
            sender: h.owned(Key::Sender),
            recipient: h.owned(Key::Payee),
            created_on: h.date(Key::CreatedOn)?,
            period_start: h.date(Key::PeriodStart)?,
            period_end: h.date(Key::PeriodEnd)?,
            accounts,
        };
        let mut statement = Statement {
            encoding,
            header,
            sections: self.sections,
            operations: self.operations,
        };
        let own = statement.accounts_in_file();
        key::number_equals(&mut statement.operations, &own);
        Ok(statement)
    }
}

fn not_a_pair(n: usize, text: &str) -> ParseError {
    ParseError::line(
        n,
        format!(
            "expected Key=Value or a section marker, found {}",
            quote(text)
        ),
    )
}

fn unclosed(n: usize, text: &str, opened: &str, closer: &str, fields: &Fields<'_>) -> ParseError {
    ParseError::line(
        n,
        format!(
            "{} inside the {opened} that starts at line {}: {closer} is missing",
            quote(text),
            fields.start_line
        ),
    )
}
