// The properties, included once per engine size (engine_props.rs).

#[path = "../scenarios/harness.rs"]
mod harness;

use at_ftp_proto::{Error, ModemError, Timer};
use harness::{Item, Outcome, Seen, Style, get_session, put_session, run_with, stuffed};
use proptest::prelude::*;

/// How the modem ends the transfer after the data.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Ok,
    Cme(u32),
    Error,
    /// Nothing: the result deadline passes.
    Silence,
}

#[derive(Clone, Debug)]
struct Quirks {
    style: Style,
    noise: bool,
    urc_before: bool,
    urc_after: bool,
    extra_etx: bool,
}

fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![4 => Just(0x03u8), 4 => Just(0x10u8), 1 => Just(b'\r'), 1 => Just(b'\n'), 1 => Just(0u8), 4 => any::<u8>()]
}

fn quirks() -> impl Strategy<Value = Quirks> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(echo, numeric, noise, urc_before, urc_after, extra_etx)| Quirks {
            style: Style { echo, numeric },
            noise,
            urc_before,
            urc_after,
            extra_etx,
        })
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        3 => Just(Ending::Ok),
        1 => (1u32..70000).prop_map(Ending::Cme),
        1 => Just(Ending::Error),
        1 => Just(Ending::Silence),
    ]
}

/// The parameter exchanges, with the quirks applied to each answer.
fn setup(q: &Quirks, put: bool) -> Vec<Item> {
    let mut items = q.style.transfer_setup(put);
    if q.noise {
        for item in &mut items {
            if let Item::Modem(bytes) = item {
                bytes.splice(0..0, *b"\0\0");
            }
        }
    }
    items
}

fn ending_bytes(q: &Quirks, ending: Ending) -> Vec<u8> {
    let mut out = Vec::new();
    if q.extra_etx {
        out.push(0x03);
    }
    if q.urc_after {
        out.extend_from_slice(b"\r\nRING\r\n");
    }
    match ending {
        Ending::Ok => out.extend(q.style.result("OK", "0")),
        Ending::Error => out.extend(q.style.result("ERROR", "4")),
        Ending::Cme(n) => out.extend(format!("\r\n#CME ERROR: {n}\r\n").into_bytes()),
        Ending::Silence => {}
    }
    out
}

fn download(q: &Quirks, payload: &[u8], ending: Ending) -> Vec<Item> {
    let mut items = setup(q, false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    let mut modem = Vec::new();
    if q.style.echo {
        modem.extend_from_slice(b"AT#FTPGET\r");
    }
    if q.urc_before {
        modem.extend_from_slice(b"\r\n+CREG: 1\r\n");
    }
    modem.extend(q.style.result("Ok_Info_DataBegin", "1025"));
    modem.extend(stuffed(payload));
    modem.extend(ending_bytes(q, ending));
    items.push(Item::Modem(modem));
    items.push(Item::Wait(30_000));
    items
}

fn upload(q: &Quirks, payload: &[u8], ending: Ending) -> Vec<Item> {
    let mut items = setup(q, true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(q.style.answer(b"AT#FTPPUT\r", "Ok_Info_WaitingForData", "1028")));
    items.push(Item::Write(payload.to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(stuffed(payload)));
    let mut modem = vec![0x03];
    modem.extend(ending_bytes(q, ending));
    items.push(Item::Modem(modem));
    items.push(Item::Wait(30_000));
    // A failed upload ends only once the line has been quiet, twice (around a bare CR).
    items.push(Item::Wait(500));
    items
}

/// The terminal event the ending must produce.
fn expected_end(ending: Ending, bytes: u64) -> Seen {
    match ending {
        Ending::Ok => Seen::Complete(bytes),
        Ending::Cme(n) => Seen::Failed(Error::Modem(ModemError::Cme(n)), bytes),
        Ending::Error => Seen::Failed(Error::Modem(ModemError::Error), bytes),
        Ending::Silence => Seen::Failed(Error::Timeout(Timer::Result), bytes),
    }
}

fn run_reads(make: fn() -> Engine, items: &[Item], reads: &[usize]) -> Outcome {
    let mut i = 0;
    let mut next = || {
        i += 1;
        reads[i % reads.len()]
    };
    run_with(&mut make(), items, &mut next)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn downloads_agree_under_any_partition(
        payload in proptest::collection::vec(byte(), 0..3000),
        q in quirks(),
        ending in ending(),
        reads in proptest::collection::vec(1usize..300, 1..16),
    ) {
        let items = download(&q, &payload, ending);
        let whole = run_reads(get_session, &items, &[usize::MAX]);
        let split = run_reads(get_session, &items, &reads);
        prop_assert_eq!(&split, &whole);
        let one = run_reads(get_session, &items, &[1]);
        prop_assert_eq!(&one, &whole);

        prop_assert_eq!(&whole.payload, &payload);
        prop_assert_eq!(whole.last_progress, payload.len() as u64);
        let mut expected = Vec::new();
        if q.urc_before {
            expected.push(Seen::Unsolicited(b"+CREG: 1".to_vec()));
        }
        expected.push(Seen::DataBegin);
        if q.urc_after {
            expected.push(Seen::Unsolicited(b"RING".to_vec()));
        }
        expected.push(expected_end(ending, payload.len() as u64));
        prop_assert_eq!(&whole.events, &expected);
    }

    #[test]
    fn uploads_succeed_only_with_a_final_ok(
        payload in proptest::collection::vec(byte(), 0..3000),
        q in quirks(),
        ending in ending(),
        reads in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let items = upload(&q, &payload, ending);
        let whole = run_reads(put_session, &items, &[usize::MAX]);
        let split = run_reads(put_session, &items, &reads);
        prop_assert_eq!(&split, &whole);
        let mut expected = vec![Seen::ReadyForData];
        if q.urc_after {
            expected.push(Seen::Unsolicited(b"RING".to_vec()));
        }
        expected.push(expected_end(ending, payload.len() as u64));
        prop_assert_eq!(&whole.events, &expected);
    }

    #[test]
    fn arbitrary_modem_bytes_never_fake_success(
        noise in proptest::collection::vec(byte(), 0..400),
        reads in proptest::collection::vec(1usize..50, 1..8),
    ) {
        // Whatever the modem says after the commands, without a final OK after data begins
        // there is no Complete: here the data never ends with a terminator followed by OK
        // unless the noise itself contains one, which the check accounts for.
        let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        items.push(Item::Modem(noise.clone()));
        let whole = run_reads(get_session, &items, &[usize::MAX]);
        let split = run_reads(get_session, &items, &reads);
        prop_assert_eq!(&split, &whole);
        if let Some(Seen::Complete(_)) = whole.events.last() {
            // Only possible when the noise holds a data begin, a lone ETX and an OK.
            let text = String::from_utf8_lossy(&noise).to_ascii_uppercase();
            prop_assert!(text.contains("OK"));
            prop_assert!(whole.events.contains(&Seen::DataBegin));
        }
    }
}
