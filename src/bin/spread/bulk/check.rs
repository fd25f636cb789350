//! `spread check`: the lines validated, nothing sent.

use super::input::{parse, Lines};
use crate::args::{CheckArgs, Exit, Fail};

pub fn check(args: &CheckArgs) -> Result<Exit, Fail> {
    let mut lines = Lines::open(&args.file)?;
    let name = lines.name.clone();
    let (mut total, mut invalid, mut warnings) = (0, 0, 0);
    while let Some(line) = lines.next_line()? {
        total += 1;
        match parse(&line, args.strict) {
            Ok(order) => {
                for w in order.warnings() {
                    warnings += 1;
                    println!("{name}:{}: warning: {w}", line.no);
                }
            }
            Err(e) => {
                invalid += 1;
                println!("{name}:{}: {}", line.no, e.message);
            }
        }
    }
    println!("{total} lines: {} valid, {invalid} invalid, {warnings} warnings", total - invalid);
    Ok(if invalid > 0 { Exit::Incomplete } else { Exit::Ok })
}
