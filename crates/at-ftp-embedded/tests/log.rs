//! The core's log (its `log` feature) during real calls, against a careless modem that echoes
//! the password back (`#FTPPW: "..."` volunteered after the `OK`, a NUL inside every echo):
//! the events and outcomes are there, the password never is.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

mod common;

use at_ftp_embedded::blocking;
use at_ftp_modem::{Faults, Options, Testbed, sample};
use at_ftp_proto::{Config, LinkRequest, SmallEngine};
use common::{StdClock, Uart};

/// Every record of the core and the adapter, as text.
static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Keep;

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        // Ours only: the emulator's FTP client and server log the login themselves.
        if record.target().starts_with("at_ftp_proto")
            || record.target().starts_with("at_ftp_embedded")
        {
            RECORDS.lock().unwrap().push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

#[test]
fn the_log_tells_what_happened_and_never_the_password() {
    log::set_logger(&Keep).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let faults = Faults { leaky: true, urc_before_data: true, ..Faults::default() };
    let bed = Testbed::new(Options { faults, ..Options::default() }).unwrap();
    std::fs::write(bed.file("f"), sample(3000, 1)).unwrap();
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let clock = StdClock(std::time::Instant::now());
    let mut c = blocking::Client::new(&mut engine, Uart::open(&bed), clock);
    let link = LinkRequest { apn: "internet", user: "web", password: Testbed::PASSWORD };
    c.link_up(&link).unwrap();
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).unwrap(), 3000);
    assert_eq!(c.put(&bed.request("g"), &mut back.as_slice()).unwrap(), 3000);

    let records = RECORDS.lock().unwrap();
    let all = records.join("\n");
    // What happened is there: the data phases, the URC, progress, the outcomes...
    assert!(all.contains("DataBegin") && all.contains("ReadyForData"), "{all}");
    assert!(all.contains("Unsolicited"), "{all}");
    assert!(all.contains("3000 bytes"), "{all}");
    assert!(all.contains("done: Transferred { bytes: 3000 }"), "{all}");
    // ...and the line the modem volunteered with the password is there by its length only.
    assert!(all.contains("holds the password"), "{all}");
    assert!(!all.contains(Testbed::PASSWORD), "the password reached the log:\n{all}");
}
