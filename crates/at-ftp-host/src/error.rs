//! What an adapter's call ends with: [`Error`], or the owned verdict [`Finished`].

use std::io;
use std::net::Ipv4Addr;

use at_ftp_proto::{ConfigError, Outcome, Param, ProtocolError, StartError};

/// What ends an adapter's call: the operation's own failure, a refusal before anything was
/// sent, a config the engine refuses, or the I/O around the engine (the port, or the local
/// file).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operation failed: the modem's error, a deadline, a protocol violation, an abort, a
    /// line that could not be resynchronised.
    #[error(transparent)]
    Failed(#[from] at_ftp_proto::Error),
    /// The operation could not start (a refused parameter); nothing of it was sent.
    #[error("refused before anything was sent: {0}")]
    Refused(#[from] StartError),
    /// The engine's settings cannot work.
    #[error("the settings cannot work: {0}")]
    Config(#[from] ConfigError),
    /// The serial port (or whatever stream stands for it) failed. The engine was reset: the
    /// next operation resynchronises the line first.
    #[error("the serial port failed: {0}")]
    Port(#[source] io::Error),
    /// The local side (the file or stream read or written) failed; the operation was aborted.
    #[error("the local file failed: {0}")]
    Local(#[source] io::Error),
    /// The file came whole, but it is not the one expected ([`crate::Verify`]): nothing was
    /// committed.
    #[error("the file is not the one expected: {0}")]
    Mismatch(#[from] crate::Mismatch),
    /// The checksum file that was to say what the file must be gave no digest.
    #[error(transparent)]
    Sidecar(#[from] crate::sidecar::SidecarError),
}

impl Error {
    /// An operation that ended with another kind of outcome than it started with. The engine
    /// never does that, but an adapter answers it with an error, not a panic.
    pub(crate) fn out_of_kind() -> Error {
        Error::Failed(at_ftp_proto::Error::Protocol(ProtocolError::UnexpectedResult))
    }
}

/// An [`Outcome`] that owns its value: what an adapter's call succeeds with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished {
    /// See [`Outcome::Transferred`].
    Transferred {
        /// Payload bytes received or sent.
        bytes: u64,
    },
    /// See [`Outcome::LinkUp`].
    LinkUp {
        /// The address the modem reported, if it did.
        address: Option<Ipv4Addr>,
    },
    /// See [`Outcome::LinkDown`].
    LinkDown,
    /// See [`Outcome::Param`].
    Param {
        /// The parameter.
        param: Param,
        /// Its value.
        value: Vec<u8>,
    },
    /// See [`Outcome::Resynced`].
    Resynced,
}

impl Finished {
    /// The verdict of the engine's `Action::Done`, owned.
    pub fn verdict(done: Result<Outcome<'_>, at_ftp_proto::Error>) -> Result<Finished, Error> {
        Ok(match done? {
            Outcome::Transferred { bytes } => Finished::Transferred { bytes },
            Outcome::LinkUp { address } => Finished::LinkUp { address },
            Outcome::LinkDown => Finished::LinkDown,
            Outcome::Param { param, value } => Finished::Param { param, value: value.to_vec() },
            Outcome::Resynced => Finished::Resynced,
            // An outcome this version does not know cannot be the one a call asked for.
            _ => return Err(Error::out_of_kind()),
        })
    }

    /// The bytes of a transfer.
    pub fn transferred(self) -> Result<u64, Error> {
        match self {
            Finished::Transferred { bytes } => Ok(bytes),
            _ => Err(Error::out_of_kind()),
        }
    }

    /// The address of a link brought up.
    pub fn link_up(self) -> Result<Option<Ipv4Addr>, Error> {
        match self {
            Finished::LinkUp { address } => Ok(address),
            _ => Err(Error::out_of_kind()),
        }
    }

    /// A link taken down.
    pub fn link_down(self) -> Result<(), Error> {
        match self {
            Finished::LinkDown => Ok(()),
            _ => Err(Error::out_of_kind()),
        }
    }

    /// The value of a parameter read.
    pub fn value(self) -> Result<Vec<u8>, Error> {
        match self {
            Finished::Param { value, .. } => Ok(value),
            _ => Err(Error::out_of_kind()),
        }
    }

    /// A resynchronisation that proved command mode.
    pub fn resynced(self) -> Result<(), Error> {
        match self {
            Finished::Resynced => Ok(()),
            _ => Err(Error::out_of_kind()),
        }
    }
}
