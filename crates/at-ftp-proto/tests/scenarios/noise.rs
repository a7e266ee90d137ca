//! NUL noise, blank lines, bare CR or LF line ends, and an extra ETX before the final result.

use super::harness::*;

#[test]
fn noise_between_lines_and_an_extra_etx_are_tolerated() {
    let payload = tricky_payload(300);
    let mut items = Vec::new();
    for command in [
        "AT#FTPSERV=\"ftp.example.com\"",
        "AT#FTPPORT=21",
        "AT#FTPUN=\"user\"",
        "AT#FTPPW=\"hunter2\"",
        "AT#FTPGETPATH=\"/pub\"",
        "AT#FTPGETFILENAME=\"file.bin\"",
        "AT#FTPTYPE=I",
    ] {
        items.push(Item::Host(format!("{command}\r").into_bytes()));
        items.push(Item::Modem(b"\0\0\r\n\r\n\nOK\r\0\n".to_vec()));
    }
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(concat(&[
        b"\0\r\n\nOk_Info_DataBegin\r\n",
        &stuffed(&payload),
        b"\x03\r\n\r\n\0OK\n",
    ])));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, payload);
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(300)]);
}

#[test]
fn bare_lf_after_data_begin_is_a_line_end_not_payload() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    // The line ends with LF alone: the next byte, an LF, is the file's first byte.
    items.push(Item::Modem(b"\nOk_Info_DataBegin\n\nX\x03\r\nOK\r\n".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, b"\nX");
}
