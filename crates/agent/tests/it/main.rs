//! shtab-agent against a real OpenSSH sshd on a loopback port and a fake hub that speaks
//! the `/agent/v1/` protocol. Runs as root: it creates (and removes) real unix accounts.

mod host;
mod hub;

mod akc;
mod converge;
mod refusals;
mod unmanaged;
mod untrusted;
mod wireguard;
