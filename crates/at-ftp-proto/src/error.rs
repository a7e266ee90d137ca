//! The errors of the engine: what ends an operation ([`Error`]) and the small enums for the
//! misuse of one call ([`StartError`], [`ParamError`], [`ConfigError`]).
//!
//! None of them ever holds a password: a refused password is reported by its field and the
//! offending byte's position, never by its text.

use core::fmt;

/// What ended an operation: the one error of `Action::Done`.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The modem answered with a failure.
    #[error("the modem reported a failure: {0}")]
    Modem(ModemError),
    /// A deadline passed (PROTOCOL.md section 7, and the engine's own: see [`Timer`]).
    #[error("timed out {0}")]
    Timeout(Timer),
    /// The answer to a parameter read was longer than the line limit.
    #[error("a response line was longer than the line limit")]
    LineTooLong,
    /// The modem broke the protocol.
    #[error("protocol violation: {0}")]
    Protocol(ProtocolError),
    /// The caller aborted the operation.
    #[error("aborted")]
    Aborted,
    /// The resynchronisation before the operation could not prove command mode: no probe
    /// (`AT`) was answered `OK`. Nothing of the operation was sent.
    #[error("the modem could not be brought back to command mode (no `AT` was answered `OK`)")]
    Unsynchronised,
}

/// A failure result from the modem, with its raw code kept.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModemError {
    /// `ERROR` (V0 `4`): failure without a code.
    Error,
    /// `#CME ERROR: <n>`: a failure of the IP stack.
    Cme(u32),
    /// `+CME ERROR: <n>`: a failure reported by the GSM layer.
    PlusCme(u32),
    /// `NO CARRIER` (V0 `3`).
    NoCarrier,
    /// `BUSY` (V0 `7`), in answer to a command.
    Busy,
    /// `NO ANSWER` (V0 `8`), in answer to a command.
    NoAnswer,
}

impl ModemError {
    /// The meaning of a `#CME ERROR` code of this stack (PROTOCOL.md section 6), if it is known.
    pub const fn meaning(code: u32) -> Option<&'static str> {
        Some(match code {
            34817 => "unknown command",
            34819 => "syntax error",
            34824 => "EEPROM write failed",
            34881 => "command too long",
            34882 => "bad argument value",
            35840 => "link already up",
            35841 => "GPRS session lost",
            35862 => "timeout: no activity on the network connection",
            35865 => "not attached to the network",
            35866 => "invalid event during activation",
            35867 => "physical layer connection not active",
            35868 => "GPRS activation aborted (check the APN)",
            37123 => "a service is running: parameter cannot be set now",
            37966 => "TCP session closed by the peer",
            38016 => "TCP session could not be opened",
            38027 => "DNS: the server name could not be resolved",
            49155 => "GPRS session request failed",
            _ => return None,
        })
    }
}

impl fmt::Display for ModemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ModemError::Error => f.write_str("ERROR"),
            ModemError::NoCarrier => f.write_str("NO CARRIER"),
            ModemError::Busy => f.write_str("BUSY"),
            ModemError::NoAnswer => f.write_str("NO ANSWER"),
            ModemError::PlusCme(n) => write!(f, "+CME ERROR: {n}"),
            ModemError::Cme(n) => match ModemError::meaning(n) {
                Some(meaning) => write!(f, "#CME ERROR: {n} ({meaning})"),
                None => write!(f, "#CME ERROR: {n} (unknown code)"),
            },
        }
    }
}

/// A deadline's kind: what the engine waits for. Each running timer has one entry in the
/// engine's table, and [`Error::Timeout`] names the one that passed.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// A parameter command (or a resynchronisation probe) waiting for its final result.
    Command,
    /// `AT#CONNECTIONSTART` or `AT#CONNECTIONSTOP` waiting for its result.
    Link,
    /// `AT#FTPGET`/`AT#FTPPUT` waiting for the modem to start the data phase.
    Start,
    /// Silence inside the download data phase.
    Data,
    /// From the end of the data (the upload's terminator written) to the final result.
    Result,
    /// A write to the port that makes no progress (flow control held, a stalled port).
    Write,
    /// The line must stay quiet this long (after a cut upload, between resynchronisation
    /// steps, before an echo-less upload verdict is believed).
    Quiet,
    /// The latest end of a quiet wait, however busy the line stays.
    QuietCap,
    /// A resynchronisation draining a download it found still streaming (from the moment it
    /// found it: a download cannot be stopped, only drained to its end).
    Resync,
}

impl Timer {
    /// Every timer, in the order of the engine's table.
    pub const ALL: [Timer; 9] = [
        Timer::Command,
        Timer::Link,
        Timer::Start,
        Timer::Data,
        Timer::Result,
        Timer::Write,
        Timer::Quiet,
        Timer::QuietCap,
        Timer::Resync,
    ];

    /// The timer's index in the table.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Command => "waiting for the result of a command",
            Timer::Link => "waiting for the link to come up or go down",
            Timer::Start => "waiting for the transfer to start",
            Timer::Data => "waiting for data",
            Timer::Result => "waiting for the final result after the data",
            Timer::Write => "writing to the port (it took nothing)",
            Timer::Quiet => "waiting for the line to be quiet",
            Timer::QuietCap => "waiting for the line to be quiet (it never was)",
            Timer::Resync => "bringing the modem back to command mode (it kept sending)",
        })
    }
}

/// A way the modem broke the protocol.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A DLE followed by a byte that is neither DLE nor ETX, in strict mode.
    #[error("DLE followed by {byte:#04x} at offset {offset} of the data")]
    InvalidEscape {
        /// The offset of the DLE in the stuffed data.
        offset: u64,
        /// The byte after it.
        byte: u8,
    },
    /// A result that cannot answer the command in flight (such as `Ok_Info_WaitingForData`
    /// to `AT#FTPGET`, or a final `OK` before the data began).
    #[error("a result that does not answer the command in flight")]
    UnexpectedResult,
    /// A parameter read ended with `OK` but no `#NAME: value` line came.
    #[error("the parameter read ended without a value")]
    MissingValue,
}

/// Why an operation could not start. Nothing was queued.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Another operation is in flight (or its data is still being drained after an abort).
    #[error("another operation is in flight")]
    Busy,
    /// A parameter was refused.
    #[error("{0}")]
    Param(#[from] ParamError),
}

/// A [`Config`](crate::Config) the engine refuses: it would make the engine deaf, spin, or
/// overflow a buffer.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A timeout of zero: every wait would fail at once.
    #[error("the {0:?} timeout may not be zero")]
    ZeroTimeout(Timer),
    /// `max_line_len` outside `MIN_LINE..=MAX_LINE`: no answer would fit (or no buffer would).
    #[error("max_line_len must be {min}..={max}, not {got}")]
    LineLength {
        /// The value given.
        got: usize,
        /// The smallest that works.
        min: usize,
        /// The buffer's size.
        max: usize,
    },
    /// A string length limit of zero, or beyond what the command buffer holds.
    #[error("the {field} length limit must be 1..={max}, not {got}")]
    Limit {
        /// The parameter it limits.
        field: Field,
        /// The value given.
        got: usize,
        /// The largest the command buffer holds.
        max: usize,
    },
    /// No resynchronisation probe allowed: command mode could never be proven.
    #[error("resync probes must be at least 1")]
    NoProbes,
    /// One of the engine's buffers is too small for the config (see `Engine` for what each
    /// must hold).
    #[error("the {buffer:?} buffer must be {min}..={max} bytes for this config, not {got}")]
    Buffer {
        /// The buffer.
        buffer: Buffer,
        /// Its size.
        got: usize,
        /// The smallest that works with the config.
        min: usize,
        /// The largest that works (the script's offsets are 16-bit: 65535 for it).
        max: usize,
    },
}

/// One of the engine's buffers, as its size parameter names it (see `Engine`).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffer {
    /// `PORT`: port input, and stuffed upload bytes.
    Port,
    /// `CHUNK`: decoded payload, upload data, a parameter's value.
    Chunk,
    /// `LINE`: the response line.
    Line,
    /// `SCRIPT`: the operation's command lines.
    Script,
}

/// A parameter refused before anything was sent: a value the AT dialect cannot carry safely.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ParamError {
    /// The parameter.
    pub field: Field,
    /// What is wrong with its value.
    pub problem: Problem,
}

/// A parameter of a request.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `FTPSERV`.
    Server,
    /// `FTPPORT`.
    Port,
    /// `FTPUN`.
    User,
    /// `FTPPW`.
    Password,
    /// `FTPGETPATH` / `FTPPUTPATH`.
    Dir,
    /// `FTPGETFILENAME` / `FTPPUTFILENAME`.
    File,
    /// `APNSERV`.
    Apn,
    /// `APNUN`.
    ApnUser,
    /// `APNPW`.
    ApnPassword,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Server => "server",
            Field::Port => "port",
            Field::User => "user",
            Field::Password => "password",
            Field::Dir => "remote directory",
            Field::File => "remote file name",
            Field::Apn => "APN",
            Field::ApnUser => "APN user",
            Field::ApnPassword => "APN password",
        })
    }
}

/// What is wrong with a parameter value.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Problem {
    /// The value may not be empty.
    #[error("may not be empty")]
    Empty,
    /// The value is longer than the limit of PROTOCOL.md section 2.
    #[error("longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The value holds `"` or a control byte, which could end the command and start another.
    /// The byte itself is not reported: it may be part of a password.
    #[error("holds a quote or a control byte at offset {at}")]
    Forbidden {
        /// Its offset in the value.
        at: usize,
    },
    /// Port 0.
    #[error("must be 1..=65535")]
    PortZero,
}
