//! `spread doctor`: everything a deployment needs, checked at once, one
//! line per check and the fix when it fails (instead of one error at a
//! time, at the first order). Exit 0 all good, 1 warnings, 2 problems.
//!
//! One file per part of the deployment (`install`: the library and the
//! keys, `spool`, `network`, `php`), each adding its checks to the `report`.

mod install;
mod network;
mod php;
mod report;
mod spool;

use std::path::Path;

use report::Report;

use crate::args::{DoctorArgs, Exit, Fail};

pub fn run(args: &DoctorArgs, keys_file: Option<&Path>) -> Result<Exit, Fail> {
    let mut r = Report::default();
    install::library(&mut r);
    install::keys(&mut r, keys_file);
    let fpm_user = args.php.as_deref().and_then(|p| php::php(&mut r, p));
    if let Some(dir) = &args.spool {
        let web_user = args.web_user.clone().or(fpm_user).or_else(|| spool::user_groups("www-data").map(|_| "www-data".to_owned()));
        spool::spool(&mut r, dir, web_user.as_deref());
    }
    let roots = network::ca_store(&mut r, args);
    if !args.offline {
        network::network(&mut r, args, roots);
    }
    Ok(r.print(args.json))
}
