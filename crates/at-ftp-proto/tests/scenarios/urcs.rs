//! Unsolicited result codes at every point where they may come.

use super::harness::*;

#[test]
fn urcs_before_the_data_and_before_the_result_are_reported() {
    for style in Style::ALL {
        let mut items = style.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        let mut modem = Vec::new();
        if style.echo {
            modem.extend_from_slice(b"AT#FTPGET\r");
        }
        modem.extend_from_slice(b"\r\nRING\r\n\r\n#STATE: \"CONNECTED\"\r\n");
        modem.extend(style.result("Ok_Info_DataBegin", "1025"));
        modem.extend(stuffed(b"RING\r\nOK\r\n"));
        modem.extend_from_slice(b"\r\nRING\r\n");
        modem.extend(style.result("OK", "0"));
        items.push(Item::Modem(modem));
        let out = run_all_splits(get_session, &items);
        assert_eq!(out.payload, b"RING\r\nOK\r\n", "{style:?}");
        assert_eq!(
            out.events,
            [
                Seen::Unsolicited(b"RING".to_vec()),
                Seen::Unsolicited(b"#STATE: \"CONNECTED\"".to_vec()),
                Seen::DataBegin,
                Seen::Unsolicited(b"RING".to_vec()),
                Seen::Complete(10),
            ],
            "{style:?}"
        );
    }
}

#[test]
fn a_urc_between_parameter_commands_is_not_their_answer() {
    let style = Style { echo: false, numeric: false };
    let mut items = vec![
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(b"\r\nRING\r\n".to_vec()),
        // Nothing else may go out before the command's own answer.
        Item::Host(Vec::new()),
        Item::Modem(b"\r\nOK\r\n".to_vec()),
    ];
    items.extend(style.transfer_setup(false).into_iter().skip(2));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::Unsolicited(b"RING".to_vec())]);
}

#[test]
fn lines_while_idle_are_unsolicited() {
    // An idle engine reads nothing; the next operation hears the port before its first
    // command, and what was there is unsolicited, never that command's answer (the `OK`).
    let items = [
        Item::Modem(b"\r\nRING\r\n\r\nOK\r\n+CREG: 1\r\n".to_vec()),
        Item::Host(Vec::new()),
        Item::Start(Op::Get),
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        // The command waits for its own answer.
        Item::Host(Vec::new()),
        Item::Modem(b"\r\nOK\r\n".to_vec()),
        Item::Host(b"AT#FTPPORT=21\r".to_vec()),
    ];
    let out = run_all_splits(engine, &items);
    assert_eq!(
        out.events,
        [
            Seen::Unsolicited(b"RING".to_vec()),
            Seen::Unsolicited(b"OK".to_vec()),
            Seen::Unsolicited(b"+CREG: 1".to_vec()),
        ]
    );
}
