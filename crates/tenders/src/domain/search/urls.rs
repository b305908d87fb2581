//! The portal's search URLs for a saved search: the RSS feed the robot polls and the
//! results page a person opens. Parameters are the search form's fields
//! (reference: eis-procurement.md §1a).

use url::Url;

use super::SavedSearchSpec;
use crate::domain::{Kopecks, Law};

const RSS_URL: &str = "https://zakupki.gov.ru/epz/order/extendedsearch/rss.html";
const RESULTS_URL: &str = "https://zakupki.gov.ru/epz/order/extendedsearch/results.html";

impl SavedSearchSpec {
    /// The RSS feed of this search, newest updates first. All keywords go into one search
    /// string; see [`SavedSearchSpec::rss_urls`] for one feed per keyword.
    pub fn rss_url(&self) -> String {
        self.url(RSS_URL, Some(&self.keywords.join(" ")), "_500")
    }

    /// One RSS feed per keyword (or one without a search string when there are none): the
    /// portal's search string is a single query, so separate feeds are the way to get
    /// "any of these keywords".
    pub fn rss_urls(&self) -> Vec<String> {
        if self.keywords.is_empty() {
            return vec![self.url(RSS_URL, None, "_500")];
        }
        self.keywords
            .iter()
            .map(|k| self.url(RSS_URL, Some(k), "_500"))
            .collect()
    }

    /// The same search on the portal's results page, to open in a browser.
    pub fn browser_url(&self) -> String {
        self.url(RESULTS_URL, Some(&self.keywords.join(" ")), "_50")
    }

    fn url(&self, base: &str, search: Option<&str>, page_size: &str) -> String {
        let mut url = Url::parse(base).expect("the portal's base URL is valid");
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
                q.append_pair("searchString", s);
            }
            q.append_pair("morphology", "on");
            q.append_pair("search-filter", "Дате размещения");
            q.append_pair("pageNumber", "1");
            q.append_pair("sortDirection", "false");
            q.append_pair("recordsPerPage", page_size);
            q.append_pair("showLotsInfoHidden", "false");
            q.append_pair("sortBy", "UPDATE_DATE");
            let laws: &[Law] = if self.laws.is_empty() {
                &[Law::Fz44, Law::Fz223]
            } else {
                &self.laws
            };
            if laws.contains(&Law::Fz44) {
                q.append_pair("fz44", "on");
            }
            if laws.contains(&Law::Fz223) {
                q.append_pair("fz223", "on");
            }
            for stage in &self.stages {
                if let Some(param) = stage.search_param() {
                    q.append_pair(param, "on");
                }
            }
            let words: Vec<&str> = self
                .exclude
                .iter()
                .map(|w| w.trim())
                .filter(|w| !w.is_empty())
                .collect();
            if !words.is_empty() {
                q.append_pair("exclTextHidden", &words.join("|"));
            }
            if let Some(min) = self.price_min {
                q.append_pair("priceFromGeneral", &floor_roubles(min).to_string());
            }
            if let Some(max) = self.price_max {
                q.append_pair("priceToGeneral", &ceil_roubles(max).to_string());
            }
            if self.price_min.is_some() || self.price_max.is_some() {
                q.append_pair("currencyIdGeneral", "-1");
            }
            // Ids and codes go together: the portal filters by the ids, the codes only label
            // them, so codes alone are not sent (the post-filter applies them instead).
            if !self.okpd2_portal_ids.is_empty() {
                q.append_pair("okpd2Ids", &self.okpd2_portal_ids.join(","));
                q.append_pair("okpd2IdsCodes", &self.okpd2_prefixes.join(","));
                q.append_pair("okpd2IdsWithNested", "on");
            }
            if !self.region_portal_ids.is_empty() {
                let codes: Vec<String> = self
                    .regions
                    .iter()
                    .map(|r| format!("{r}000000000"))
                    .collect();
                q.append_pair("customerPlace", &self.region_portal_ids.join(","));
                q.append_pair("customerPlaceCodes", &codes.join(","));
            }
        }
        url.into()
    }
}

/// The form takes whole roubles; a lower bound rounds down so nothing in range is lost.
fn floor_roubles(k: Kopecks) -> i64 {
    k.0.div_euclid(100)
}

fn ceil_roubles(k: Kopecks) -> i64 {
    k.0.div_euclid(100) + i64::from(k.0.rem_euclid(100) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;

    fn query(url: &str) -> Vec<(String, String)> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
        q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn rss_url_carries_the_documented_parameters() {
        let spec = SavedSearchSpec {
            keywords: vec!["охрана".into()],
            exclude: vec!["здравоохранение".into(), "пожарная".into()],
            laws: vec![Law::Fz44],
            price_min: Some(Kopecks(100_050)),
            price_max: Some(Kopecks(50_000_001)),
            stages: vec![Stage::Submission],
            ..Default::default()
        };
        let url = spec.rss_url();
        assert!(url.starts_with("https://zakupki.gov.ru/epz/order/extendedsearch/rss.html?"));
        assert!(
            url.contains("searchString=%D0%BE%D1%85%D1%80%D0%B0%D0%BD%D0%B0"),
            "{url}"
        );
        assert!(url.contains("exclTextHidden=%D0%B7"), "{url}");
        assert!(url.contains("%7C"), "exclusions are joined by |: {url}");
        let q = query(&url);
        assert_eq!(get(&q, "morphology"), Some("on"));
        assert_eq!(get(&q, "fz44"), Some("on"));
        assert_eq!(get(&q, "fz223"), None);
        assert_eq!(get(&q, "af"), Some("on"));
        assert_eq!(get(&q, "priceFromGeneral"), Some("1000"));
        assert_eq!(get(&q, "priceToGeneral"), Some("500001"));
        assert_eq!(get(&q, "exclTextHidden"), Some("здравоохранение|пожарная"));
        assert_eq!(get(&q, "search-filter"), Some("Дате размещения"));
        assert_eq!(get(&q, "okpd2Ids"), None, "codes alone are not sent");
    }

    #[test]
    fn browser_url_and_portal_ids() {
        let spec = SavedSearchSpec {
            okpd2_prefixes: vec!["62".into(), "26.2".into()],
            okpd2_portal_ids: vec!["8873938".into(), "8873861".into()],
            regions: vec!["77".into()],
            region_portal_ids: vec!["5277335".into()],
            ..Default::default()
        };
        let url = spec.browser_url();
        assert!(url.starts_with(RESULTS_URL));
        let q = query(&url);
        assert_eq!(get(&q, "searchString"), None);
        assert_eq!(get(&q, "fz44"), Some("on"));
        assert_eq!(get(&q, "fz223"), Some("on"));
        assert_eq!(get(&q, "okpd2Ids"), Some("8873938,8873861"));
        assert_eq!(get(&q, "okpd2IdsCodes"), Some("62,26.2"));
        assert_eq!(get(&q, "customerPlaceCodes"), Some("77000000000"));
        assert_eq!(get(&q, "recordsPerPage"), Some("_50"));
    }

    #[test]
    fn one_feed_per_keyword() {
        let spec = SavedSearchSpec {
            keywords: vec!["охрана".into(), "видеонаблюдение".into()],
            ..Default::default()
        };
        assert_eq!(spec.rss_urls().len(), 2);
        assert_eq!(SavedSearchSpec::default().rss_urls().len(), 1);
    }
}
