//! Real FTP failures and the codes the modem gives them.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::thread;

use at_ftp_modem::{Options, sample};
use at_ftp_proto::{Engine, Error, ModemError, Request};

use crate::host::{PASSWORD, Rig, USER, drive, get, now};

fn cme(code: u32) -> Result<u64, Error> {
    Err(Error::Modem(ModemError::Cme(code)))
}

/// Downloads with `req` on the rig's modem.
fn get_with(rig: &Rig, req: &Request<'_>) -> crate::host::Outcome {
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_get(now(), req).unwrap();
    drive(&mut port, &mut engine, &[])
}

#[test]
fn a_name_that_does_not_resolve_is_38027() {
    let rig = Rig::new(Options::default());
    let mut req = rig.request("f.bin");
    req.server = "no-such-host.test";
    let seen = get_with(&rig, &req);
    assert_eq!(seen.end, cme(38027));
    assert!(seen.payload.is_empty());
}

#[test]
fn a_refused_connection_is_38016_before_data() {
    let rig = Rig::new(Options::default());
    // A port that was free a moment ago: nothing listens there now.
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap();
    let mut req = rig.request("f.bin");
    req.server = "127.0.0.1";
    req.port = closed.port();
    assert_eq!(get_with(&rig, &req).end, cme(38016));
}

#[test]
fn a_refused_login_and_a_missing_file_fail_before_data() {
    let rig = Rig::new(Options::default());
    rig.put_file("f.bin", b"data");
    let mut req = rig.request("f.bin");
    req.password = "wrong";
    let seen = get_with(&rig, &req);
    assert_eq!(seen.end, cme(38016));
    assert!(seen.payload.is_empty());

    let seen = get(&rig, "missing.bin");
    assert_eq!(seen.end, cme(38016));
    // The modem is back in command mode: the next transfer works.
    let seen = get(&rig, "f.bin");
    assert_eq!((seen.end, seen.payload.as_slice()), (Ok(4), &b"data"[..]));
}

/// A one-session FTP server that sends `data` on the data connection, closes it, and reports
/// the transfer as failed (426), as a server whose disk or peer went away does.
fn failing_server(data: Vec<u8>) -> u16 {
    let control = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = control.local_addr().unwrap().port();
    thread::spawn(move || {
        let (stream, _) = control.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut passive = None;
        out.write_all(b"220 ready\r\n").unwrap();
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "USER" => b"331 password\r\n",
                "PASS" => b"230 in\r\n",
                "PASV" => {
                    let data = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
                    let p = data.local_addr().unwrap().port();
                    passive = Some(data);
                    out.write_all(
                        format!("227 ok (127,0,0,1,{},{})\r\n", p >> 8, p & 0xff).as_bytes(),
                    )
                    .unwrap();
                    line.clear();
                    continue;
                }
                "RETR" => {
                    out.write_all(b"150 sending\r\n").unwrap();
                    let (mut conn, _) = passive.take().unwrap().accept().unwrap();
                    conn.write_all(&data).unwrap();
                    drop(conn);
                    b"426 connection closed; transfer aborted\r\n"
                }
                "QUIT" => b"221 bye\r\n",
                _ => b"200 ok\r\n",
            };
            out.write_all(reply).unwrap();
            line.clear();
        }
    });
    port
}

#[test]
fn a_transfer_the_server_fails_ends_with_etx_and_37966() {
    let rig = Rig::new(Options::default());
    let data = sample(10_000, 11);
    let mut req = Request::new("127.0.0.1", "f.bin").with_login(USER, PASSWORD).with_dir("/");
    req.port = failing_server(data.clone());
    let seen = get_with(&rig, &req);
    assert_eq!(seen.end, cme(37966));
    // The bytes before the break did arrive, and were reported as provisional payload.
    assert!(seen.payload == data, "{} of {} bytes", seen.payload.len(), data.len());
}
