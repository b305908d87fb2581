//! `shtab demo --remove`: deletes what the ledger says the demo created, with the rows that
//! hang off it (payments of its account, commits of its repository, history of its deals …),
//! children before parents so every foreign key holds on both backends, in one transaction;
//! then the demo's audit entries and its files. Nothing the ledger does not name is touched:
//! a person's own task, payment or deal stays, whatever it is called.

use anyhow::Context;
use shtab_core::config::Config;
use shtab_core::db::{Db, Tx};

use super::ledger::{self, kind};

/// How many of each kind were removed.
#[derive(Debug, Default)]
pub struct Removed {
    pub counts: Vec<(&'static str, usize)>,
}

impl Removed {
    pub fn lines(&self) -> Vec<String> {
        self.counts
            .iter()
            .map(|(what, n)| format!("{what:<22} {n}"))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|(_, n)| *n == 0)
    }
}

/// What goes for each object of a kind, in order; `$1` is the object's id (as text where the
/// statement starts with `TEXT `: the column keeps ids of several systems). The kinds are
/// taken in the order given: what refers to others first.
const PLAN: &[(&str, &str, &[&str])] = &[
    (
        kind::DELIVERY,
        "notification deliveries",
        &["DELETE FROM notify_deliveries WHERE id = $1"],
    ),
    (
        kind::GRANT,
        "access grants",
        &[
            "DELETE FROM access_devices WHERE grant_id = $1",
            // What the connector's robot logged about the demo's grants.
            "TEXT DELETE FROM audit_log WHERE object_kind = 'access_grant' AND object_id = $1",
            "DELETE FROM access_grants WHERE id = $1",
        ],
    ),
    (
        kind::RESOURCE,
        "access resources",
        &["DELETE FROM access_resources WHERE id = $1"],
    ),
    (
        kind::SERVER,
        "servers",
        &["DELETE FROM access_servers WHERE id = $1"],
    ),
    (
        kind::DEAL,
        "deals",
        &[
            "DELETE FROM crm_emails WHERE deal_id = $1",
            "DELETE FROM crm_deal_history WHERE deal_id = $1",
            "DELETE FROM crm_deals WHERE id = $1",
        ],
    ),
    (
        kind::TENDER,
        "tenders",
        &[
            "DELETE FROM tender_versions WHERE tender_id = $1",
            "DELETE FROM tender_search_hits WHERE tender_id = $1",
            "DELETE FROM tenders WHERE id = $1",
        ],
    ),
    (
        kind::TENDER_SEARCH,
        "tender searches",
        &[
            "DELETE FROM tender_search_runs WHERE search_id = $1",
            "DELETE FROM tender_search_hits WHERE search_id = $1",
            "DELETE FROM tender_searches WHERE id = $1",
        ],
    ),
    (
        kind::BANK_ACCOUNT,
        "bank accounts",
        &[
            "DELETE FROM bank_allocations WHERE payment_id IN \
             (SELECT id FROM bank_payments WHERE account_id = $1)",
            // What the matcher logged about the demo's payments goes with them.
            "DELETE FROM audit_log WHERE object_kind = 'bank_payment' AND object_id IN \
             (SELECT CAST(id AS TEXT) FROM bank_payments WHERE account_id = $1)",
            "DELETE FROM bank_payments WHERE account_id = $1",
            "DELETE FROM bank_imports WHERE account_id = $1",
            "DELETE FROM bank_accounts WHERE id = $1",
        ],
    ),
    (
        kind::INVOICE,
        "invoices",
        &[
            "TEXT DELETE FROM bank_allocations WHERE invoice_id = $1",
            "TEXT DELETE FROM audit_log WHERE object_kind = 'invoice' AND object_id = $1",
            "DELETE FROM invoices WHERE id = $1",
        ],
    ),
    (
        kind::REPOSITORY,
        "repositories",
        &[
            "DELETE FROM vcs_refs WHERE repository_id = $1",
            "DELETE FROM vcs_commits WHERE repository_id = $1",
            "DELETE FROM vcs_deliveries WHERE repository_id = $1",
            "DELETE FROM vcs_heads WHERE repository_id = $1",
            "DELETE FROM vcs_repositories WHERE id = $1",
        ],
    ),
    (
        kind::TASK,
        "tasks",
        &[
            "TEXT DELETE FROM vcs_change_actions WHERE task_id = $1",
            // What the tracker logged about the demo's tasks (links, time, closing).
            "TEXT DELETE FROM audit_log WHERE object_kind = 'task' AND object_id = $1",
            "DELETE FROM task_commits WHERE task_id = $1",
            "DELETE FROM task_time_entries WHERE task_id = $1",
            "DELETE FROM task_comments WHERE task_id = $1",
            "DELETE FROM tasks WHERE id = $1",
        ],
    ),
    (
        kind::PERSON,
        "people",
        &[
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE person_id = $1)",
            "DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE person_id = $1)",
            "DELETE FROM user_roles WHERE user_id IN (SELECT id FROM users WHERE person_id = $1)",
            "DELETE FROM users WHERE person_id = $1",
            "DELETE FROM access_uids WHERE person_id = $1",
            "DELETE FROM vcs_author_aliases WHERE person_id = $1",
            "DELETE FROM notify_deliveries WHERE person_id = $1",
            "DELETE FROM person_channels WHERE person_id = $1",
            "DELETE FROM person_ssh_keys WHERE person_id = $1",
            "DELETE FROM person_forge_logins WHERE person_id = $1",
            "DELETE FROM person_emails WHERE person_id = $1",
            // A demo person may be another demo person's manager: unlinked before either goes.
            "UPDATE people SET manager_id = NULL WHERE manager_id = $1",
        ],
    ),
];

pub async fn remove(db: &Db, config: &Config) -> anyhow::Result<Removed> {
    let mut removed = Removed::default();
    // Read before the transaction: SQLite's pool may have one connection for it.
    let mut planned = Vec::new();
    for (kind, label, statements) in PLAN {
        planned.push((*label, *statements, ledger::ids(db, kind).await?));
    }
    let people = ledger::ids(db, kind::PERSON).await?;
    let repositories = ledger::ids(db, kind::REPOSITORY).await?;
    let mut tx = db.begin().await?;
    for (label, statements, ids) in planned {
        for id in &ids {
            for sql in statements {
                run(&mut tx, sql, *id)
                    .await
                    .with_context(|| format!("removing the demo's {label} (id {id})"))?;
            }
        }
        removed.counts.push((label, ids.len()));
    }
    // People last: everything above may refer to them.
    for id in people {
        run(&mut tx, "DELETE FROM people WHERE id = $1", id)
            .await
            .with_context(|| format!("removing the demo person {id}"))?;
    }
    let audit =
        sqlx::query("DELETE FROM audit_log WHERE actor_kind = 'system' AND actor_label = $1")
            .bind(super::ACTOR)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    removed.counts.push(("audit entries", audit as usize));
    sqlx::query("DELETE FROM demo_objects")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    remove_files(config, &repositories)?;
    Ok(removed)
}

async fn run(tx: &mut Tx, sql: &'static str, id: i64) -> Result<(), sqlx::Error> {
    match sql.strip_prefix("TEXT ") {
        Some(sql) => {
            sqlx::query(sql)
                .bind(id.to_string())
                .execute(&mut **tx)
                .await?
        }
        None => sqlx::query(sql).bind(id).execute(&mut **tx).await?,
    };
    Ok(())
}

/// The demo's repository and the sweep's mirrors of it.
fn remove_files(config: &Config, repositories: &[i64]) -> anyhow::Result<()> {
    let mirrors = config.data_dir.join("vcs").join("mirrors");
    let dirs = repositories
        .iter()
        .map(|id| mirrors.join(format!("{id}.git")))
        .chain([super::files_dir(config)]);
    for dir in dirs {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
        }
    }
    Ok(())
}
