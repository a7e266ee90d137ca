//! `at-ftp link up|down|status`: the housekeeping of the modem's IP link
//! (`AT#CONNECTIONSTART`, `AT#CONNECTIONSTOP`, `AT#VSTATE`), through the same port, transcript,
//! interruption and failure classes as `get` and `put`.

use at_ftp_proto::Param;

use crate::Failure;
use crate::interrupt::Interrupt;
use crate::transfer::{self, Connection, ModemArgs};

/// What `at-ftp link` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Action {
    /// Bring the link up with --apn (AT#CONNECTIONSTART); already up is success
    Up,
    /// Take the link down (AT#CONNECTIONSTOP)
    Down,
    /// Print the link's state as the modem names it (AT#VSTATE), such as CONNECTED or IDLE
    Status,
}

/// Runs `action`; the state (for `status`) or the address (for `up`, when the modem gave
/// one) goes to standard output, a summary to standard error unless `--quiet`.
pub(crate) fn run(args: &ModemArgs, action: Action) -> Result<(), Failure> {
    if action == Action::Up && args.apn.is_none() {
        return Err(Failure::Usage("link up needs the access point name: --apn APN".into()));
    }
    transfer::check_link(args)?;
    let interrupt = Interrupt::install()?;
    let mut session = Connection::open(args, &interrupt, &[])?;
    let result = match action {
        Action::Up => {
            let bar = transfer::progress(args.quiet || args.verbose, None, "link");
            let address = session.link_up(args, &bar, &interrupt);
            bar.finish_and_clear();
            address.map(|address| match address {
                Some(a) => {
                    println!("{a}");
                    format!("the link is up, with the address {a}")
                }
                None => "the link is up (it was up already)".to_owned(),
            })
        }
        Action::Down => {
            let result = session.client().link_down();
            session.check(result, &interrupt).map(|()| "the link is down".to_owned())
        }
        Action::Status => {
            let result = session.client().read_param(Param::LinkState, args.dialect());
            session.check(result, &interrupt).map(|state| {
                let state = String::from_utf8_lossy(&state).into_owned();
                println!("{state}");
                format!("the link is {state}")
            })
        }
    };
    session.finish()?;
    let summary = result?;
    if !args.quiet {
        eprintln!("at-ftp: {summary}");
    }
    Ok(())
}
