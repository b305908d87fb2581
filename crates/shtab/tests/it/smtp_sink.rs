//! An SMTP sink for the e-mail tests: Debian's aiosmtpd storing every message in a Maildir,
//! and a reader of the stored messages as a mail client would show them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd writing every message into a Maildir; the process is killed when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        // Debian's aiosmtpd is importable by Debian's python only.
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/python3 -m aiosmtpd (Debian's python3-aiosmtpd)");
        let sink = SmtpSink { child, port, dir };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "aiosmtpd did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sink
    }

    pub fn messages(&self) -> Vec<PathBuf> {
        let new = self.dir.path().join("maildir/new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(new)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes a stored message with Python's own e-mail parser (RFC 2047 subjects, base64 or
/// quoted-printable bodies), so the test checks what any mail client would show.
pub fn parse_mail(path: &Path) -> Value {
    let script = "import email, json, sys\nfrom email import policy\n\
        m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)\n\
        print(json.dumps({'subject': str(m['subject']), 'to': str(m['to']), 'from': str(m['from']), \
        'content_type': m.get_content_type(), 'charset': m.get_content_charset(), 'body': m.get_content(), \
        'message_id': m['message-id'] and str(m['message-id']), 'date': m['date'] and str(m['date']), \
        'mime_version': m['mime-version'] and str(m['mime-version'])}))";
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Asserts what every message must carry to look like mail to servers and clients: a
/// `Message-ID` in the sender's domain, a `Date` and `MIME-Version: 1.0`.
pub fn assert_headers_of_real_mail(mail: &Value, domain: &str) {
    let id = mail["message_id"].as_str().unwrap_or_default();
    assert!(
        id.starts_with('<') && id.ends_with(&format!("@{domain}>")),
        "Message-ID: {mail}"
    );
    assert!(
        mail["date"].as_str().is_some_and(|d| !d.is_empty()),
        "Date: {mail}"
    );
    assert_eq!(mail["mime_version"], "1.0", "MIME-Version: {mail}");
}
