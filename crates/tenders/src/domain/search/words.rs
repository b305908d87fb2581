//! Word-form matching for keywords and exclusions: both sides are cut to Snowball stems.
//! The Russian stemmer is not consistent across a word's forms (it cuts «охрана» to
//! «охра» but «охране» to «охран»), so a text stem also matches when it extends the
//! keyword's stem by at most two letters; more would let «кот» find «котельная».

use std::collections::HashSet;

use rust_stemmers::{Algorithm, Stemmer};

/// Phrases to look for; a phrase matches when all its words occur (in any order and form).
#[derive(Debug, Clone, Default)]
pub struct WordMatcher {
    phrases: Vec<Vec<String>>,
}

impl WordMatcher {
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> WordMatcher {
        let stemmers = Stemmers::new();
        let phrases = phrases
            .iter()
            .map(|p| stemmers.words(p.as_ref()).collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        WordMatcher { phrases }
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Whether some phrase occurs in `texts`.
    pub fn matches_any(&self, texts: &[&str]) -> bool {
        if self.phrases.is_empty() {
            return false;
        }
        let stemmers = Stemmers::new();
        let words: HashSet<String> = texts.iter().flat_map(|t| stemmers.words(t)).collect();
        self.phrases
            .iter()
            .any(|phrase| phrase.iter().all(|k| words.iter().any(|w| same_word(k, w))))
    }
}

struct Stemmers {
    russian: Stemmer,
    english: Stemmer,
}

impl Stemmers {
    fn new() -> Stemmers {
        Stemmers {
            russian: Stemmer::create(Algorithm::Russian),
            english: Stemmer::create(Algorithm::English),
        }
    }

    /// The stems of the words of `text`, lower-cased, «ё» read as «е».
    fn words<'a>(&'a self, text: &'a str) -> impl Iterator<Item = String> + 'a {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(move |w| {
                let lower = w.to_lowercase().replace('ё', "е");
                let stemmer = if lower.chars().any(is_cyrillic) {
                    &self.russian
                } else {
                    &self.english
                };
                stemmer.stem(&lower).into_owned()
            })
    }
}

/// Whether text stem `word` is a form of keyword stem `keyword`.
fn same_word(keyword: &str, word: &str) -> bool {
    word.strip_prefix(keyword)
        .is_some_and(|rest| rest.chars().count() <= MAX_STEM_EXTENSION)
}

const MAX_STEM_EXTENSION: usize = 2;

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4ff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_forms_meet() {
        let m = WordMatcher::new(&["охрана"]);
        for text in [
            "Оказание услуг по охране объектов",
            "услуги охраны",
            "охранных услуг",
            "ОХРАНУ",
        ] {
            assert!(m.matches_any(&[text]), "{text}");
        }
        assert!(
            !m.matches_any(&["ГБУ ЗДРАВООХРАНЕНИЯ"]),
            "a word part is not the word"
        );
        assert!(!WordMatcher::new(&["кот"]).matches_any(&["котельная"]));
        assert!(WordMatcher::new(&["сайт"]).matches_any(&["сайтов"]));
    }

    #[test]
    fn phrases_need_all_words() {
        let m = WordMatcher::new(&["разработка сайта", "1С"]);
        assert!(m.matches_any(&["Услуги по разработке", "официального сайта"]));
        assert!(!m.matches_any(&["разработка проектной документации"]));
        assert!(m.matches_any(&["лицензии 1с:предприятие"]));
        assert!(!WordMatcher::new::<&str>(&[]).matches_any(&["что угодно"]));
        assert!(WordMatcher::new(&["  ", "—"]).is_empty());
    }

    #[test]
    fn yo_is_e() {
        assert!(WordMatcher::new(&["учет"]).matches_any(&["учёта"]));
    }
}
