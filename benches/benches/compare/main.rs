//! The comparison benchmarks of issue 6, in one run (DESIGN.md §9).
//!
//! `cargo bench --manifest-path benches/Cargo.toml` (add `QUICK=1` for a
//! quick run), then `python3 benches/report.py` for the table.

mod actix;
mod cookie;
mod layer;
mod owners;
mod postgres;
mod stores;

use sessions_benches::run::{self, RunRecord};

fn main() {
    let mut record = RunRecord::start();
    cookie::lengths(&mut record);
    record.write(false);
    let mut c = run::criterion();
    cookie::representative(&mut c);
    cookie::sizes(&mut c, &mut record);
    record.write(false);
    layer::bench(&mut c);
    stores::bench(&mut c);
    postgres::bench(&mut c);
    owners::bench(&mut c);
    actix::bench(&mut c);
    c.final_summary();
    record.write(true);
}
