//! What a host writes to the emulated modem, as raw bytes (seeds are real command streams of
//! the engine, its resynchronisation included): the emulator's AT parser answers anything
//! without a panic, its output stays within a budget per input byte, and afterwards what a
//! host's resynchronisation sends (`ETX ETX NUL AT`) and a plain `AT` are each answered `OK`
//! once the modem is back in command mode.
//!
//! Input: byte 0 sets the read size (plus 1) and which jobs succeed; the rest is the host's
//! side of the line.
#![no_main]

use at_ftp_modem::{Faults, MAX_COMMAND, Modem};
use libfuzzer_sys::fuzz_target;

/// The file the server side serves and the most it takes of an upload.
const FILE: &[u8] = b"file\x03with\x10specials";

fuzz_target!(|data: &[u8]| {
    let Some((&head, input)) = data.split_first() else { return };
    let read = usize::from(head & 0x3f) + 1;
    let fail = head & 0x40 != 0;
    let mut modem = Modem::new(Faults { nul_noise: head & 0x80 != 0, ..Faults::default() });
    let mut out = 0usize;
    let mut uploading = false;
    for chunk in input.chunks(read) {
        modem.handle_input(chunk);
        if let Some(job) = modem.poll_job() {
            match (job.put, fail) {
                (_, true) => modem.start_failed(38016),
                (false, false) => {
                    modem.data_begin();
                    modem.send_data(FILE);
                    modem.data_end(Ok(()));
                }
                (true, false) => {
                    modem.ready_for_data();
                    uploading = true;
                }
            }
        }
        if uploading {
            let (data, ended) = modem.take_upload();
            // Lenient decoding: at most one payload byte per input byte (plus a DLE owed).
            assert!(data.len() <= chunk.len() + 2);
            if ended {
                modem.upload_done(Ok(()));
                uploading = false;
            }
        }
        out += modem.take_output().len();
        // Per input byte at most: its echo, and for a line end a result, a stored value read
        // back (at most a command long) or the stuffed file.
        assert!(
            out <= (input.len() + 1) * (2 * MAX_COMMAND + 4 * FILE.len() + 64),
            "output budget"
        );
    }
    if uploading {
        // End the upload the way a host would (a second ETX in case the input ended on a
        // DLE, which pairs with the first), then check the modem listens again.
        modem.handle_input(b"\x03\x03");
        let (_, ended) = modem.take_upload();
        assert!(ended);
        modem.upload_done(Ok(()));
    }
    modem.take_output();
    // A line in progress (or one too long) ends here, and may start a transfer, which fails;
    // then a plain AT is answered.
    modem.handle_input(b"\r");
    if modem.poll_job().is_some() {
        modem.start_failed(38016);
    }
    modem.take_output();
    // Bytes before `AT` are ignored (V.250), a terminator and a NUL among them.
    for probe in [&b"\x03\x03\0AT\r"[..], b"AT\r"] {
        modem.handle_input(probe);
        let answer = modem.take_output();
        let ok = answer.windows(2).any(|w| w == b"OK") || answer.ends_with(b"0\r");
        assert!(ok, "{:?}", String::from_utf8_lossy(&answer));
    }
});
