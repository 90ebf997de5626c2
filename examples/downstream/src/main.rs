//! A downstream user of sinspqa: replays a capture file, optionally filtered, and prints the
//! libs version, then one `type count` line per event type and the total, as a consumer of the
//! library would.
use std::collections::BTreeMap;
use std::process::ExitCode;

use sinspqa::{Capture, Engine};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: sinspqa-downstream FILE.scap [FILTER]");
        return ExitCode::from(2);
    };
    let mut builder = Capture::builder()
        .engine(Engine::Savefile(path.into()))
        .fields(["evt.type"]);
    if let Some(filter) = args.next() {
        builder = builder.filter(filter);
    }
    let cap = match builder.open() {
        Ok(cap) => cap,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for ev in cap.events().iter() {
        *by_type.entry(ev.name.to_string()).or_default() += 1;
    }
    let stats = match cap.finish() {
        Ok(stats) => stats,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("libs {}", sinspqa::LIBS_VERSION);
    for (ty, n) in &by_type {
        println!("{ty} {n}");
    }
    println!("total {}", stats.events_delivered);
    ExitCode::SUCCESS
}
