//! One page of a list read with offset paging.

/// The rows of one page, how many match in all, and the window asked for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

impl<T> ListPage<T> {
    /// Nothing found, without asking the database (a search that cannot match,
    /// [`super::can_match`]).
    pub fn empty(offset: i64, limit: i64) -> Self {
        ListPage {
            items: Vec::new(),
            total: 0,
            offset,
            limit,
        }
    }
}
