//! WireGuard: the VPN server's settings, an address for each device from the subnet, key
//! pairs (X25519, as `wg genkey`/`wg pubkey` make them), and the client configuration the
//! person gets once — as a file and as a QR code.

use std::net::Ipv4Addr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use shtab_core::FieldError;
use shtab_core::error::FieldErrors;
use x25519_dalek::{PublicKey, StaticSecret};

/// An IPv4 subnet in CIDR form (`10.8.0.0/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    pub fn parse(field: &str, s: &str) -> Result<Subnet, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "invalid_subnet",
                "an IPv4 subnet such as 10.8.0.0/24",
            )
        };
        let (ip, prefix) = s.trim().split_once('/').ok_or_else(bad)?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if !(8..=30).contains(&prefix) {
            return Err(FieldError::new(
                field,
                "invalid_subnet",
                "the prefix must be between /8 and /30",
            ));
        }
        let mask = u32::MAX << (32 - prefix);
        Ok(Subnet {
            network: Ipv4Addr::from(u32::from(ip) & mask),
            prefix,
        })
    }

    /// The addresses devices may get: every host address but the first, which is the
    /// gateway's own, and the broadcast address.
    fn device_range(self) -> std::ops::Range<u32> {
        let base = u32::from(self.network);
        let size = 1u32 << (32 - self.prefix);
        base + 2..base + size - 1
    }

    /// The first address not in `taken`, or a field error when the subnet is full.
    pub fn allocate(self, field: &str, taken: &[Ipv4Addr]) -> Result<Ipv4Addr, FieldError> {
        self.device_range()
            .map(Ipv4Addr::from)
            .find(|a| !taken.contains(a))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "subnet_full",
                    format!("no free address is left in {self}"),
                )
            })
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The VPN resource's settings: what every client config names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpnSettings {
    /// `vpn.agency.ru:51820`
    pub endpoint: String,
    /// The gateway's public key (base64).
    pub server_public_key: String,
    pub subnet: String,
    #[serde(default)]
    pub dns: String,
    /// The name of the server whose agent applies the peers.
    pub gateway: String,
    #[serde(default = "default_interface")]
    pub interface: String,
    /// What clients route through the tunnel; the subnet when empty.
    #[serde(default)]
    pub allowed_ips: String,
}

fn default_interface() -> String {
    "wg0".into()
}

impl VpnSettings {
    /// Reads and checks the settings, naming each wrong field.
    pub fn parse(json: &serde_json::Value) -> Result<(VpnSettings, Subnet), shtab_core::CoreError> {
        let mut s: VpnSettings = serde_json::from_value(json.clone()).map_err(|e| {
            shtab_core::CoreError::field(
                "settings",
                "invalid_settings",
                format!("VPN settings: {e}"),
            )
        })?;
        let mut errors = FieldErrors::default();
        if s.endpoint.trim().is_empty() || !s.endpoint.contains(':') {
            errors.push(FieldError::new(
                "endpoint",
                "invalid_endpoint",
                "host:port, such as vpn.agency.ru:51820",
            ));
        }
        if decode_key(&s.server_public_key).is_none() {
            errors.push(FieldError::new(
                "server_public_key",
                "invalid_wg_key",
                "a WireGuard public key: 32 bytes in base64",
            ));
        }
        if s.gateway.trim().is_empty() {
            errors.push(FieldError::required("gateway"));
        }
        if s.interface.trim().is_empty() {
            s.interface = default_interface();
        }
        let subnet = errors.take(Subnet::parse("subnet", &s.subnet));
        errors.into_result()?;
        let subnet = subnet.expect("checked above");
        s.subnet = subnet.to_string();
        Ok((s, subnet))
    }
}

pub fn decode_key(s: &str) -> Option<[u8; 32]> {
    B64.decode(s.trim()).ok()?.try_into().ok()
}

/// A device's keys. The private key lives only as long as it takes to hand the
/// configuration over.
pub struct KeyPair {
    pub private_key: String,
    pub public_key: String,
}

impl KeyPair {
    pub fn generate() -> KeyPair {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        KeyPair::from_private(bytes)
    }

    /// The pair for a private key (clamped, as `wg genkey` does and X25519 requires anyway).
    pub fn from_private(bytes: [u8; 32]) -> KeyPair {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret);
        KeyPair {
            private_key: B64.encode(secret.to_bytes()),
            public_key: B64.encode(public.as_bytes()),
        }
    }
}

/// The client's `wg-quick` configuration.
pub fn client_config(settings: &VpnSettings, private_key: &str, address: Ipv4Addr) -> String {
    let mut out = format!("[Interface]\nPrivateKey = {private_key}\nAddress = {address}/32\n");
    if !settings.dns.trim().is_empty() {
        out.push_str(&format!("DNS = {}\n", settings.dns.trim()));
    }
    let allowed = if settings.allowed_ips.trim().is_empty() {
        settings.subnet.as_str()
    } else {
        settings.allowed_ips.trim()
    };
    out.push_str(&format!(
        "\n[Peer]\nPublicKey = {}\nAllowedIPs = {allowed}\nEndpoint = {}\nPersistentKeepalive = 25\n",
        settings.server_public_key.trim(),
        settings.endpoint.trim()
    ));
    out
}

/// The configuration as a QR code in SVG, for the WireGuard phone apps to scan.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
        // A configuration is a few hundred bytes; QR codes hold kilobytes.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_skip_the_gateway_and_run_out_with_a_field_error() {
        let s = Subnet::parse("subnet", "10.8.0.7/30").unwrap();
        assert_eq!(s.to_string(), "10.8.0.4/30");
        let first = s.allocate("address", &[]).unwrap();
        assert_eq!(first, Ipv4Addr::new(10, 8, 0, 6));
        let full = s.allocate("address", &[first]).unwrap_err();
        assert_eq!(full.code, "subnet_full");
        assert_eq!(full.field, "address");
    }

    #[test]
    fn bad_subnets_are_field_errors() {
        for bad in ["10.8.0.0", "10.8.0.0/31", "x/24", "10.8.0.0/a"] {
            assert_eq!(
                Subnet::parse("subnet", bad).unwrap_err().code,
                "invalid_subnet",
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_are_32_bytes_and_the_config_names_the_server() {
        let k = KeyPair::generate();
        assert!(decode_key(&k.private_key).is_some());
        assert!(decode_key(&k.public_key).is_some());
        let settings = VpnSettings {
            endpoint: "vpn.agency.test:51820".into(),
            server_public_key: k.public_key.clone(),
            subnet: "10.8.0.0/24".into(),
            dns: "10.8.0.1".into(),
            gateway: "gw".into(),
            interface: "wg0".into(),
            allowed_ips: String::new(),
        };
        let conf = client_config(&settings, &k.private_key, Ipv4Addr::new(10, 8, 0, 2));
        assert!(conf.contains("Address = 10.8.0.2/32"));
        assert!(conf.contains("AllowedIPs = 10.8.0.0/24"));
        assert!(qr_svg(&conf).starts_with("<?xml"));
    }
}
