//! The VPN gateway's peer list: exactly the hub's peers on the interface, applied with
//! `wg set` (live tunnels of unchanged peers are kept). Runs only when the state has a
//! `wireguard` part; a server without `wg` reports that and goes on with the accounts.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use shtab_access_protocol::{Change, WireguardGateway};

use crate::system;

#[derive(Debug, Default)]
pub struct Outcome {
    /// What was (or, in a dry run, would be) changed.
    pub changes: Vec<Change>,
    pub errors: Vec<String>,
}

/// `wg`, or the program named by `SHTAB_AGENT_WG` (tests use a recorder).
fn wg() -> String {
    std::env::var("SHTAB_AGENT_WG").unwrap_or_else(|_| "wg".to_owned())
}

pub fn converge(gateway: &WireguardGateway, dry_run: bool) -> Outcome {
    let mut outcome = Outcome::default();
    let iface = &gateway.interface;
    if !valid_interface(iface) {
        outcome.errors.push(format!(
            "wireguard: «{}» is not an interface name; peers not applied",
            iface.escape_debug()
        ));
        return outcome;
    }
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for peer in &gateway.peers {
        match check_peer(&peer.public_key, &peer.allowed_ips) {
            Ok(ips) => {
                wanted.insert(peer.public_key.clone(), ips);
            }
            Err(reason) => outcome.errors.push(format!(
                "wireguard {iface}: peer «{}» skipped: {reason}",
                peer.comment.escape_debug()
            )),
        }
    }
    let program = wg();
    let found = if program.contains('/') {
        std::path::Path::new(&program).is_file()
    } else {
        system::installed(&program)
    };
    if !found {
        outcome.errors.push(format!(
            "wireguard {iface}: `wg` is not installed (apt install wireguard-tools); peers not applied"
        ));
        return outcome;
    }
    let current = match system::output(&program, &["show", iface, "allowed-ips"]) {
        Ok(text) => parse_allowed_ips(&text),
        Err(e) => {
            outcome
                .errors
                .push(format!("wireguard {iface}: cannot read the peers: {e:#}"));
            return outcome;
        }
    };
    let mut commands: Vec<(Change, Vec<String>)> = Vec::new();
    for (key, ips) in &wanted {
        if current.get(key) != Some(ips) {
            commands.push((
                change(iface, "peer", format!("{key} {ips}")),
                ["set", iface, "peer", key, "allowed-ips", ips]
                    .map(str::to_owned)
                    .to_vec(),
            ));
        }
    }
    for key in current.keys().filter(|k| !wanted.contains_key(*k)) {
        commands.push((
            change(iface, "peer-removed", key.clone()),
            ["set", iface, "peer", key, "remove"]
                .map(str::to_owned)
                .to_vec(),
        ));
    }
    for (change, args) in commands {
        if dry_run {
            outcome.changes.push(change);
            continue;
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match system::run(&program, &args) {
            Ok(()) => outcome.changes.push(change),
            Err(e) => outcome.errors.push(format!("wireguard {iface}: {e:#}")),
        }
    }
    outcome
}

fn change(iface: &str, action: &str, detail: String) -> Change {
    Change {
        target: iface.to_owned(),
        action: action.to_owned(),
        detail,
    }
}

/// Linux interface names: up to 15 characters, no `/` or spaces; kept to a safe subset.
fn valid_interface(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !name.starts_with(['-', '.'])
}

/// The peer's key must be 32 bytes of base64 and each address a CIDR; the answer is the
/// addresses in `wg`'s own form (sorted, comma-separated) for comparing and setting.
fn check_peer(public_key: &str, allowed_ips: &[String]) -> Result<String, String> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(public_key)
        .map_err(|_| "the public key is not base64".to_owned())?;
    if decoded.len() != 32 {
        return Err("the public key is not 32 bytes".into());
    }
    if allowed_ips.is_empty() {
        return Err("no allowed address".into());
    }
    let mut ips = Vec::new();
    for cidr in allowed_ips {
        let (addr, prefix) = cidr
            .split_once('/')
            .ok_or_else(|| format!("«{}» is not in CIDR form", cidr.escape_debug()))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("«{}» is not an address", cidr.escape_debug()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        match prefix.parse::<u8>() {
            Ok(p) if p <= max => ips.push(format!("{addr}/{p}")),
            _ => return Err(format!("«{}» has a bad prefix", cidr.escape_debug())),
        }
    }
    ips.sort();
    Ok(ips.join(","))
}

/// `wg show IFACE allowed-ips`: `<key>\t<cidr> <cidr>` or `<key>\t(none)` per line.
fn parse_allowed_ips(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (key, ips) = line.split_once('\t')?;
            let mut ips: Vec<&str> = ips.split_whitespace().filter(|i| *i != "(none)").collect();
            ips.sort();
            Some((key.to_owned(), ips.join(",")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    #[test]
    fn peers_are_checked() {
        assert_eq!(
            check_peer(KEY, &["10.8.0.5/32".into(), "fd00::5/128".into()]).unwrap(),
            "10.8.0.5/32,fd00::5/128"
        );
        assert!(check_peer("short", &["10.8.0.5/32".into()]).is_err());
        assert!(check_peer(KEY, &["10.8.0.5".into()]).is_err());
        assert!(check_peer(KEY, &["10.8.0.5/33".into()]).is_err());
        assert!(check_peer(KEY, &["10.8.0.5/32 --x".into()]).is_err());
        assert!(check_peer(KEY, &[]).is_err());
        assert!(valid_interface("wg0"));
        assert!(!valid_interface("-wg0"));
        assert!(!valid_interface("wg0; reboot"));
    }

    #[test]
    fn reads_wg_show() {
        let map = parse_allowed_ips(&format!("{KEY}\t10.8.0.5/32 10.8.0.4/32\nother=\t(none)\n"));
        assert_eq!(map[KEY], "10.8.0.4/32,10.8.0.5/32");
        assert_eq!(map["other="], "");
    }
}
