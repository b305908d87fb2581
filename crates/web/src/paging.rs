//! The "1–50 of 1 234" line and the previous/next links under every paged list, and the
//! API's page-size parameter.

use crate::error::ApiError;

/// An API list's `limit` parameter: `default` when absent, refused (not clamped) outside
/// 1..=`max`, since the document promises that range — declare it on the parameter with
/// `#[param(minimum = 1, maximum = max)]`.
pub fn limit(name: &str, given: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match given {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "{name} must be from 1 to {max}, not {n}"
        ))),
    }
}

/// An API list's `offset` parameter: 0 when absent, refused when negative — declare it
/// with `#[param(minimum = 0)]`.
pub fn offset(name: &str, given: Option<i64>) -> Result<i64, ApiError> {
    match given {
        None => Ok(0),
        Some(n) if n >= 0 => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "{name} must not be negative, not {n}"
        ))),
    }
}

pub struct Paging {
    pub range: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Paging {
    /// `shown` rows from `offset` out of `total`; `of` and `number` are the page's language
    /// ("из", grouped thousands); `href` makes the link to another offset.
    pub fn new(
        offset: i64,
        limit: i64,
        shown: i64,
        total: i64,
        of: &str,
        number: impl Fn(i64) -> String,
        href: impl Fn(i64) -> String,
    ) -> Paging {
        let range = if shown == 0 {
            format!("0 {of} {}", number(total))
        } else {
            format!(
                "{}–{} {of} {}",
                number(offset + 1),
                number(offset + shown),
                number(total)
            )
        };
        Paging {
            range,
            prev: (offset > 0).then(|| href((offset - limit).max(0))),
            next: (offset + shown < total).then(|| href(offset + limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_page_links_both_ways_and_the_last_only_back() {
        let href = |o: i64| format!("?offset={o}");
        let p = Paging::new(50, 50, 50, 120, "of", |n| n.to_string(), href);
        assert_eq!(p.range, "51–100 of 120");
        assert_eq!(p.prev.as_deref(), Some("?offset=0"));
        assert_eq!(p.next.as_deref(), Some("?offset=100"));
        let last = Paging::new(100, 50, 20, 120, "of", |n| n.to_string(), href);
        assert_eq!(last.next, None);
        let empty = Paging::new(0, 50, 0, 0, "из", |n| n.to_string(), href);
        assert_eq!(
            (empty.range.as_str(), empty.prev, empty.next),
            ("0 из 0", None, None)
        );
    }
}
