//! TODO
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;

#[derive(Debug, Default)]
pub struct Added {
    pub deliveries: usize,
}
pub async fn load(_db: &Db, _config: &Config) -> anyhow::Result<Added> {
    Ok(Added::default())
}
