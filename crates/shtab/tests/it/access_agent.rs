//! End to end: this hub, the real `shtab-agent` binary and a real OpenSSH `sshd` on a
//! loopback port. A grant and an agent run let the person in with their key; a revocation
//! and the next run take them out; in `AuthorizedKeysCommand` mode logins go on with the hub
//! stopped, and the revoked key stays refused. The grants' states follow the agent's reports.
//!
//! Needs root (the agent creates real unix accounts, removed again at the end), OpenSSH, and
//! the agent built next to this test binary (`cargo test --workspace` builds it); without
//! them the test says why and returns.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::access::{admin_api, person, resource};
use crate::testkit::{TestApp, json};

/// `target/<profile>/shtab-agent`, beside the `deps/` directory this test binary is in.
fn agent_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("shtab-agent");
    bin.exists().then_some(bin)
}

/// The agent binary, once root, OpenSSH and the binary are known to be there.
fn ready() -> PathBuf {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let tools = [
        "/usr/sbin/sshd",
        "/usr/bin/ssh",
        "/usr/bin/ssh-keygen",
        "/usr/sbin/useradd",
    ]
    .iter()
    .all(|t| Path::new(t).exists());
    match (root, tools, agent_binary()) {
        (true, true, Some(bin)) => bin,
        // Not a skip: a test that quietly passes without running would hide a broken agent.
        (root, tools, bin) => panic!(
            "this test needs root (it creates unix accounts), OpenSSH (apt-get install -y \
             openssh-server openssh-client) and the shtab-agent binary (`cargo test --workspace` \
             or `cargo build -p shtab-agent` builds it): root {root}, OpenSSH {tools}, \
             shtab-agent built {}",
            bin.is_some()
        ),
    }
}

/// A login nobody on this machine has.
fn fresh_login(tag: &str) -> String {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ (std::process::id() << 8);
    loop {
        let mut login = format!("sh{tag}");
        for _ in 0..5 {
            login.push(char::from(b"abcdefghijklmnopqrstuvwxyz"[(n % 26) as usize]));
            n /= 26;
        }
        if !passwd.lines().any(|l| l.starts_with(&format!("{login}:"))) {
            return login;
        }
        n = n.wrapping_mul(2_654_435_761).wrapping_add(1);
    }
}

/// Removes the accounts the test created, passed or not.
struct Accounts(Vec<String>);

impl Drop for Accounts {
    fn drop(&mut self) {
        for login in &self.0 {
            let _ = Command::new("userdel")
                .args(["--remove", "--force", "--", login])
                .stderr(Stdio::null())
                .status();
        }
    }
}

struct KeyPair {
    private: PathBuf,
    public_line: String,
}

fn keygen(dir: &Path, name: &str) -> KeyPair {
    let private = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C"])
        .arg(format!("{name}@test"))
        .arg("-f")
        .arg(&private)
        .status()
        .unwrap();
    assert!(status.success());
    let public_line = fs::read_to_string(private.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string();
    KeyPair {
        private,
        public_line,
    }
}

/// The agent installed as on a server: in a root-owned 0755 directory (sshd refuses a keys
/// command or file under a world-writable one such as /tmp).
struct Agent {
    root: tempfile::TempDir,
    bin: PathBuf,
}

impl Agent {
    fn install(built: &Path) -> Agent {
        let root = tempfile::Builder::new()
            .prefix("shtab-hub-it-")
            .tempdir_in("/run")
            .unwrap();
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let bin = root.path().join("shtab-agent");
        fs::copy(built, &bin).unwrap();
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(root.path().join("sudoers.d")).unwrap();
        Agent { root, bin }
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("agent.toml")
    }

    fn keys_dir(&self) -> PathBuf {
        self.root.path().join("authorized_keys")
    }

    fn register(&self, hub: &str, token: &str) -> Output {
        let token_file = self.root.path().join("token");
        fs::write(&token_file, format!("{token}\n")).unwrap();
        Command::new(&self.bin)
            .arg("--config")
            .arg(self.config())
            .arg("--state-dir")
            .arg(self.root.path().join("state"))
            .arg("--keys-dir")
            .arg(self.keys_dir())
            .arg("--sudoers-dir")
            .arg(self.root.path().join("sudoers.d"))
            .args(["register", "--hub", hub, "--token-file"])
            .arg(&token_file)
            .output()
            .unwrap()
    }

    fn run(&self) -> Output {
        Command::new(&self.bin)
            .arg("--config")
            .arg(self.config())
            .arg("run")
            .env_remove("SHTAB_AGENT_TOKEN")
            .output()
            .unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A real sshd on 127.0.0.1 reading the agent's managed key files, or asking the agent.
struct Sshd {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sshd {
    fn start(agent: &Agent, keys_command: bool) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_ed25519");
        assert!(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&host_key)
                .status()
                .unwrap()
                .success()
        );
        fs::create_dir_all("/run/sshd").unwrap();
        let keys = if keys_command {
            format!(
                "AuthorizedKeysFile none\nAuthorizedKeysCommand {} --config {} keys %u\nAuthorizedKeysCommandUser root\n",
                agent.bin.display(),
                agent.config().display()
            )
        } else {
            format!("AuthorizedKeysFile {}/%u\n", agent.keys_dir().display())
        };
        let config = dir.path().join("sshd_config");
        fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nLogLevel VERBOSE\n{keys}"
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("sshd.log");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .arg("-h")
            .arg(&host_key)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut sshd = Sshd {
            child,
            port,
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sshd.child.try_wait() {
                panic!("sshd exited ({status}):\n{}", sshd.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sshd did not start:\n{}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sshd
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn login(&self, login: &str, key: &KeyPair) -> bool {
        Command::new("ssh")
            .args(["-F", "/dev/null", "-i"])
            .arg(&key.private)
            .args(["-p", &self.port.to_string()])
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
            ])
            .args([
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "ConnectTimeout=20",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg(format!("{login}@127.0.0.1"))
            .arg("true")
            .stdin(Stdio::null())
            .output()
            .unwrap()
            .status
            .success()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs blocking work (the agent, ssh) off the runtime that serves the hub.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_lets_the_key_in_through_the_real_agent_and_a_revocation_takes_it_out() {
    let built = ready();
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let agent = std::sync::Arc::new(Agent::install(&built));
    let keys_dir = tempfile::tempdir().unwrap();
    let anna_key = keygen(keys_dir.path(), "anna");
    let boris_key = keygen(keys_dir.path(), "boris");
    let accounts = Accounts(vec![fresh_login("a"), fresh_login("b")]);
    let (anna_login, boris_login) = (accounts.0[0].clone(), accounts.0[1].clone());

    let anna = person(
        &api,
        "Анна Смирнова",
        "anna@agency.test",
        &[&anna_key.public_line],
    )
    .await;
    let boris = person(
        &api,
        "Борис Козлов",
        "boris@agency.test",
        &[&boris_key.public_line],
    )
    .await;
    // Uids far from any this machine or a parallel test may use.
    let base = 40_000 + i64::from(std::process::id() % 20_000);
    sqlx::query(
        "INSERT INTO access_uids (login, uid, person_id) VALUES ('reserved-for-test', $1, $2)",
    )
    .bind(base)
    .bind(anna)
    .execute(app.db.pool())
    .await
    .unwrap();
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let created = json(
        api.post("/api/v1/access/servers")
            .json(&json!({"name": "web1", "address": "127.0.0.1", "groups": ["web"]})),
        201,
    )
    .await;
    let server_id = created["server"]["id"].as_i64().unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let anna_grant = json(
        api.post("/api/v1/access/grants").json(&json!({"person_id": anna, "resource_id": web, "login": anna_login, "shell": "/bin/sh"})),
        201,
    )
    .await;
    let boris_grant = json(
        api.post("/api/v1/access/grants").json(&json!({"person_id": boris, "resource_id": web, "login": boris_login, "shell": "/bin/sh"})),
        201,
    )
    .await;

    let (a, hub) = (agent.clone(), app.base.clone());
    let registered = blocking(move || a.register(&hub, &token)).await;
    assert!(registered.status.success(), "{}", text(&registered));
    let a = agent.clone();
    let run = blocking(move || a.run()).await;
    assert!(run.status.success(), "{}", text(&run));

    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    assert!(
        passwd.contains(&format!("{anna_login}:x:{}:", base + 1)),
        "anna's account with the hub's uid"
    );
    let server = json(api.get(&format!("/api/v1/access/servers/{server_id}")), 200).await;
    assert_eq!(server["in_sync"], true, "{server}");
    let grants = json(api.get("/api/v1/access/grants"), 200).await;
    assert!(
        grants["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["state"] == "applied"),
        "{grants}"
    );

    let sshd = {
        let a = agent.clone();
        blocking(move || Sshd::start(&a, false)).await
    };
    let sshd = std::sync::Arc::new(sshd);
    let (s, l) = (sshd.clone(), anna_login.clone());
    let anna_key = std::sync::Arc::new(anna_key);
    let boris_key = std::sync::Arc::new(boris_key);
    let k = anna_key.clone();
    assert!(
        blocking(move || s.login(&l, &k)).await,
        "anna logs in:\n{}",
        sshd.log()
    );
    let (s, l, k) = (sshd.clone(), boris_login.clone(), boris_key.clone());
    assert!(
        blocking(move || s.login(&l, &k)).await,
        "boris logs in:\n{}",
        sshd.log()
    );

    json(
        api.post(&format!(
            "/api/v1/access/grants/{}/revoke",
            boris_grant["id"]
        )),
        200,
    )
    .await;
    let a = agent.clone();
    let run = blocking(move || a.run()).await;
    assert!(run.status.success(), "{}", text(&run));
    let (s, l, k) = (sshd.clone(), boris_login.clone(), boris_key.clone());
    assert!(
        !blocking(move || s.login(&l, &k)).await,
        "boris's revoked key was refused"
    );
    let (s, l, k) = (sshd.clone(), anna_login.clone(), anna_key.clone());
    assert!(
        blocking(move || s.login(&l, &k)).await,
        "anna still logs in"
    );
    let grants = json(
        api.get(&format!("/api/v1/access/grants?person_id={boris}")),
        200,
    )
    .await;
    assert_eq!(grants["items"][0]["state"], "revoked");
    let grants = json(
        api.get(&format!("/api/v1/access/grants?person_id={anna}")),
        200,
    )
    .await;
    assert_eq!(grants["items"][0]["id"], anna_grant["id"]);
    assert_eq!(grants["items"][0]["state"], "applied");
    drop(sshd);

    // AuthorizedKeysCommand mode: asked live, then from the agent's cache once the hub is gone.
    let sshd = {
        let a = agent.clone();
        std::sync::Arc::new(blocking(move || Sshd::start(&a, true)).await)
    };
    let (s, l, k) = (sshd.clone(), anna_login.clone(), anna_key.clone());
    assert!(
        blocking(move || s.login(&l, &k)).await,
        "anna through the keys command:\n{}",
        sshd.log()
    );
    let hub_addr = app.addr;
    drop(api);
    drop(app);
    // Really gone: nothing answers on the hub's port any more.
    let started = Instant::now();
    while std::net::TcpStream::connect(hub_addr).is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the hub did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, l, k) = (sshd.clone(), anna_login.clone(), anna_key.clone());
    assert!(
        blocking(move || s.login(&l, &k)).await,
        "anna logs in with the hub stopped:\n{}",
        sshd.log()
    );
    let (s, l, k) = (sshd.clone(), boris_login.clone(), boris_key.clone());
    assert!(
        !blocking(move || s.login(&l, &k)).await,
        "the revoked key stays refused with the hub stopped"
    );
}
