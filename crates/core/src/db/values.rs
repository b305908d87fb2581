//! Multi-row statements: one `INSERT … VALUES (…), (…)` or `UPDATE … FROM (VALUES …)` in
//! place of a statement per row. Each statement is a round trip (on SQLite a hand-off to
//! sqlx's worker thread and back), which costs more than the row itself.

/// Values bound to one statement. Far below either engine's limit (SQLite 32 766,
/// PostgreSQL 65 535), because binding costs more per value the more there are: sqlx asks
/// SQLite each parameter's name, which SQLite finds by walking the statement's list of
/// names, so a statement of n values costs n²/2 steps before it runs. At 5 500 values that
/// was 15 ms a statement and made the sweep's back-fill twice as slow; at 400 it is a
/// fraction of the statement's own cost.
pub const VALUES_PER_STATEMENT: usize = 400;

/// How many rows of `columns` values each go in one statement.
pub const fn rows_per_statement(columns: usize) -> usize {
    let rows = VALUES_PER_STATEMENT / columns;
    if rows == 0 { 1 } else { rows }
}

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
    fn a_statement_holds_as_many_whole_rows_as_fit() {
        assert_eq!(rows_per_statement(1), VALUES_PER_STATEMENT);
        assert_eq!(rows_per_statement(11), 36);
        assert_eq!(rows_per_statement(VALUES_PER_STATEMENT + 1), 1);
    }

    #[test]
    fn placeholders_number_row_by_row_from_the_first() {
        assert_eq!(placeholders(2, 2, 1), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3, 2), "($2, $3, $4)");
        assert_eq!(placeholders(0, 3, 1), "");
    }
}
