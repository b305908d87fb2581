//! The Ansible way in: the hub's inventory and the shipped playbook, run by the real
//! `ansible-playbook` (ansible-core from PyPI) against this machine with `-c local`. Accounts
//! are real local accounts with fresh `st…` names (removed at the end); the keys directory
//! and the sudoers directory are scratch directories given as extra variables.
//!
//! Needs root, sudo (the playbook becomes root with it and checks drop-ins with `visudo`)
//! and ansible-core: `.ci/ansible-venv` installs both and prints the `ansible-playbook` path,
//! which the test takes from `SHTAB_TEST_ANSIBLE_PLAYBOOK` or finds in
//! `$CARGO_TARGET_DIR/ansible-venv`. Without them the test fails and says so.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;

use crate::access::{IVAN_KEY, admin_api, person, resource, server};
use crate::testkit::{TestApp, json};

const OLGA_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB8Z36L88Q5RTSMbvbA2jQl/iT3crzyOnyF7BudduD7U olga@laptop";

#[tokio::test]
async fn the_inventory_shows_the_revision_agents_are_served_and_group_names_ansible_accepts() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let front = resource(
        &api,
        json!({"name": "Front", "kind": "ssh", "settings": {"target": "front-end"}}),
    )
    .await;
    let (id, token) = server(&api, "web1", &["front-end"]).await;
    let g = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": front, "login": "ivan"})),
        201,
    )
    .await;

    let served = agent_revision(&app, &token).await;
    let inventory = json(api.get("/api/v1/access/ansible/inventory"), 200).await;
    assert_eq!(
        inventory["_meta"]["hostvars"]["web1"]["shtab_revision"], served,
        "the inventory and the agent name one revision"
    );
    assert!(served.as_str().unwrap().parse::<u64>().is_ok(), "{served}");
    assert_eq!(inventory["front_end"]["hosts"], json!(["web1"]));
    assert!(inventory.get("front-end").is_none(), "{inventory}");
    assert!(
        inventory["all"]["children"]
            .as_array()
            .unwrap()
            .contains(&json!("front_end"))
    );
    let shown = json(api.get(&format!("/api/v1/access/servers/{id}")), 200).await;
    assert_eq!(shown["desired_revision"], served);
    assert_eq!(shown["applied_revision"], "");

    // The agent reports that revision: the server's page says it applied that number.
    let reported = reqwest::Client::new()
        .post(app.url("/agent/v1/report"))
        .bearer_auth(&token)
        .json(&json!({"revision": served, "applied": [], "drift": [], "errors": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 204);
    let shown = json(api.get(&format!("/api/v1/access/servers/{id}")), 200).await;
    assert_eq!(shown["applied_revision"], served);
    assert_eq!(shown["in_sync"], true);
    let page = app
        .admin()
        .await
        .get_text(&format!("/access/servers/{id}"))
        .await;
    let n = served.as_str().unwrap();
    assert!(
        page.contains(&format!(r#"id="applied-revision">{n}<"#))
            && page.contains(&format!(r#"id="desired-revision">{n}"#)),
        "the server's page shows the numbers: {page}"
    );

    // A revocation is the next number, in the inventory as for the agent.
    json(
        api.post(&format!("/api/v1/access/grants/{}/revoke", g["id"])),
        200,
    )
    .await;
    let inventory = json(api.get("/api/v1/access/ansible/inventory"), 200).await;
    let next = inventory["_meta"]["hostvars"]["web1"]["shtab_revision"].clone();
    assert_eq!(next, agent_revision(&app, &token).await);
    assert_eq!(
        next.as_str().unwrap().parse::<u64>().unwrap(),
        served.as_str().unwrap().parse::<u64>().unwrap() + 1
    );
    let shown = json(api.get(&format!("/api/v1/access/servers/{id}")), 200).await;
    assert_eq!(
        (&shown["desired_revision"], &shown["in_sync"]),
        (&next, &json!(false))
    );
}

async fn agent_revision(app: &TestApp, token: &str) -> Value {
    let state: Value = reqwest::Client::new()
        .get(app.url("/agent/v1/state"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["revision"].clone()
}

/// `ansible-playbook`, sudo and root, or a failure that says how to get them.
fn ansible_playbook() -> PathBuf {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    assert!(
        root,
        "the Ansible test creates unix accounts and must run as root"
    );
    let playbook = std::env::var_os("SHTAB_TEST_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/<profile>/deps/it-… → target/ansible-venv, where .ci/ansible-venv puts it;
            // else Debian's ansible-core, which the README's package list names.
            let exe = std::env::current_exe().unwrap();
            let target = exe.ancestors().nth(3).unwrap().to_path_buf();
            let venv = target.join("ansible-venv/bin/ansible-playbook");
            if venv.exists() {
                venv
            } else {
                PathBuf::from("/usr/bin/ansible-playbook")
            }
        });
    assert!(
        playbook.exists(),
        "{} is missing: `apt-get install ansible-core sudo`, or run .ci/ansible-venv (it \
         installs ansible-core into $CARGO_TARGET_DIR/ansible-venv and sudo), or set \
         SHTAB_TEST_ANSIBLE_PLAYBOOK",
        playbook.display()
    );
    let visudo = ["/usr/sbin/visudo", "/usr/bin/sudo"]
        .iter()
        .all(|t| Path::new(t).exists());
    assert!(
        visudo,
        "sudo is not installed: the playbook becomes root with it and checks drop-ins with \
         visudo (apt-get install sudo, or run .ci/ansible-venv)"
    );
    playbook
}

/// Fresh `st…` logins and uids nobody on this machine has; the accounts are removed (home
/// included) when the test ends, passed or not.
struct Accounts(Vec<(String, i64)>);

impl Accounts {
    fn fresh(count: usize) -> Accounts {
        let passwd = fs::read_to_string("/etc/passwd").unwrap();
        let taken = |login: &str, uid: i64| {
            passwd.lines().any(|l| {
                l.starts_with(&format!("{login}:"))
                    || l.split(':').nth(2) == Some(uid.to_string().as_str())
            })
        };
        let mut n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
            ^ (std::process::id() << 7);
        let mut accounts = Vec::new();
        while accounts.len() < count {
            let mut login = String::from("st");
            let mut m = n;
            for _ in 0..6 {
                login.push(char::from(b"abcdefghijklmnopqrstuvwxyz"[(m % 26) as usize]));
                m /= 26;
            }
            let uid = 50_000 + i64::from(n % 10_000);
            if !taken(&login, uid) && !accounts.iter().any(|(_, u)| *u == uid) {
                accounts.push((login, uid));
            }
            n = n.wrapping_mul(2_654_435_761).wrapping_add(12_345);
        }
        Accounts(accounts)
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for (login, _) in &self.0 {
            let _ = Command::new("userdel")
                .args(["--remove", "--force", "--", login])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn field(line: &str, n: usize) -> String {
    line.split(':').nth(n).unwrap_or_default().to_string()
}

fn entry(file: &str, login: &str) -> Option<String> {
    fs::read_to_string(file)
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{login}:")))
        .map(str::to_string)
}

/// The playbook and the inventory as the README says to run them, from the repository.
struct Play {
    playbook: PathBuf,
    scratch: tempfile::TempDir,
    keys_dir: PathBuf,
    sudoers_dir: PathBuf,
    inventory_url: String,
}

impl Play {
    fn run(&self) -> Output {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        // The Python beside ansible-playbook (a venv's), else the system's.
        let venv_python = ["python", "python3"]
            .map(|name| self.playbook.with_file_name(name))
            .into_iter()
            .find(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from("/usr/bin/python3"));
        let home = self.scratch.path().join("home");
        fs::create_dir_all(&home).unwrap();
        let config = self.scratch.path().join("ansible.cfg");
        fs::write(&config, "").unwrap();
        Command::new(&self.playbook)
            .current_dir(&repo)
            .args([
                "-i",
                "deploy/ansible/shtab_inventory.py",
                "deploy/ansible/shtab-access.yml",
            ])
            .args(["-c", "local"])
            .arg("-e")
            .arg(format!("shtab_keys_dir={}", self.keys_dir.display()))
            .arg("-e")
            .arg(format!("shtab_sudoers_dir={}", self.sudoers_dir.display()))
            .arg("-e")
            .arg(format!(
                "ansible_python_interpreter={}",
                venv_python.display()
            ))
            .env("SHTAB_INVENTORY_URL", &self.inventory_url)
            .env(
                "SHTAB_INVENTORY_TOKEN_FILE",
                self.scratch.path().join("token"),
            )
            .env("LC_ALL", "C.UTF-8")
            .env("HOME", &home)
            .env("ANSIBLE_CONFIG", &config)
            .env("ANSIBLE_LOCAL_TEMP", self.scratch.path().join("tmp-local"))
            .env(
                "ANSIBLE_REMOTE_TEMP",
                self.scratch.path().join("tmp-remote"),
            )
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("ANSIBLE_FORCE_COLOR")
            .stdin(Stdio::null())
            .output()
            .expect("run ansible-playbook")
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playbook_applies_the_inventorys_accounts_keys_sudo_and_a_revocation() {
    let playbook = ansible_playbook();
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let accounts = Accounts::fresh(2);
    let (ivan_login, ivan_uid) = accounts.0[0].clone();
    let (olga_login, olga_uid) = accounts.0[1].clone();
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    let olga = person(&api, "Ольга Смирнова", "olga@agency.test", &[OLGA_KEY]).await;
    // The hub allocates uids upwards from the highest it knows: start from ours.
    sqlx::query(
        "INSERT INTO access_uids (login, uid, person_id) VALUES ('reserved-for-test', $1, $2)",
    )
    .bind(ivan_uid - 1)
    .bind(ivan)
    .execute(app.db.pool())
    .await
    .unwrap();
    let front = resource(
        &api,
        json!({"name": "Front", "kind": "ssh", "settings": {"target": "front-end"}}),
    )
    .await;
    server(&api, "web1", &["front-end"]).await;
    json(
        api.post("/api/v1/access/grants").json(&json!({
            "person_id": ivan, "resource_id": front, "login": ivan_login, "sudo": true, "shell": "/bin/sh"})),
        201,
    )
    .await;
    let olga_grant = json(
        api.post("/api/v1/access/grants").json(&json!({
            "person_id": olga, "resource_id": front, "login": olga_login, "shell": "/bin/sh"})),
        201,
    )
    .await;
    // The second uid the hub gave is not necessarily the one picked free here.
    sqlx::query("UPDATE access_uids SET uid = $1 WHERE login = $2")
        .bind(olga_uid)
        .bind(&olga_login)
        .execute(app.db.pool())
        .await
        .unwrap();

    // The inventory script reads an API token from a file, as the README says.
    let reader = app
        .create_user("ops@agency.test", "ops", &[Role::Admin])
        .await;
    let (_, secret) =
        shtab_core::auth::tokens::create(&app.db, &Actor::system("test"), reader.id, "ansible")
            .await
            .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    fs::write(scratch.path().join("token"), format!("{secret}\n")).unwrap();
    let sudoers_dir = scratch.path().join("sudoers.d");
    fs::create_dir(&sudoers_dir).unwrap();
    let play = std::sync::Arc::new(Play {
        playbook,
        keys_dir: scratch.path().join("authorized_keys"),
        sudoers_dir: sudoers_dir.clone(),
        inventory_url: app.url("/api/v1/access/ansible/inventory"),
        scratch,
    });

    let p = play.clone();
    let run = tokio::task::spawn_blocking(move || p.run()).await.unwrap();
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    assert!(
        !out.contains("Invalid characters were found in group names"),
        "{out}"
    );
    let ivan_passwd = entry("/etc/passwd", &ivan_login).expect("ivan's account was created");
    assert_eq!(
        field(&ivan_passwd, 2),
        ivan_uid.to_string(),
        "{ivan_passwd}"
    );
    assert_eq!(field(&ivan_passwd, 4), "Иван Петров");
    assert_eq!(field(&ivan_passwd, 6), "/bin/sh");
    let olga_passwd = entry("/etc/passwd", &olga_login).expect("olga's account was created");
    assert_eq!(
        field(&olga_passwd, 2),
        olga_uid.to_string(),
        "{olga_passwd}"
    );
    // Keys are the only way in: no password, not locked, not expired.
    for login in [&ivan_login, &olga_login] {
        let shadow = entry("/etc/shadow", login).unwrap();
        assert_eq!(
            (field(&shadow, 1), field(&shadow, 7)),
            ("*".into(), String::new()),
            "{shadow}"
        );
    }
    let ivan_keys = play.keys_dir.join(&ivan_login);
    assert_eq!(
        fs::read_to_string(&ivan_keys).unwrap(),
        format!("{IVAN_KEY}\n")
    );
    let meta = fs::metadata(&ivan_keys).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o644));
    let olga_keys = play.keys_dir.join(&olga_login);
    assert_eq!(
        fs::read_to_string(&olga_keys).unwrap(),
        format!("{OLGA_KEY}\n")
    );
    let ivan_sudo = sudoers_dir.join(format!("shtab-{ivan_login}"));
    assert_eq!(
        fs::read_to_string(&ivan_sudo).unwrap(),
        format!("{ivan_login} ALL=(ALL:ALL) NOPASSWD: ALL\n")
    );
    assert_eq!(fs::metadata(&ivan_sudo).unwrap().mode() & 0o777, 0o440);
    assert!(!sudoers_dir.join(format!("shtab-{olga_login}")).exists());

    // Olga's access is revoked: the next run takes her key away and locks her account.
    json(
        api.post(&format!(
            "/api/v1/access/grants/{}/revoke",
            olga_grant["id"]
        )),
        200,
    )
    .await;
    let p = play.clone();
    let run = tokio::task::spawn_blocking(move || p.run()).await.unwrap();
    assert!(run.status.success(), "{}", text(&run));
    assert!(!olga_keys.exists(), "the revoked key file is still there");
    let shadow = entry("/etc/shadow", &olga_login).unwrap();
    assert!(field(&shadow, 1).starts_with('!'), "not locked: {shadow}");
    assert_eq!(
        field(&shadow, 7),
        "1",
        "the account expires as the agent's do: {shadow}"
    );
    assert!(
        Path::new(&format!("/home/{olga_login}")).exists(),
        "the home stays"
    );
    // Ivan keeps everything.
    assert_eq!(
        fs::read_to_string(&ivan_keys).unwrap(),
        format!("{IVAN_KEY}\n")
    );
    assert!(ivan_sudo.exists());
    let shadow = entry("/etc/shadow", &ivan_login).unwrap();
    assert_eq!(field(&shadow, 1), "*", "{shadow}");
    drop(accounts);
}
