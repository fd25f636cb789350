//! `spread spool adopt`: the spool folder itself, after the base URL or the
//! keys changed.

use crate::args::{Exit, Fail, SpoolCommand};
use crate::setup;

pub fn spool(command: SpoolCommand) -> Result<Exit, Fail> {
    match command {
        SpoolCommand::Adopt { spool, destination, from_base_url, from_old_key } => {
            let (spool, to) = setup::spool_view(&spool, &destination)?;
            let key = if from_old_key { Some(setup::old_public_key()?) } else { None };
            if from_base_url.is_none() && key.is_none() {
                return Err(Fail::new(Exit::Usage, "spool adopt: give --from-base-url OLD, --from-old-key, or both"));
            }
            // Only names the old destination: nothing is sent to it, so plain http is fine.
            let mut settings = spread::settings::Settings { allow_insecure_http: true, ..Default::default() };
            if let Some(url) = &from_base_url {
                settings.set_base_url(url)?;
            }
            let from_url = if from_base_url.is_some() { settings.base_url.to_string() } else { to.base_url.clone() };
            let from = match &key {
                Some(k) => spread::spool::Destination::new(&from_url, k),
                None => to.at(&from_url),
            };
            let n = spool.adopt(&from, &to)?;
            println!("adopted {n} order(s) of {}: the next `spread flush` sends them to {}", from.base_url, to.base_url);
            Ok(Exit::Ok)
        }
    }
}
