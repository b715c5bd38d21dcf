//! The whole-request comparison (issue 16):
//!
//! ```sh
//! cargo run --release --manifest-path benches/Cargo.toml --bin loadbench
//! QUICK=1 cargo run --release --manifest-path benches/Cargo.toml --bin loadbench
//! cargo run --release --manifest-path benches/Cargo.toml --bin loadbench -- ours-cookie
//! ```
//!
//! With system names, only those run (with their baselines). `serve
//! <system>` is how the run starts each server: this same binary.

use std::process::ExitCode;

use sessions_benches::load::harness::{run, unix_now, write_json};
use sessions_benches::load::report::table;
use sessions_benches::load::serve::serve;
use sessions_benches::load::settings::Settings;
use sessions_benches::load::system::System;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let Some(system) = args.get(1).and_then(|name| System::from_name(name)) else {
            eprintln!("usage: loadbench serve SYSTEM");
            return ExitCode::FAILURE;
        };
        return match serve(system) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{system}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match systems(&args) {
        Ok(systems) => bench(&systems),
        Err(unknown) => {
            let names: Vec<&str> = System::ALL.iter().map(|s| s.name()).collect();
            eprintln!("unknown system {unknown:?}; known: {}", names.join(", "));
            ExitCode::FAILURE
        }
    }
}

/// The systems named on the command line with their baselines, in the
/// report's order; every system when none is named.
fn systems(args: &[String]) -> Result<Vec<System>, String> {
    if args.is_empty() {
        return Ok(System::ALL.to_vec());
    }
    let mut chosen = Vec::new();
    for arg in args {
        let system = System::from_name(arg).ok_or_else(|| arg.clone())?;
        chosen.extend([system.baseline(), system]);
    }
    Ok(System::ALL
        .into_iter()
        .filter(|s| chosen.contains(s))
        .collect())
}

fn bench(systems: &[System]) -> ExitCode {
    let settings = Settings::from_env();
    if let Some(problem) = settings.problem() {
        eprintln!("loadbench: {problem}");
        return ExitCode::FAILURE;
    }
    eprintln!("loadbench: {settings:?}");
    let started = unix_now();
    let rows = match run(systems, &settings) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("loadbench FAILED: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", table(&rows));
    match write_json(&settings, started, &rows) {
        Ok(path) => eprintln!("written: {}", path.display()),
        Err(e) => eprintln!("the JSON could not be written: {e}"),
    }
    ExitCode::SUCCESS
}
