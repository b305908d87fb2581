//! The managed host for the tests: this machine (as root), a copy of the agent in a
//! root-owned directory (sshd refuses an `AuthorizedKeysCommand` anywhere else), a real
//! OpenSSH `sshd` on a loopback port, client keys from `ssh-keygen`, and unique logins
//! removed again when the test ends.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shtab_access_protocol::{Account, AccountState, DesiredState};
use tempfile::TempDir;

/// Tests change the real account files and run `useradd`: one at a time.
static HOST: Mutex<()> = Mutex::new(());

pub fn exclusive() -> MutexGuard<'static, ()> {
    HOST.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// These tests create real accounts and start a real sshd: they need root and OpenSSH,
/// and say so instead of passing without testing anything.
pub fn require_root_and_openssh() {
    let uid = Command::new("id").arg("-u").output().expect("run id -u");
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "the shtab-agent tests create unix accounts and must run as root"
    );
    for tool in [
        "/usr/sbin/sshd",
        "/usr/bin/ssh",
        "/usr/bin/ssh-keygen",
        "/usr/sbin/useradd",
    ] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: apt-get install openssh-server openssh-client passwd"
        );
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_number() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos ^ (std::process::id() << 12) ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(7919)
}

/// A fresh login (`st` + 6 letters/digits) and a uid nobody on this machine has.
pub fn fresh_login() -> (String, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    loop {
        let mut n = unique_number();
        let mut login = String::from("st");
        for _ in 0..6 {
            login.push(char::from(
                b"abcdefghijklmnopqrstuvwxyz0123456789"[(n % 36) as usize],
            ));
            n /= 36;
        }
        let uid = 30_000 + unique_number() % 20_000;
        let taken = passwd.lines().any(|l| {
            l.starts_with(&format!("{login}:")) || l.split(':').nth(2) == Some(&uid.to_string())
        });
        if !taken {
            return (login, uid);
        }
    }
}

/// Removes the accounts a test created (home included) when it ends, passed or not.
#[derive(Default)]
pub struct Logins(pub Vec<String>);

impl Logins {
    pub fn fresh(&mut self) -> (String, u32) {
        let (login, uid) = fresh_login();
        self.0.push(login.clone());
        (login, uid)
    }
}

impl Drop for Logins {
    fn drop(&mut self) {
        for login in &self.0 {
            let _ = Command::new("userdel")
                .args(["--remove", "--force", "--", login])
                .stderr(Stdio::null())
                .status();
        }
    }
}

pub fn passwd_line(login: &str) -> Option<String> {
    fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{login}:")))
        .map(str::to_owned)
}

pub fn shadow_line(login: &str) -> Option<String> {
    fs::read_to_string("/etc/shadow")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{login}:")))
        .map(str::to_owned)
}

/// An ed25519 key pair made by `ssh-keygen`.
pub struct KeyPair {
    pub private: PathBuf,
    pub public_line: String,
}

pub fn keygen(dir: &Path, name: &str) -> KeyPair {
    let private = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C"])
        .arg(format!("{name}@test"))
        .arg("-f")
        .arg(&private)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success());
    let public_line = fs::read_to_string(private.with_extension("pub"))
        .unwrap()
        .trim()
        .to_owned();
    KeyPair {
        private,
        public_line,
    }
}

pub fn account(login: &str, uid: u32, keys: &[&KeyPair], state: AccountState) -> Account {
    Account {
        login: login.to_owned(),
        uid,
        full_name: "Тест Агентов".to_owned(),
        shell: "/bin/sh".to_owned(),
        groups: Vec::new(),
        sudo: false,
        keys: keys.iter().map(|k| k.public_line.clone()).collect(),
        state,
    }
}

pub fn desired(revision: u32, accounts: Vec<Account>) -> DesiredState {
    DesiredState {
        server: "web-1".into(),
        revision: revision.to_string(),
        accounts,
        wireguard: None,
    }
}

/// The agent installed as it would be on a server, in a root-owned 0755 directory under
/// /run (/tmp is world-writable, which sshd refuses on the way to a keys command or file).
pub struct Agent {
    _root: TempDir,
    pub bin: PathBuf,
    pub config: PathBuf,
    pub keys_dir: PathBuf,
    pub sudoers_dir: PathBuf,
    pub state_dir: PathBuf,
    /// Client keys and other files sshd never looks at.
    pub scratch: TempDir,
}

/// Runs a command of a binary a test has just copied. Another test thread forking at the
/// moment of the copy hands its child the copy's write descriptor until that child execs,
/// and the kernel refuses to execute a file open for writing (ETXTBSY): a short wait and
/// another try, as Go's and Cargo's own test suites do.
fn output_of(command: &mut Command) -> std::io::Result<Output> {
    let mut tries = 0;
    loop {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

impl Agent {
    pub fn install() -> Agent {
        let root = tempfile::Builder::new()
            .prefix("shtab-agent-it-")
            .tempdir_in("/run")
            .expect("a directory under /run");
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let bin_dir = root.path().join("bin");
        fs::create_dir(&bin_dir).unwrap();
        let bin = bin_dir.join("shtab-agent");
        fs::copy(env!("CARGO_BIN_EXE_shtab-agent"), &bin).unwrap();
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        let sudoers_dir = root.path().join("sudoers.d");
        fs::create_dir(&sudoers_dir).unwrap();
        Agent {
            bin,
            config: root.path().join("agent.toml"),
            keys_dir: root.path().join("authorized_keys"),
            sudoers_dir,
            state_dir: root.path().join("state"),
            _root: root,
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    /// `shtab-agent register` with the token in a file, as an operator would.
    pub fn register(&self, hub: &str, token: &str) -> Output {
        let token_file = self.scratch.path().join("token");
        fs::write(&token_file, format!("{token}\n")).unwrap();
        let mut command = Command::new(&self.bin);
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .arg("--keys-dir")
            .arg(&self.keys_dir)
            .arg("--sudoers-dir")
            .arg(&self.sudoers_dir)
            .args(["register", "--hub", hub, "--token-file"])
            .arg(&token_file);
        output_of(&mut command).expect("run shtab-agent register")
    }

    /// Runs `shtab-agent --config <ours> ARGS…`.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.cmd_with_env(args, &[])
    }

    pub fn cmd_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(&self.bin);
        command
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env_remove("SHTAB_AGENT_TOKEN")
            .envs(env.iter().copied());
        output_of(&mut command).expect("run shtab-agent")
    }

    pub fn keys_file(&self, login: &str) -> PathBuf {
        self.keys_dir.join(login)
    }

    pub fn sudoers_file(&self, login: &str) -> PathBuf {
        self.sudoers_dir.join(format!("shtab-{login}"))
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// How sshd finds keys.
pub enum KeySource<'a> {
    /// `AuthorizedKeysFile <agent's keys dir>/%u`.
    ManagedFiles(&'a Agent),
    /// `AuthorizedKeysFile none` and `AuthorizedKeysCommand <agent> keys %u`.
    Command(&'a Agent),
}

/// A real sshd on 127.0.0.1, killed when dropped.
pub struct Sshd {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Sshd {
    pub fn start(source: KeySource) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_ed25519");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .unwrap();
        assert!(status.success());
        // Privilege separation needs this directory; a package install creates it at boot.
        fs::create_dir_all("/run/sshd").unwrap();
        let keys = match source {
            KeySource::ManagedFiles(agent) => {
                format!("AuthorizedKeysFile {}/%u\n", agent.keys_dir.display())
            }
            KeySource::Command(agent) => format!(
                "AuthorizedKeysFile none\nAuthorizedKeysCommand {} --config {} keys %u\nAuthorizedKeysCommandUser root\n",
                agent.bin.display(),
                agent.config.display()
            ),
        };
        let config = dir.path().join("sshd_config");
        fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nLogLevel VERBOSE\n{keys}"
            ),
        )
        .unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
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
            .expect("start /usr/sbin/sshd");
        let mut sshd = Sshd {
            child,
            port,
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sshd.child.try_wait() {
                panic!("sshd exited ({status}):\n{}", sshd.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sshd did not listen on {port}:\n{}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sshd
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `ssh -i KEY -p PORT LOGIN@127.0.0.1 true`: whether the login succeeded.
    pub fn login(&self, login: &str, key: &KeyPair) -> bool {
        let output = Command::new("ssh")
            .args(["-F", "/dev/null", "-i"])
            .arg(&key.private)
            .args([
                "-p",
                &self.port.to_string(),
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "PasswordAuthentication=no",
                "-o",
                "ConnectTimeout=20",
                "-o",
                "LogLevel=ERROR",
                &format!("{login}@127.0.0.1"),
                "true",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run ssh");
        output.status.success()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
