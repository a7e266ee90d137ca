//! The in-memory stand-in for the FTP server, shared by the in-memory tests.

use std::collections::HashMap;

use at_ftp_modem::{Job, Modem, code};

/// The FTP server's files, by `dir/file`.
pub(crate) type Store = HashMap<String, Vec<u8>>;

/// Does the modem's FTP work against `store`: starts a new job (a download is sent whole, in
/// 1000-byte pieces; a missing file fails with 38016), and collects an upload in progress in
/// `job` until the host's terminator.
pub(crate) fn serve(m: &mut Modem, store: &mut Store, job: &mut Option<Job>) {
    if let Some(j) = m.poll_job() {
        *job = Some(j);
        let j = job.as_ref().expect("just set");
        if j.put {
            m.ready_for_data();
        } else if let Some(file) = store.get(&format!("{}/{}", j.dir, j.file)) {
            m.data_begin();
            for chunk in file.chunks(1000) {
                if !m.send_data(chunk) {
                    break;
                }
            }
            m.data_end(Ok(()));
        } else {
            m.start_failed(code::NOT_OPENED);
        }
    }
    if let Some(j) = job.as_ref()
        && j.put
    {
        let (data, ended) = m.take_upload();
        store.entry(format!("{}/{}", j.dir, j.file)).or_default().extend(data);
        if ended {
            m.upload_done(Ok(()));
            *job = None;
        }
    }
}
