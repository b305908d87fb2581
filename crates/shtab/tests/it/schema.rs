//! The schema is written twice, once per backend (`crates/core/migrations/{sqlite,postgres}`).
//! These tests keep the two in lockstep: the same steps exist in both folders, and, with
//! PostgreSQL at hand, migrating each backend afresh gives the same tables, columns, types,
//! nullability, defaults, keys and indexes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use shtab_core::config::{Config, Secret};
use shtab_core::db::{self, Db, Row};

use crate::testkit::{PgDatabase, postgres_url};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// `integer`, `text` or `blob`; anything else is kept as the backend names it, so it
    /// differs between them and shows up.
    ty: String,
    not_null: bool,
    /// Without casts: `'active'`, `0`.
    default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    unique: bool,
    partial: bool,
    columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    references: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Not named: SQLite names the indexes behind `UNIQUE` itself.
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

/// Tables by name. sqlx's own bookkeeping table is not ours and is left out.
type Schema = BTreeMap<String, Table>;

/// The people search's trigram index is each backend's own and is compared by name only:
/// on SQLite an FTS5 virtual table (with the tables FTS5 keeps behind it), on PostgreSQL a
/// `pg_trgm` GIN index on `people.search_text`.
const SEARCH_INDEX: (&str, &str) = ("people_search", "people_search_text");

fn normalise_type(ty: &str) -> String {
    match ty.trim().to_lowercase().as_str() {
        "integer" | "bigint" | "int" | "smallint" => "integer".into(),
        "text" => "text".into(),
        "blob" | "bytea" => "blob".into(),
        other => other.into(),
    }
}

/// PostgreSQL writes `'active'::text` where SQLite keeps `'active'`.
fn normalise_default(default: Option<String>) -> Option<String> {
    default.map(|mut d| {
        while let Some(at) = d.rfind("::") {
            if d[at + 2..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == ' ')
            {
                d.truncate(at);
            } else {
                break;
            }
        }
        d
    })
}

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/migrations")
        .join(backend)
}

fn sql_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_steps_and_all_are_applied() {
    let sqlite = sql_files(&migrations_dir("sqlite"));
    let postgres = sql_files(&migrations_dir("postgres"));
    assert!(!sqlite.is_empty(), "no migrations found");
    assert_eq!(
        sqlite, postgres,
        "every step is written for both backends, under the same name"
    );
    // A file the list of steps does not name would never run.
    let listed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src/db/migrations.rs"),
    )
    .unwrap();
    for file in &sqlite {
        let step = file.trim_end_matches(".sql");
        assert!(
            listed.contains(&format!("\"{step}\")")),
            "{file} is not among the steps in crates/core/src/db/migrations.rs"
        );
    }
}

#[tokio::test]
async fn sqlite_and_postgresql_migrate_to_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let sqlite = migrated(&config).await;
    let sqlite_schema = sqlite_schema(&sqlite).await;
    assert!(
        sqlite_schema.contains_key("audit_log") && sqlite_schema.contains_key("people"),
        "the reader sees the tables: {:?}",
        sqlite_schema.keys()
    );

    // The comparison would notice a difference: a column of another type, an index less.
    let mut altered = sqlite_schema.clone();
    let audit = altered.get_mut("audit_log").unwrap();
    audit.columns[1].ty = "text".into();
    audit.indexes.pop_first();
    assert_eq!(differences(&sqlite_schema, &altered).len(), 2);

    let Some(server) = postgres_url() else {
        println!("skipped: needs PostgreSQL (set SHTAB_TEST_DATABASE_URL)");
        return;
    };
    let database = PgDatabase::create(&server).await;
    config.database.url = Secret::new(database.url.clone());
    let postgres = migrated(&config).await;
    let postgres_schema = postgres_schema(&postgres).await;

    let fts: Option<String> =
        sqlx::query_scalar("SELECT type FROM pragma_table_list WHERE name = $1")
            .bind(SEARCH_INDEX.0)
            .fetch_optional(sqlite.pool())
            .await
            .unwrap();
    assert_eq!(fts.as_deref(), Some("virtual"), "SQLite's search index");
    let gin: Option<String> = sqlx::query_scalar("SELECT CAST(to_regclass($1) AS TEXT)")
        .bind(SEARCH_INDEX.1)
        .fetch_one(postgres.pool())
        .await
        .unwrap();
    assert_eq!(
        gin.as_deref(),
        Some(SEARCH_INDEX.1),
        "PostgreSQL's search index"
    );
    postgres.close().await;

    let differences = differences(&sqlite_schema, &postgres_schema);
    assert!(
        differences.is_empty(),
        "the backends' schemas differ:\n{}",
        differences.join("\n")
    );
}

async fn migrated(config: &Config) -> Db {
    let db = db::connect(config).await.expect("connect");
    db.migrate(shtab::server::CAPABILITY_MIGRATIONS)
        .await
        .expect("migrate");
    db
}

/// Each difference as one line, so a failure says what to fix.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.get(name), postgres.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (s, _) => {
                let only = if s.is_some() { "SQLite" } else { "PostgreSQL" };
                out.push(format!("table {name}: only on {only}"));
                continue;
            }
        };
        if s.columns != p.columns {
            out.push(format!(
                "table {name}: columns\n  SQLite:     {:?}\n  PostgreSQL: {:?}",
                s.columns, p.columns
            ));
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "table {name}: primary key {:?} on SQLite, {:?} on PostgreSQL",
                s.primary_key, p.primary_key
            ));
        }
        for index in s.indexes.symmetric_difference(&p.indexes) {
            let only = if s.indexes.contains(index) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: index {index:?} only on {only}"));
        }
        for key in s.foreign_keys.symmetric_difference(&p.foreign_keys) {
            let only = if s.foreign_keys.contains(key) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: foreign key {key:?} only on {only}"));
        }
    }
    out
}

async fn sqlite_schema(db: &Db) -> Schema {
    let pool = db.pool();
    // Ordinary tables only: a virtual table and the tables behind it are SQLite's own way
    // of indexing (see SEARCH_INDEX).
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let mut t = Table::default();
        let columns = sqlx::query(
            "SELECT name, type, \"notnull\" AS not_null, dflt_value, pk \
             FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        for c in &columns {
            let name: String = c.get("name");
            let ty = normalise_type(&c.get::<String, _>("type"));
            let pk: i64 = c.get("pk");
            if pk > 0 {
                primary_key.push((pk, name.clone()));
            }
            // An INTEGER PRIMARY KEY is the rowid, which is never NULL though not declared so.
            let rowid = pk > 0
                && ty == "integer"
                && columns.iter().filter(|c| c.get::<i64, _>("pk") > 0).count() == 1;
            t.columns.push(Column {
                name,
                ty,
                not_null: c.get::<i64, _>("not_null") != 0 || rowid,
                default: normalise_default(c.get("dflt_value")),
            });
        }
        primary_key.sort();
        t.primary_key = primary_key.into_iter().map(|(_, name)| name).collect();

        let indexes = sqlx::query(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list($1)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for index in indexes {
            if index.get::<String, _>("origin") == "pk" {
                continue;
            }
            let name: String = index.get("name");
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            t.indexes.insert(Index {
                unique: index.get::<i64, _>("is_unique") != 0,
                partial: index.get::<i64, _>("partial") != 0,
                columns: columns
                    .into_iter()
                    .map(|c| c.unwrap_or_else(|| "<expression>".into()))
                    .collect(),
            });
        }

        let keys = sqlx::query(
            "SELECT id, \"table\" AS target, \"from\" AS source, \"to\" AS target_column, on_delete \
             FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for k in keys {
            let key = by_id.entry(k.get("id")).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                table: k.get("target"),
                references: Vec::new(),
                on_delete: k.get::<String, _>("on_delete").to_lowercase(),
            });
            key.columns.push(k.get("source"));
            // `REFERENCES people` without a column means the referenced primary key.
            key.references.push(
                k.get::<Option<String>, _>("target_column")
                    .unwrap_or_default(),
            );
        }
        t.foreign_keys = by_id.into_values().collect();
        schema.insert(table, t);
    }
    resolve_implicit_references(&mut schema);
    schema
}

/// Fills in the referenced columns SQLite leaves empty (a reference to the primary key).
fn resolve_implicit_references(schema: &mut Schema) {
    let primary_keys: BTreeMap<String, Vec<String>> = schema
        .iter()
        .map(|(name, t)| (name.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut key| {
                if key.references.iter().all(String::is_empty) {
                    key.references = primary_keys.get(&key.table).cloned().unwrap_or_default();
                }
                key
            })
            .collect();
    }
}

async fn postgres_schema(db: &Db) -> Schema {
    let pool = db.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let mut t = Table::default();
        let columns = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS type, is_nullable::text AS nullable, \
             column_default::text AS dflt \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for c in columns {
            t.columns.push(Column {
                name: c.get("name"),
                ty: normalise_type(&c.get::<String, _>("type")),
                not_null: c.get::<String, _>("nullable") == "NO",
                default: normalise_default(c.get("dflt")),
            });
        }

        // Column lists in key order, one string each ("a,b"), `<expression>` for an
        // indexed expression.
        let indexes = sqlx::query(
            "SELECT ic.relname::text AS name, i.indisprimary AS is_primary, i.indisunique AS is_unique, \
                    (i.indpred IS NOT NULL) AS partial, \
                    (SELECT string_agg(COALESCE(a.attname::text, '<expression>'), ',' ORDER BY k.ord) \
                     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns \
             FROM pg_index i \
             JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relname = $1",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for index in indexes {
            if index.get::<String, _>("name") == SEARCH_INDEX.1 {
                continue;
            }
            let columns: Vec<String> = index
                .get::<String, _>("columns")
                .split(',')
                .map(String::from)
                .collect();
            if index.get::<bool, _>("is_primary") {
                t.primary_key = columns;
            } else {
                t.indexes.insert(Index {
                    unique: index.get("is_unique"),
                    partial: index.get("partial"),
                    columns,
                });
            }
        }

        let keys = sqlx::query(
            "SELECT r.relname::text AS target, k.confdeltype::text AS on_delete, \
                    (SELECT string_agg(a.attname::text, ',' ORDER BY x.ord) \
                     FROM unnest(k.conkey) WITH ORDINALITY AS x(attnum, ord) \
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum) AS source, \
                    (SELECT string_agg(a.attname::text, ',' ORDER BY x.ord) \
                     FROM unnest(k.confkey) WITH ORDINALITY AS x(attnum, ord) \
                     JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.attnum) AS target_columns \
             FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid \
             JOIN pg_class r ON r.oid = k.confrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = $1",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for k in keys {
            let list = |column: &str| -> Vec<String> {
                k.get::<String, _>(column)
                    .split(',')
                    .map(String::from)
                    .collect()
            };
            t.foreign_keys.insert(ForeignKey {
                columns: list("source"),
                table: k.get("target"),
                references: list("target_columns"),
                on_delete: match k.get::<String, _>("on_delete").as_str() {
                    "a" => "no action",
                    "r" => "restrict",
                    "c" => "cascade",
                    "n" => "set null",
                    "d" => "set default",
                    other => panic!("unknown ON DELETE action {other}"),
                }
                .into(),
            });
        }
        schema.insert(table, t);
    }
    schema
}
