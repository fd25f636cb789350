//! `spread rejected list|show|requeue|purge`: the orders SPREAD refused for
//! their content, set aside in SPOOL/rejected/ (customers' data: printed
//! with its control characters made visible).

use std::time::Duration;

use serde_json::json;

use crate::args::{Exit, Fail, RejectedCommand};
use crate::setup;
use crate::text::{human_age, json_for_terminal, one_line, shown};

pub fn rejected(command: RejectedCommand) -> Result<Exit, Fail> {
    match command {
        RejectedCommand::List { spool, json } => {
            let entries = setup::open_spool(&spool)?.rejected()?;
            if json {
                let text = serde_json::to_string(&entries).map_err(|e| Fail::new(Exit::Failure, e.to_string()))?;
                println!("{}", json_for_terminal(&text));
            } else if entries.is_empty() {
                println!("no rejected orders");
            } else {
                for r in &entries {
                    let id = shown(r.order_id.as_deref().unwrap_or("-"), false);
                    println!("{}  {id}  {}  {}", shown(&r.name, false), human_age(r.age_secs), one_line(&r.answer, 100));
                }
            }
            Ok(Exit::Ok)
        }
        RejectedCommand::Show { name, spool, raw } => {
            let (r, body) = setup::open_spool(&spool)?.show_rejected(&name)?;
            println!("name: {}", shown(&r.name, false));
            println!("order_id: {}", shown(r.order_id.as_deref().unwrap_or("-"), false));
            println!("destination: {}", shown(r.base_url.as_deref().unwrap_or("- (written by libspread 0.1)"), false));
            println!("rejected: {} ago", human_age(r.age_secs));
            println!("answer: {}", shown(r.answer.trim_end(), true));
            println!("body (customer data, keep it private):");
            if raw {
                println!("{}", shown(&String::from_utf8_lossy(&body), true));
            } else {
                for (k, v) in form_urlencoded::parse(&body) {
                    println!("  {} = {}", shown(&k, false), shown(&v, false));
                }
            }
            Ok(Exit::Ok)
        }
        RejectedCommand::Requeue { name, all, spool, destination, json } => {
            let (spool, destination) = setup::spool_view(&spool, &destination)?;
            let only = if all { None } else { name.as_deref() };
            let n = spool.requeue(&destination, only)?;
            if json {
                println!("{}", json!({ "requeued": n }));
            } else {
                println!("requeued {n}: the next `spread flush` sends them");
            }
            Ok(Exit::Ok)
        }
        RejectedCommand::Purge { older_than, spool, json } => {
            let secs = older_than.checked_mul(86_400).ok_or_else(|| Fail::new(Exit::Usage, "--older-than: too many days"))?;
            let n = setup::open_spool(&spool)?.purge_rejected(Duration::from_secs(secs))?;
            if json {
                println!("{}", json!({ "purged": n, "older_than_days": older_than }));
            } else {
                println!("purged {n} rejected order(s) set aside more than {older_than} day(s) ago");
            }
            Ok(Exit::Ok)
        }
    }
}
