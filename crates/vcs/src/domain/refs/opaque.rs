//! Stretches of a message that belong to something else: links and e-mail addresses.
//! `https://host/path#123`, `www.x.ru/#12` and `ann+PROJ-1@x.ru` carry numbers that are
//! not task references, so no reference may start inside them.

use std::ops::Range;

use super::text::prev_char;

#[derive(Debug, Default)]
pub(super) struct Opaque {
    /// Sorted, not overlapping.
    spans: Vec<Range<usize>>,
}

impl Opaque {
    /// Each pass skips occurrences inside the span it has just made, so every byte is
    /// walked a bounded number of times even for a single huge token.
    pub(super) fn find(text: &str) -> Opaque {
        let mut spans = Vec::new();
        let mut covered = 0;
        for (at, _) in text.match_indices("://") {
            if at >= covered {
                covered = token_end(text, at);
                spans.push(scheme_start(text, at)..covered);
            }
        }
        for pattern in ["www.", "WWW."] {
            covered = 0;
            for (at, _) in text.match_indices(pattern) {
                let glued = prev_char(text, at)
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-'));
                if at >= covered && !glued {
                    covered = token_end(text, at);
                    spans.push(at..covered);
                }
            }
        }
        covered = 0;
        for (at, _) in text.match_indices('@') {
            if at >= covered && is_mail_at(text, at) {
                covered = token_end(text, at);
                spans.push(token_start(text, at)..covered);
            }
        }
        spans.sort_by_key(|s| s.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
        for span in spans {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => merged.push(span),
            }
        }
        Opaque { spans: merged }
    }

    /// The span `pos` lies in.
    pub(super) fn containing(&self, pos: usize) -> Option<&Range<usize>> {
        let i = self.spans.partition_point(|s| s.end <= pos);
        self.spans.get(i).filter(|s| s.start <= pos)
    }
}

/// `ann@x.ru`, `git@host:repo`, `12@host` — but not `#12 @2h` (time) or `@login` (mention).
fn is_mail_at(text: &str, at: usize) -> bool {
    let before = prev_char(text, at)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'));
    let after = text[at + 1..]
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    before && after
}

/// Scheme characters before `://`; the link starts there, not at the token's start, so
/// `[#12](https://x/12)` keeps its `#12`.
fn scheme_start(text: &str, at: usize) -> usize {
    let scheme = text.as_bytes()[..at]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
        .count();
    at - scheme
}

fn token_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn token_end(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        Opaque::find(text)
            .spans
            .iter()
            .map(|s| &text[s.clone()])
            .collect()
    }

    #[test]
    fn links_and_addresses_are_opaque() {
        assert_eq!(
            spans("see https://host/path#123 and #5"),
            ["https://host/path#123"]
        );
        assert_eq!(spans("[#12](https://x/12)"), ["https://x/12)"]);
        assert_eq!(spans("at www.x.ru/#12, ok"), ["www.x.ru/#12,"]);
        assert_eq!(spans("Signed-off-by: Ann <ann+1@x.ru>"), ["<ann+1@x.ru>"]);
        assert_eq!(spans("git@github.com:o/r.git"), ["git@github.com:o/r.git"]);
        assert_eq!(spans("#12 @2h, thanks @ann"), Vec::<&str>::new());
        assert_eq!(spans("https://a.b/x@y.z"), ["https://a.b/x@y.z"]);
        assert_eq!(spans("a.www.b"), Vec::<&str>::new());
    }

    #[test]
    fn finds_the_span_of_a_position() {
        let o = Opaque::find("#1 http://a/#2 #3 b@c.d #4");
        assert!(o.containing(0).is_none());
        assert_eq!(o.containing(12), Some(&(3..14)));
        assert!(o.containing(14).is_none());
        assert_eq!(o.containing(19), Some(&(18..23)));
    }
}
