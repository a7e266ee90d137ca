//! A download in every modem style: echo on and off, verbose (V1) and numeric (V0) results.

use super::harness::*;

#[test]
fn downloads_in_every_style() {
    // Starts with LF: after V0's `1025\r` that LF is payload, after V1's CR LF it is not.
    let mut payload = b"\n\r\n".to_vec();
    payload.extend(tricky_payload(5000));
    for style in Style::ALL {
        let mut items = style.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        items.push(Item::Modem(concat(&[
            &style.answer(b"AT#FTPGET\r", "Ok_Info_DataBegin", "1025"),
            &stuffed(&payload),
            &style.result("OK", "0"),
        ])));
        let out = run_all_splits(get_session, &items);
        assert_eq!(out.payload, payload, "{style:?}");
        assert_eq!(
            out.events,
            [Seen::DataBegin, Seen::Complete(payload.len() as u64)],
            "{style:?}"
        );
    }
}

#[test]
fn an_empty_file_downloads() {
    let style = Style { echo: false, numeric: false };
    let mut items = style.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\n\x03\r\nOK\r\n".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, b"");
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(0)]);
}

#[test]
fn the_result_family_matches_in_any_letter_case() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOK_INFO_DATABEGIN\r\nab\x03\r\nOK\r\n".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, b"ab");
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(2)]);
}
