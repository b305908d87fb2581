//! Many lists read whole together: each list's pages are `batch` commands, up to 50 per
//! request, so looking up two thousand payers costs tens of requests, not thousands. Every
//! list is paged by id as [`super::paging`] does (`>ID` cursor, `start=-1`); a list whose
//! page came back full gets its next page in the following request.

use serde_json::value::RawValue;

use super::Client;
use super::batch::{Batch, MAX_COMMANDS};
use super::errors::Bitrix24Error;
use super::paging::{IdPager, read_page};

impl Client {
    /// Every item of every list, in the order of `pagers`. Fails as a whole when any command
    /// fails: a caller deciding on the lists must not decide on part of them.
    pub async fn list_many(
        &self,
        pagers: &[IdPager],
    ) -> Result<Vec<Vec<Box<RawValue>>>, Bitrix24Error> {
        let mut out: Vec<Vec<Box<RawValue>>> = pagers.iter().map(|_| Vec::new()).collect();
        // (list, the id its next page starts after)
        let mut pending: Vec<(usize, Option<u64>)> = (0..pagers.len()).map(|i| (i, None)).collect();
        while !pending.is_empty() {
            let take = pending.len().min(MAX_COMMANDS);
            let now: Vec<(usize, Option<u64>)> = pending.drain(..take).collect();
            let mut batch = Batch::new();
            for (i, after) in &now {
                let pager = &pagers[*i];
                batch.add(&format!("l{i}"), &pager.method, &pager.params_after(*after))?;
            }
            let answer = self.batch(&batch).await?;
            for (i, after) in now {
                let page = read_page(&pagers[i], answer.result(&format!("l{i}"))?, after)?;
                out[i].extend(page.items);
                if let (true, Some(last)) = (page.more, page.last_id) {
                    pending.push((i, Some(last)));
                }
            }
        }
        Ok(out)
    }
}
