//! The GPRS link: bringing it up (including `#CME ERROR: 35840`, already up, as success),
//! taking it down, and reading its state.

use std::net::Ipv4Addr;

use at_ftp_proto::{Dialect, Error, Instant, LinkRequest, ModemError, Param, Timer};

use super::Engine;
use super::harness::*;

fn session() -> Engine {
    let mut s = engine();
    let req = LinkRequest { apn: "internet", user: "web", password: "gprs-secret" };
    s.start_link(Instant::ZERO, &req).expect("valid request");
    s
}

fn setup(style: Style) -> Vec<Item> {
    ["AT#GPRSMODE=1", "AT#APNSERV=\"internet\"", "AT#APNUN=\"web\"", "AT#APNPW=\"gprs-secret\""]
        .iter()
        .flat_map(|c| style.set(c))
        .chain([Item::Host(b"AT#CONNECTIONSTART\r".to_vec())])
        .collect()
}

#[test]
fn the_link_comes_up_with_its_address() {
    for style in Style::ALL {
        let mut items = setup(style);
        let mut modem = if style.echo { b"AT#CONNECTIONSTART\r".to_vec() } else { Vec::new() };
        modem.extend_from_slice(b"\r\n10.64.3.17\r\n");
        modem.extend(style.result("Ok_Info_GprsActivation", "3086"));
        items.push(Item::Modem(modem));
        let out = run_all_splits(session, &items);
        assert_eq!(out.events, [Seen::LinkUp(Some(Ipv4Addr::new(10, 64, 3, 17)))], "{style:?}");
    }
}

#[test]
fn already_up_counts_as_success() {
    let mut items = setup(Style { echo: true, numeric: false });
    items.push(Item::Modem(b"AT#CONNECTIONSTART\r\r\n#CME ERROR: 35840\r\n".to_vec()));
    let out = run_all_splits(session, &items);
    assert_eq!(out.events, [Seen::LinkUp(None)]);
}

#[test]
fn other_codes_fail() {
    let mut items = setup(Style { echo: false, numeric: false });
    items.push(Item::Modem(b"\r\n#CME ERROR: 35868\r\n".to_vec()));
    let out = run_all_splits(session, &items);
    assert_eq!(out.events, [Seen::Failed(Error::Modem(ModemError::Cme(35868)), 0)]);
}

#[test]
fn link_timeout_is_its_own_phase() {
    let mut items = setup(Style { echo: false, numeric: false });
    items.push(Item::Wait(119_999));
    items.push(Item::Modem(b"\r\nRING\r\n".to_vec()));
    items.push(Item::Wait(1));
    let out = run_all_splits(session, &items);
    assert_eq!(
        out.events,
        [Seen::Unsolicited(b"RING".to_vec()), Seen::Failed(Error::Timeout(Timer::Link), 0)]
    );
}

fn stopping() -> Engine {
    let mut s = engine();
    s.stop_link(Instant::ZERO).expect("idle");
    s
}

#[test]
fn the_link_goes_down_on_ok_within_the_link_deadline() {
    for style in Style::ALL {
        let mut items = vec![Item::Host(b"AT#CONNECTIONSTOP\r".to_vec())];
        items.push(Item::Modem(style.answer(b"AT#CONNECTIONSTOP\r", "OK", "0")));
        let out = run_all_splits(stopping, &items);
        assert_eq!(out.events, [Seen::LinkDown], "{style:?}");
    }
    // The modem's refusal is its own, raw; silence past the link deadline is a timeout.
    let items = [
        Item::Host(b"AT#CONNECTIONSTOP\r".to_vec()),
        Item::Modem(b"\r\n#CME ERROR: 35865\r\n".to_vec()),
    ];
    let out = run_all_splits(stopping, &items);
    assert_eq!(out.events, [Seen::Failed(Error::Modem(ModemError::Cme(35865)), 0)]);
    let items = [Item::Host(b"AT#CONNECTIONSTOP\r".to_vec()), Item::Wait(119_999), Item::Wait(1)];
    let out = run_all_splits(stopping, &items);
    assert_eq!(out.events, [Seen::Failed(Error::Timeout(Timer::Link), 0)]);
}

#[test]
fn the_link_state_is_read_from_its_state_line() {
    for dialect in [Dialect::Query, Dialect::Legacy] {
        let make = move || {
            let mut s = engine();
            s.read_param(Instant::ZERO, Param::LinkState, dialect).expect("idle");
            s
        };
        for style in Style::ALL {
            let mut items = vec![Item::Host(b"AT#VSTATE\r".to_vec())];
            let mut modem = if style.echo { b"AT#VSTATE\r".to_vec() } else { Vec::new() };
            // A URC of another name is not the state.
            modem.extend_from_slice(b"\r\n#VSTATE: \"BOGUS\"\r\n\r\n#STATE: \"CONNECTED\"\r\n");
            modem.extend(style.result("OK", "0"));
            items.push(Item::Modem(modem));
            let out = run_all_splits(make, &items);
            assert_eq!(
                out.events,
                [
                    Seen::Unsolicited(b"#VSTATE: \"BOGUS\"".to_vec()),
                    Seen::ParamRead(Param::LinkState, b"CONNECTED".to_vec())
                ],
                "{style:?} {dialect:?}"
            );
        }
    }
}
