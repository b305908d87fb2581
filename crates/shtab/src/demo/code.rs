//! Code ↔ tasks for the demo company: tasks in the built-in tracker, a real git repository
//! in the data directory with a few hundred commits by the demo people (made with
//! `git fast-import`, dated over the last months), registered as a repository and swept by
//! the sweep's own code, so the tasks show their commits, time and "fixes".

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use shtab_core::audit::Actor;
use shtab_core::config::{Config, SystemOfRecord};
use shtab_core::db::Db;
use shtab_core::ids::TaskId;
use shtab_core::tasks::{self, RawTaskChange, RawTaskInput};
use shtab_vcs::domain::repository::RawRepositoryInput;
use shtab_vcs::linker::Linker;
use shtab_vcs::robots::Sweep;
use shtab_vcs::store::repositories;

use super::ledger::{self, kind};
use super::rng::Rng;

/// The repository's name in Shtab and its directory under `<data_dir>/demo`.
pub const REPOSITORY_NAME: &str = "demo-agency/site";
const REPOSITORY_DIR: &str = "agency-site.git";
/// History older than the repository in Shtab: linked, but commands in it are not run
/// (importing old history must not reopen the past).
const HISTORY: usize = 280;
/// Pushed after the repository was added: their `fixes` close tasks and `@1h` logs time.
const RECENT: usize = 20;
const DAYS: i64 = 120;

/// (title, assignee's e-mail local part, in progress)
const TASKS: &[(&str, &str, bool)] = &[
    (
        "Личный кабинет клиента: вход по e-mail",
        "alexey.mikhailov",
        false,
    ),
    ("Страница тарифов: новый дизайн", "maria.novikova", false),
    ("Выгрузка счетов в 1С", "ivan.fedorov", true),
    ("Форма заявки: проверка ИНН", "maria.novikova", false),
    ("Импорт каталога из XLSX", "ivan.fedorov", false),
    ("Кэширование каталога", "alexey.mikhailov", true),
    ("Мобильное меню не закрывается", "maria.novikova", false),
    ("Рассылка напоминаний об оплате", "ivan.fedorov", false),
    ("Поиск по заказам", "alexey.mikhailov", false),
    ("Резервное копирование базы", "pavel.volkov", false),
    ("Мониторинг места на дисках", "pavel.volkov", true),
    ("Обновить TLS-сертификаты", "pavel.volkov", false),
    ("Отчёт по продажам за квартал", "ivan.fedorov", false),
    ("Ошибка 500 при пустой корзине", "alexey.mikhailov", false),
    ("Главная страница: блок новостей", "maria.novikova", true),
    ("Интеграция с СДЭК", "ivan.fedorov", false),
    ("Права менеджеров в админке", "alexey.mikhailov", false),
    ("Логи запросов к API", "maxim.egorov", false),
    ("Тесты для корзины", "maxim.egorov", true),
    ("Оптимизация изображений", "maria.novikova", false),
    ("Миграция на PostgreSQL 16", "pavel.volkov", false),
    ("Экспорт заказов в CSV", "maxim.egorov", false),
    ("Восстановление пароля", "alexey.mikhailov", false),
    ("Версия для слабовидящих", "maria.novikova", false),
    ("Оплата по QR-коду СБП", "ivan.fedorov", true),
    ("Лимиты запросов к API", "alexey.mikhailov", false),
    ("CI: сборка в контейнере", "pavel.volkov", false),
    ("Карточка товара: отзывы", "maria.novikova", false),
    ("Уведомления в Telegram", "ivan.fedorov", false),
    ("Документация API", "dmitry.kuznetsov", false),
    ("Аудит зависимостей", "dmitry.kuznetsov", true),
    ("Страница 404", "maxim.egorov", false),
    ("Скидки по промокодам", "ivan.fedorov", false),
    ("Фильтры каталога", "alexey.mikhailov", false),
    ("Согласие на обработку ПДн", "maria.novikova", false),
    ("Нагрузочное тестирование", "tatiana.morozova", false),
];

/// Who commits, by e-mail local part at the demo domain.
const COMMITTERS: &[&str] = &[
    "alexey.mikhailov",
    "maria.novikova",
    "ivan.fedorov",
    "pavel.volkov",
    "maxim.egorov",
    "dmitry.kuznetsov",
    "tatiana.morozova",
];

/// An author the directory does not know: the commit-authors page lists them to map.
const STRANGER: (&str, &str) = ("Подрядчик Петров", "petrov@contractor.example");

const WORDS: &[&str] = &[
    "Поправить вёрстку",
    "Добавить проверку",
    "Вынести в отдельный модуль",
    "Обновить зависимости",
    "Ускорить запрос",
    "Убрать лишний лог",
    "Покрыть тестами",
    "Переименовать поля",
    "Исправить опечатку",
    "Починить сборку",
];

#[derive(Debug, Default)]
pub struct Added {
    /// Why nothing was made: the tasks live in another system.
    pub skipped: Option<&'static str>,
    pub tasks: usize,
    pub commits: usize,
    pub linked: u64,
}

pub async fn load(db: &Db, config: &Config, actor: &Actor) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if config.systems.tasks != SystemOfRecord::Shtab {
        // The demo's tasks would not show, and the robot's sweep would post the demo's
        // commits to the other system.
        added.skipped = Some("tasks live in another system (systems.tasks)");
        return Ok(added);
    }
    let task_ids = if ledger::has(db, kind::TASK).await? {
        ledger::ids(db, kind::TASK).await?
    } else {
        let ids = create_tasks(db, actor).await?;
        added.tasks = ids.len();
        ids
    };
    if ledger::has(db, kind::REPOSITORY).await? || task_ids.is_empty() {
        return Ok(added);
    }
    let dir = repository_dir(config);
    let authors = authors(db).await?;
    let now = shtab_core::time::now_ms() / 1000;
    let history = history_stream(&authors, &task_ids, now);
    write_repository(&dir, history, true).await?;
    let path =
        std::fs::canonicalize(&dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let input = RawRepositoryInput {
        name: REPOSITORY_NAME.into(),
        forge: "git".into(),
        clone_url: path.to_string_lossy().into_owned(),
        enabled: Some(true),
        ..Default::default()
    }
    .parse()?;
    let repository = repositories::create(db, actor, &input).await?;
    ledger::record(db, kind::REPOSITORY, repository.id.0).await?;
    let sweep = sweep(db, config);
    let first = sweep
        .sweep_repository(&repository)
        .await
        .map_err(|e| anyhow::anyhow!("sweeping the demo repository: {e}"))?;
    // The last commits come after the repository was added, a second apart, as a push
    // would bring them; the sweep that follows runs their commands.
    let after = repository.created_at / 1000 + 1;
    write_repository(&dir, recent_stream(&authors, &task_ids, after), false).await?;
    let second = sweep
        .sweep_repository(&repository)
        .await
        .map_err(|e| anyhow::anyhow!("sweeping the demo repository: {e}"))?;
    added.commits = (first.scanned + second.scanned) as usize;
    added.linked = first.linked + second.linked;
    Ok(added)
}

/// `<data_dir>/demo/agency-site.git`: the demo's own, removed with it.
pub fn repository_dir(config: &Config) -> PathBuf {
    super::files_dir(config).join(REPOSITORY_DIR)
}

/// The sweep over the built-in tracker and directory, whatever the configured systems: the
/// demo's tasks are Shtab's own, and the demo reaches nothing outside the machine.
fn sweep(db: &Db, config: &Config) -> Sweep {
    let linker = Linker::new(
        db.clone(),
        Arc::new(tasks::BuiltinTracker::new(db.clone())),
        Arc::new(shtab_core::ports::builtin_directory(db)),
        config.vcs.gitea_noreply_domains(),
    );
    Sweep::new(
        linker,
        config.data_dir.join("vcs").join("mirrors"),
        Duration::from_secs(config.vcs.fetch_timeout_secs),
    )
}

async fn create_tasks(db: &Db, actor: &Actor) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for (title, assignee, in_progress) in TASKS {
        let assignee = shtab_core::demo::person(db, assignee).await?;
        let input = RawTaskInput {
            title: (*title).into(),
            assignee_id: assignee.map(|p| p.0),
            ..Default::default()
        }
        .parse()?;
        let task = tasks::create(db, actor, &input).await?;
        ledger::record(db, kind::TASK, task.id.0).await?;
        if *in_progress {
            let change = RawTaskChange {
                status: Some("in_progress".into()),
                ..Default::default()
            }
            .parse()?;
            tasks::update(db, actor, TaskId(task.id.0), &change).await?;
        }
        ids.push(task.id.0);
    }
    Ok(ids)
}

/// The committers' names and e-mails, as the directory has them.
async fn authors(db: &Db) -> anyhow::Result<Vec<(String, String)>> {
    let mut authors = Vec::new();
    for local in COMMITTERS {
        let name = match shtab_core::demo::person(db, local).await? {
            Some(id) => shtab_core::people::get(db, id).await?.full_name,
            None => (*local).to_string(),
        };
        authors.push((name, format!("{local}@{}", shtab_core::demo::DOMAIN)));
    }
    Ok(authors)
}

/// A feature branch in the history: these commits are made on it, and the next one on main
/// merges it (the branch stays, as unmerged-looking branches do).
const FEATURE: (&str, std::ops::RangeInclusive<usize>) = ("feature/sbp-payments", 201..=215);

/// [`HISTORY`] commits over the last [`DAYS`] days, the newest an hour ago: most name a
/// task (`#12`), some by an author nobody mapped, a few on a feature branch merged back.
fn history_stream(authors: &[(String, String)], task_ids: &[i64], now: i64) -> Vec<u8> {
    let mut rng = Rng::new(17);
    let start = now - DAYS * 86_400;
    let step = (DAYS * 86_400 - 3600) / HISTORY as i64;
    let (feature, on_feature) = FEATURE;
    let fork = on_feature.start() - 1;
    let merged = on_feature.end() + 1;
    let mut out = Vec::new();
    for i in 1..=HISTORY {
        let at = start + i as i64 * step + rng.below(step as u64 / 2) as i64;
        let author = if i % 17 == 0 {
            (STRANGER.0.to_string(), STRANGER.1.to_string())
        } else {
            authors[rng.below(authors.len() as u64) as usize].clone()
        };
        let task = task_ids[rng.below(task_ids.len() as u64) as usize];
        let words = WORDS[rng.below(WORDS.len() as u64) as usize];
        let message = if i == merged {
            format!("Merge branch '{feature}'")
        } else if rng.below(100) < 80 {
            format!("{words} (#{task})")
        } else {
            format!("{words}: мелкие правки")
        };
        let (branch, parent, merge) = if on_feature.contains(&i) {
            (feature, Some(i - 1), None)
        } else if i == merged {
            ("main", Some(fork), Some(merged - 1))
        } else {
            ("main", (i > 1).then(|| i - 1), None)
        };
        let parent = parent.map(|p| format!(":{p}"));
        let merge = merge.map(|m| format!(":{m}"));
        let to = Parents {
            branch,
            parent: parent.as_deref(),
            merge: merge.as_deref(),
        };
        commit(&mut out, i, &to, &author, at, &message);
    }
    out
}

/// [`RECENT`] commits from `after` on, a second apart, by people who are users: the first
/// third of the tasks get `fixes` (they close, as finished work does), others time.
fn recent_stream(authors: &[(String, String)], task_ids: &[i64], after: i64) -> Vec<u8> {
    let mut rng = Rng::new(29);
    let users = &authors[..4];
    let fixed = (task_ids.len() / 3).max(1);
    let mut out = Vec::new();
    for i in 1..=RECENT {
        let author = users[rng.below(users.len() as u64) as usize].clone();
        let words = WORDS[rng.below(WORDS.len() as u64) as usize];
        let message = if i % 2 == 0 {
            let closes = task_ids[(i / 2 - 1) % fixed];
            format!("{words}\n\nfixes #{closes} @1h30m")
        } else {
            let task = task_ids[fixed + rng.below((task_ids.len() - fixed) as u64) as usize];
            format!("{words} #{task} @{}m", 15 * (1 + rng.below(8)))
        };
        let parent = if i == 1 {
            "refs/heads/main^0".to_string()
        } else {
            format!(":{}", i - 1)
        };
        let to = Parents {
            branch: "main",
            parent: Some(&parent),
            merge: None,
        };
        commit(&mut out, i, &to, &author, after + i as i64, &message);
    }
    out
}

/// Where a commit goes: its branch, its parent and the branch tip it merges (fast-import
/// marks or refs).
struct Parents<'a> {
    branch: &'a str,
    parent: Option<&'a str>,
    merge: Option<&'a str>,
}

/// One commit of a fast-import stream, changing one file.
fn commit(
    out: &mut Vec<u8>,
    mark: usize,
    to: &Parents<'_>,
    (name, email): &(String, String),
    at: i64,
    message: &str,
) {
    let content = format!("{mark}: {message}\n");
    let file = format!("src/part{}.txt", mark % 40);
    let _ = write!(
        out,
        "commit refs/heads/{}\nmark :{mark}\nauthor {name} <{email}> {at} +0300\n\
         committer {name} <{email}> {at} +0300\ndata {}\n{message}\n",
        to.branch,
        message.len()
    );
    if let Some(parent) = to.parent {
        let _ = writeln!(out, "from {parent}");
    }
    if let Some(merge) = to.merge {
        let _ = writeln!(out, "merge {merge}");
    }
    let _ = write!(
        out,
        "M 100644 inline {file}\ndata {}\n{content}\n",
        content.len()
    );
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        // Nothing from the user's or the system's git configuration.
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    c
}

/// Feeds `stream` to `git fast-import` in the bare repository at `dir`, made anew first when
/// `fresh`.
async fn write_repository(dir: &Path, stream: Vec<u8>, fresh: bool) -> anyhow::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || fast_import(&dir, &stream, fresh)).await?
}

fn fast_import(dir: &Path, stream: &[u8], fresh: bool) -> anyhow::Result<()> {
    if fresh {
        init(dir)?;
    }
    let mut import = git(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git fast-import")?;
    import
        .stdin
        .take()
        .context("git fast-import has no input")?
        .write_all(stream)?;
    let done = import.wait_with_output()?;
    if !done.status.success() {
        bail!("git fast-import: {}", String::from_utf8_lossy(&done.stderr));
    }
    Ok(())
}

fn init(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        // Left by a demo whose records are gone: it is the demo's own directory.
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let init = git(dir)
        .args(["init", "--bare", "--quiet", "--initial-branch=main"])
        .output()
        .context("cannot run git (is it installed?)")?;
    if !init.status.success() {
        bail!("git init: {}", String::from_utf8_lossy(&init.stderr));
    }
    Ok(())
}
