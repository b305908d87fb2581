//! Multi-row statements: one `INSERT … VALUES (…), (…)` or `UPDATE … FROM (VALUES …)` in
//! place of a statement per row. Each statement is a round trip (on SQLite a hand-off to
//! sqlx's worker thread and back), which costs more than the row itself.

/// Rows per statement: far below either engine's parameter limit (SQLite 32 766,
/// PostgreSQL 65 535) with a dozen columns.
pub const ROWS_PER_STATEMENT: usize = 500;

/// The placeholders of `rows` rows of `columns` values each, numbered from `$first`:
/// `($1, $2), ($3, $4)` for `(2, 2, 1)`. A `VALUES` list names its columns `column1`,
/// `column2`, … on both engines.
pub fn placeholders(rows: usize, columns: usize, first: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (0..columns)
                .map(|c| format!("${}", first + r * columns + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_row_by_row_from_the_first() {
        assert_eq!(placeholders(2, 2, 1), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3, 2), "($2, $3, $4)");
        assert_eq!(placeholders(0, 3, 1), "");
    }
}
