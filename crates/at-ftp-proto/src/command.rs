//! What the caller asks for, and the AT command lines that carry it.
//!
//! This module owns the requests ([`Request`], [`LinkRequest`], [`Param`]), their validation
//! (PROTOCOL.md section 2: no `"`, CR, LF or other control byte in a string value, length limits,
//! port range) and their encoding into a script: the fixed-size list of command lines one
//! operation sends, one at a time. Validation runs on every value before anything is encoded,
//! so a refused request queues nothing and a file name can never carry a second command.

use core::fmt;

use crate::error::{Field, ParamError, Problem, Timer};

/// The string length limits of PROTOCOL.md section 2. They are \[ours\] (the manual is silent),
/// so they are configuration (`Config::limits`); the defaults are the contract's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The longest server name. Default 120 (by analogy with `#TCPSERV`).
    pub server: usize,
    /// The longest user name or password. Default 64.
    pub credential: usize,
    /// The longest remote directory or file name. Default 120.
    pub path: usize,
    /// The longest APN, APN user or APN password: not in the manual; default 120, as long as
    /// a server name.
    pub apn: usize,
}

impl Limits {
    /// PROTOCOL.md's limits.
    pub const DEFAULT: Limits = Limits { server: 120, credential: 64, path: 120, apn: 120 };
    /// The largest limits an engine takes: a script with every value at these lengths fits
    /// the default engine's script buffer ([`SCRIPT_ROOM`]).
    pub const MAX: Limits = Limits { server: 255, credential: 128, path: 255, apn: 255 };

    /// The longest script these limits allow, in bytes: the room an engine's script buffer
    /// needs (its `SCRIPT` size). A transfer with every value at its limit (every setting
    /// sent, the longest port and mode) or a link bring-up, whichever is longer.
    pub const fn script_len(&self) -> usize {
        // `AT#FTPSERV="s"\r` 14 + s, `AT#FTPPORT=65535\r` 17, `AT#FTPUN="u"\r` and
        // `AT#FTPPW="p"\r` 12 + c each, `AT#FTPGETPATH="d"\r` 17 + p,
        // `AT#FTPGETFILENAME="f"\r` 21 + p, `AT#FTPTYPE=I\r` 13, `AT#FTPMODE=255\r` 15,
        // `AT#FTPGET\r` 10 (the PUT names are as long).
        let transfer = self.server + 2 * self.credential + 2 * self.path + 131;
        // `AT#GPRSMODE=1\r` 14, `AT#APNSERV="a"\r` 14 + a, `AT#APNUN="u"\r` and
        // `AT#APNPW="p"\r` 12 + a each, `AT#CONNECTIONSTART\r` 19.
        let link = 3 * self.apn + 71;
        if transfer > link { transfer } else { link }
    }
}

/// The default engine's script buffer: room for the longest script [`Limits::MAX`] allows.
pub const SCRIPT_ROOM: usize = Limits::MAX.script_len();

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How the FTP server transfers the file (`AT#FTPTYPE`).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TransferType {
    /// `I`: binary, byte for byte. The default.
    #[default]
    Binary,
    /// `A`: ASCII. The stack clears bit 7 of every byte: it corrupts binary data.
    Ascii,
}

/// A download (`AT#FTPGET`) or upload (`AT#FTPPUT`): the server, the login and the remote file.
///
/// Its `Debug` output never shows the password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Dotted IPv4 address or host name, at most 120 bytes.
    pub server: &'a str,
    /// TCP control port, 1..=65535.
    pub port: u16,
    /// Login name, at most 64 bytes.
    pub user: &'a str,
    /// Password, at most 64 bytes. Never logged.
    pub password: &'a str,
    /// Remote directory, at most 120 bytes; may be empty.
    pub dir: &'a str,
    /// Remote file name, at most 120 bytes.
    pub file: &'a str,
    /// Binary or ASCII; sent with every transfer.
    pub kind: TransferType,
    /// A raw `AT#FTPMODE` value, sent only when set: the manual lists the parameter but not
    /// its values.
    pub mode: Option<u8>,
    /// The settings the modem is known to hold already with this request's values: their
    /// commands are not sent. Empty by default. The adapters fill it from what this port
    /// session set ([`crate::Event::Set`]), never from what another process may have left.
    pub known: Known,
}

/// A parameter command the engine sends: what [`crate::Event::Set`] reports set and
/// [`Known`] holds.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    /// `AT#FTPSERV`.
    Server,
    /// `AT#FTPPORT`.
    Port,
    /// `AT#FTPUN`.
    User,
    /// `AT#FTPPW`.
    Password,
    /// `AT#FTPGETPATH`.
    GetPath,
    /// `AT#FTPGETFILENAME`.
    GetFileName,
    /// `AT#FTPPUTPATH`.
    PutPath,
    /// `AT#FTPPUTFILENAME`.
    PutFileName,
    /// `AT#FTPTYPE`.
    Type,
    /// `AT#FTPMODE`.
    Mode,
}

impl Setting {
    /// Every setting of a transfer.
    pub const ALL: [Setting; 10] = [
        Setting::Server,
        Setting::Port,
        Setting::User,
        Setting::Password,
        Setting::GetPath,
        Setting::GetFileName,
        Setting::PutPath,
        Setting::PutFileName,
        Setting::Type,
        Setting::Mode,
    ];

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of [`Setting`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Known(u16);

impl Known {
    /// No setting.
    pub const NONE: Known = Known(0);

    /// The set with `setting` too.
    pub const fn with(self, setting: Setting) -> Known {
        Known(self.0 | setting.bit())
    }

    /// Whether `setting` is in the set.
    pub const fn contains(self, setting: Setting) -> bool {
        self.0 & setting.bit() != 0
    }
}

/// The value a request gives a setting ([`Request::value`]), as the command line spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettingValue<'a> {
    /// A string (sent in quotes) or a letter (`FTPTYPE`).
    Text(&'a str),
    /// A number.
    Number(u16),
}

impl fmt::Display for SettingValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Text(t) => f.write_str(t),
            SettingValue::Number(n) => write!(f, "{n}"),
        }
    }
}

impl<'a> Request<'a> {
    /// A binary transfer of `file` on `server`, port 21, in the login directory, logging in
    /// as `anonymous` with an empty password; the `with_*` methods set the rest.
    ///
    /// ```
    /// use at_ftp_proto::{Request, TransferType};
    ///
    /// let req = Request::new("ftp.example.com", "data.bin")
    ///     .with_login("bob", "s3cret")
    ///     .with_dir("/pub")
    ///     .with_port(2121)
    ///     .with_kind(TransferType::Ascii);
    /// assert_eq!((req.user, req.dir, req.port), ("bob", "/pub", 2121));
    /// assert!(!format!("{req:?}").contains("s3cret"));
    /// ```
    pub const fn new(server: &'a str, file: &'a str) -> Self {
        Request {
            server,
            port: 21,
            user: "anonymous",
            password: "",
            dir: "",
            file,
            kind: TransferType::Binary,
            mode: None,
            known: Known::NONE,
        }
    }
}

impl<'a> Request<'a> {
    /// The same request, logging in as `user` with `password`.
    pub const fn with_login(self, user: &'a str, password: &'a str) -> Self {
        Request { user, password, ..self }
    }

    /// The same request, for `file` in the remote directory `dir`.
    pub const fn with_dir(self, dir: &'a str) -> Self {
        Request { dir, ..self }
    }

    /// The same request, to the control port `port`.
    pub const fn with_port(self, port: u16) -> Self {
        Request { port, ..self }
    }

    /// The same request, in transfer type `kind`.
    pub const fn with_kind(self, kind: TransferType) -> Self {
        Request { kind, ..self }
    }

    /// The same request, with the raw `AT#FTPMODE` value `mode`.
    pub const fn with_mode(self, mode: u8) -> Self {
        Request { mode: Some(mode), ..self }
    }

    /// The same request, whose `known` settings are not sent (see [`Request::known`]).
    pub const fn with_known(self, known: Known) -> Self {
        Request { known, ..self }
    }

    /// The value this request gives `setting` (`None` for `FTPMODE` when it sends none).
    pub fn value(&self, setting: Setting) -> Option<SettingValue<'a>> {
        Some(match setting {
            Setting::Server => SettingValue::Text(self.server),
            Setting::Port => SettingValue::Number(self.port),
            Setting::User => SettingValue::Text(self.user),
            Setting::Password => SettingValue::Text(self.password),
            Setting::GetPath | Setting::PutPath => SettingValue::Text(self.dir),
            Setting::GetFileName | Setting::PutFileName => SettingValue::Text(self.file),
            Setting::Type => SettingValue::Text(match self.kind {
                TransferType::Binary => "I",
                TransferType::Ascii => "A",
            }),
            Setting::Mode => SettingValue::Number(self.mode?.into()),
        })
    }
}

impl Request<'_> {
    /// Checks every value as a start would, without starting: a command-line tool refuses a
    /// bad argument before it opens the port.
    pub fn check(&self, limits: &Limits) -> Result<(), ParamError> {
        let limits = limits.capped();
        check(Field::Server, self.server, limits.server, false)?;
        if self.port == 0 {
            return Err(ParamError { field: Field::Port, problem: Problem::PortZero });
        }
        check(Field::User, self.user, limits.credential, true)?;
        check(Field::Password, self.password, limits.credential, true)?;
        check(Field::Dir, self.dir, limits.path, true)?;
        check(Field::File, self.file, limits.path, false)
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &Redacted)
            .field("dir", &self.dir)
            .field("file", &self.file)
            .field("kind", &self.kind)
            .field("mode", &self.mode)
            .field("known", &self.known)
            .finish()
    }
}

/// Bringing the GPRS link up: `AT#GPRSMODE=1`, the APN and its login, `AT#CONNECTIONSTART`.
///
/// Its `Debug` output never shows the password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LinkRequest<'a> {
    /// The access point name.
    pub apn: &'a str,
    /// The APN login name; may be empty.
    pub user: &'a str,
    /// The APN password; may be empty. Never logged.
    pub password: &'a str,
}

impl LinkRequest<'_> {
    /// Checks every value as a start would, without starting (see [`Request::check`]).
    pub fn check(&self, limits: &Limits) -> Result<(), ParamError> {
        let limits = limits.capped();
        check(Field::Apn, self.apn, limits.apn, false)?;
        check(Field::ApnUser, self.user, limits.apn, true)?;
        check(Field::ApnPassword, self.password, limits.apn, true)
    }
}

impl fmt::Debug for LinkRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkRequest")
            .field("apn", &self.apn)
            .field("user", &self.user)
            .field("password", &Redacted)
            .finish()
    }
}

/// Stands in for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// A parameter that can be read back. The passwords cannot: reading them would put them in an
/// event.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    /// `FTPSERV`.
    Server,
    /// `FTPPORT`.
    Port,
    /// `FTPUN`.
    User,
    /// `FTPGETPATH`.
    GetPath,
    /// `FTPGETFILENAME`.
    GetFileName,
    /// `FTPPUTPATH`.
    PutPath,
    /// `FTPPUTFILENAME`.
    PutFileName,
    /// `FTPTYPE`.
    Type,
    /// `FTPMODE`.
    Mode,
    /// `FTPFILESIZE` (read only; meaning unconfirmed by the manual).
    FileSize,
    /// `APNSERV`.
    Apn,
    /// `APNUN`.
    ApnUser,
    /// `GPRSMODE`.
    GprsMode,
    /// The link's state, `AT#VSTATE` (read only; answered `#STATE: "CONNECTED"`, `"IDLE"`,
    /// ...). Always asked without `?`, in both dialects: it is an action command, not a
    /// parameter.
    LinkState,
}

impl Param {
    /// The parameter's name as the modem spells it, without the `#`.
    pub const fn name(self) -> &'static str {
        match self {
            Param::Server => "FTPSERV",
            Param::Port => "FTPPORT",
            Param::User => "FTPUN",
            Param::GetPath => "FTPGETPATH",
            Param::GetFileName => "FTPGETFILENAME",
            Param::PutPath => "FTPPUTPATH",
            Param::PutFileName => "FTPPUTFILENAME",
            Param::Type => "FTPTYPE",
            Param::Mode => "FTPMODE",
            Param::FileSize => "FTPFILESIZE",
            Param::Apn => "APNSERV",
            Param::ApnUser => "APNUN",
            Param::GprsMode => "GPRSMODE",
            Param::LinkState => "VSTATE",
        }
    }

    /// The name in the answer line (`#NAME: value`): the parameter's own, except for
    /// [`Param::LinkState`], whose answer is `#STATE: ...`.
    pub const fn answer_name(self) -> &'static str {
        match self {
            Param::LinkState => "STATE",
            other => other.name(),
        }
    }
}

/// How to ask for a parameter's value: the two manuals disagree.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `AT#FTPSERV?` (S000457K, "Universal IP"). The default.
    #[default]
    Query,
    /// `AT#FTPSERV` without `?` (S000333D).
    Legacy,
}

/// What a command line waits for, which picks its deadline and how its answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A parameter command: `OK` or an error. A transfer's settings are named.
    Set(Option<Setting>),
    /// `AT#FTPGET`: `Ok_Info_DataBegin`, data, then the final result.
    Get,
    /// `AT#FTPPUT`: `Ok_Info_WaitingForData`, data from the host, then the final result.
    Put,
    /// `AT#CONNECTIONSTART`: the address line, then `Ok_Info_GprsActivation`.
    Connect,
    /// `AT#CONNECTIONSTOP`: `OK` or an error, within the link's deadline.
    Disconnect,
    /// A parameter read: `#NAME: value`, then `OK`.
    Read(Param),
}

impl Step {
    /// The timer that runs while this command waits for its answer.
    pub(crate) const fn timer(self) -> Timer {
        match self {
            Step::Set(_) | Step::Read(_) => Timer::Command,
            Step::Get | Step::Put => Timer::Start,
            Step::Connect | Step::Disconnect => Timer::Link,
        }
    }
}

/// The most commands one operation sends.
const MAX_COMMANDS: usize = 10;
/// The command lines of one operation, encoded and validated, sent one at a time, in a buffer
/// of `N` bytes (at most `u16::MAX`).
#[derive(Clone)]
pub(crate) struct Script<const N: usize> {
    buf: [u8; N],
    len: usize,
    /// End offset and step of each command.
    commands: [(u16, Step); MAX_COMMANDS],
    count: usize,
    /// The value of the one secret (a password) in `buf`, to redact in logs.
    secret: Option<(u16, u16)>,
    /// A line did not fit (limits beyond the buffer: never, with a checked config): the
    /// value that did not, and its limit.
    overflow: Option<(Field, usize)>,
}

impl<const N: usize> fmt::Debug for Script<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script").field("commands", &self.count).finish_non_exhaustive()
    }
}

/// One command line of a [`Script`]: its range in the script's buffer, and what it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) step: Step,
}

impl Command {
    /// No command (an empty range): a placeholder before the first one is taken.
    pub(crate) const NONE: Command = Command { start: 0, end: 0, step: Step::Set(None) };

    /// Its length in bytes, CR included.
    pub(crate) const fn len(&self) -> usize {
        self.end - self.start
    }
}

impl<const N: usize> Script<N> {
    const fn new() -> Self {
        Script {
            buf: [0; N],
            len: 0,
            commands: [(0, Step::Set(None)); MAX_COMMANDS],
            count: 0,
            secret: None,
            overflow: None,
        }
    }

    /// Empties the script, in place (it is part of the engine: a new one on the stack would
    /// cost its size).
    fn clear(&mut self) {
        self.len = 0;
        self.count = 0;
        self.secret = None;
        self.overflow = None;
    }

    /// Whether every line fit; else the value that did not (with a config whose limits fit
    /// the buffer, `Engine::new`, every value that passed its limit fits).
    fn done(&self) -> Result<(), ParamError> {
        match self.overflow {
            None => Ok(()),
            Some((field, max)) => Err(ParamError { field, problem: Problem::TooLong { max } }),
        }
    }

    /// Becomes the script of a download (`put == false`) or upload; untouched when a value
    /// is refused.
    pub(crate) fn transfer(
        &mut self,
        req: &Request<'_>,
        put: bool,
        limits: &Limits,
    ) -> Result<(), ParamError> {
        req.check(limits)?;
        let limits = limits.capped();
        let (path, name, go, step) = if put {
            ("FTPPUTPATH", "FTPPUTFILENAME", "FTPPUT", Step::Put)
        } else {
            ("FTPGETPATH", "FTPGETFILENAME", "FTPGET", Step::Get)
        };
        let (path_setting, name_setting) = if put {
            (Setting::PutPath, Setting::PutFileName)
        } else {
            (Setting::GetPath, Setting::GetFileName)
        };
        let s = self;
        s.clear();
        let wanted = |setting| !req.known.contains(setting);
        let set = |setting| Step::Set(Some(setting));
        if wanted(Setting::Server) {
            s.quoted("FTPSERV", req.server, (Field::Server, limits.server), set(Setting::Server));
        }
        if wanted(Setting::Port) {
            let port = Digits::of(req.port);
            s.push(&[b"AT#FTPPORT=", port.as_bytes()], set(Setting::Port));
        }
        if wanted(Setting::User) {
            s.quoted("FTPUN", req.user, (Field::User, limits.credential), set(Setting::User));
        }
        if wanted(Setting::Password) {
            let pw = (Field::Password, limits.credential);
            s.quoted("FTPPW", req.password, pw, set(Setting::Password));
        }
        if wanted(path_setting) {
            s.quoted(path, req.dir, (Field::Dir, limits.path), set(path_setting));
        }
        if wanted(name_setting) {
            s.quoted(name, req.file, (Field::File, limits.path), set(name_setting));
        }
        let kind: &[u8] = match req.kind {
            TransferType::Binary => b"I",
            TransferType::Ascii => b"A",
        };
        if wanted(Setting::Type) {
            s.push(&[b"AT#FTPTYPE=", kind], set(Setting::Type));
        }
        if let Some(mode) = req.mode
            && wanted(Setting::Mode)
        {
            let mode = Digits::of(mode.into());
            s.push(&[b"AT#FTPMODE=", mode.as_bytes()], set(Setting::Mode));
        }
        s.push(&[b"AT#", go.as_bytes()], step);
        s.done()
    }

    /// Becomes the script that brings the GPRS link up; untouched when a value is refused.
    pub(crate) fn link(
        &mut self,
        req: &LinkRequest<'_>,
        limits: &Limits,
    ) -> Result<(), ParamError> {
        req.check(limits)?;
        let limits = limits.capped();
        let s = self;
        s.clear();
        s.push(&[b"AT#GPRSMODE=1"], Step::Set(None));
        s.quoted("APNSERV", req.apn, (Field::Apn, limits.apn), Step::Set(None));
        s.quoted("APNUN", req.user, (Field::ApnUser, limits.apn), Step::Set(None));
        s.quoted("APNPW", req.password, (Field::ApnPassword, limits.apn), Step::Set(None));
        s.push(&[b"AT#CONNECTIONSTART"], Step::Connect);
        s.done()
    }

    /// Becomes the script that takes the link down.
    pub(crate) fn unlink(&mut self) {
        self.clear();
        self.push(&[b"AT#CONNECTIONSTOP"], Step::Disconnect);
    }

    /// Becomes the script that reads one parameter back.
    pub(crate) fn read(&mut self, param: Param, dialect: Dialect) {
        self.clear();
        let query: &[u8] = match (dialect, param) {
            (_, Param::LinkState) | (Dialect::Legacy, _) => b"",
            (Dialect::Query, _) => b"?",
        };
        self.push(&[b"AT#", param.name().as_bytes(), query], Step::Read(param));
    }

    /// `AT#<name>="<value>"` for `field`, whose limit is `max`; a password's value is the
    /// script's secret.
    fn quoted(&mut self, name: &str, value: &str, (field, max): (Field, usize), step: Step) {
        let start = self.len + 3 + name.len() + 2;
        let earlier = self.overflow;
        if !self.push(&[b"AT#", name.as_bytes(), b"=\"", value.as_bytes(), b"\""], step) {
            self.overflow = earlier.or(Some((field, max)));
        } else if matches!(field, Field::Password | Field::ApnPassword) {
            // Both ends fit in u16: so does the buffer.
            self.secret = Some((start as u16, (start + value.len()) as u16));
        }
    }

    /// Appends one command line from `parts` and a CR, whole or not at all; false when it did
    /// not fit (the script then fails: `done`).
    fn push(&mut self, parts: &[&[u8]], step: Step) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        let end = self.len + len;
        if end > N || end > usize::from(u16::MAX) || self.count == MAX_COMMANDS {
            // Unreachable through a checked config; the last value is blamed for a line
            // without one.
            self.overflow.get_or_insert((Field::File, N));
            return false;
        }
        for part in parts.iter().chain([&&b"\r"[..]]) {
            self.buf[self.len..self.len + part.len()].copy_from_slice(part);
            self.len += part.len();
        }
        self.commands[self.count] = (self.len as u16, step);
        self.count += 1;
        true
    }

    /// The script of no command (a resynchronisation alone).
    pub(crate) const fn empty() -> Self {
        Script::new()
    }

    /// Becomes the script of no command.
    pub(crate) fn none(&mut self) {
        self.clear();
    }

    /// The `i`th command line, CR included.
    pub(crate) fn command(&self, i: usize) -> Option<Command> {
        if i >= self.count {
            return None;
        }
        let start = if i == 0 { 0 } else { usize::from(self.commands[i - 1].0) };
        let (end, step) = self.commands[i];
        Some(Command { start, end: end.into(), step })
    }

    /// The bytes of `line`.
    pub(crate) fn bytes(&self, line: Command) -> &[u8] {
        self.buf.get(line.start..line.end).unwrap_or_default()
    }

    /// The secret value (a password), or nothing.
    pub(crate) fn secret(&self) -> &[u8] {
        match self.secret {
            Some((start, end)) => self.buf.get(start.into()..end.into()).unwrap_or_default(),
            None => &[],
        }
    }

    /// Where the secret value lies within `line`, relative to its start.
    pub(crate) fn secret_in(&self, line: Command) -> Option<(usize, usize)> {
        let (start, end) = self.secret?;
        let (start, end) = (usize::from(start), usize::from(end));
        (start >= line.start && end <= line.end).then(|| (start - line.start, end - line.start))
    }
}

impl Limits {
    /// These limits, none above [`Limits::MAX`] (a checked config never is; this keeps the
    /// script buffer safe even for an unchecked one).
    const fn capped(&self) -> Limits {
        const fn min(a: usize, b: usize) -> usize {
            if a < b { a } else { b }
        }
        Limits {
            server: min(self.server, Limits::MAX.server),
            credential: min(self.credential, Limits::MAX.credential),
            path: min(self.path, Limits::MAX.path),
            apn: min(self.apn, Limits::MAX.apn),
        }
    }
}

/// Refuses what PROTOCOL.md section 2 forbids in a string value.
fn check(field: Field, value: &str, max: usize, may_be_empty: bool) -> Result<(), ParamError> {
    let problem = if value.is_empty() && !may_be_empty {
        Problem::Empty
    } else if value.len() > max {
        Problem::TooLong { max }
    } else if let Some(at) = value.bytes().position(|b| b == b'"' || b < 0x20 || b == 0x7f) {
        Problem::Forbidden { at }
    } else {
        return Ok(());
    };
    Err(ParamError { field, problem })
}

/// A number in decimal, without allocation.
struct Digits {
    buf: [u8; 5],
    start: usize,
}

impl Digits {
    fn of(mut n: u16) -> Self {
        let mut d = Digits { buf: [b'0'; 5], start: 5 };
        loop {
            d.start -= 1;
            d.buf[d.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return d;
            }
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Script = super::Script<SCRIPT_ROOM>;

    /// A script made by `make`, or the refusal.
    fn made<const N: usize>(
        make: impl FnOnce(&mut super::Script<N>) -> Result<(), ParamError>,
    ) -> Result<super::Script<N>, ParamError> {
        let mut s = super::Script::new();
        make(&mut s).map(|()| s)
    }

    fn lines(s: &Script) -> ([u8; SCRIPT_ROOM], usize) {
        let mut out = [0; SCRIPT_ROOM];
        let mut n = 0;
        let mut i = 0;
        while let Some(line) = s.command(i) {
            let b = s.bytes(line);
            out[n..n + b.len()].copy_from_slice(b);
            n += b.len();
            i += 1;
        }
        (out, n)
    }

    #[test]
    fn a_download_is_encoded_in_order() {
        let mut req =
            Request::new("ftp.example.com", "a.bin").with_login("bob", "s3cret").with_dir("/pub");
        req.port = 2121;
        req.mode = Some(1);
        let s = made(|s: &mut Script| s.transfer(&req, false, &Limits::DEFAULT)).unwrap();
        let (out, n) = lines(&s);
        assert_eq!(
            &out[..n],
            b"AT#FTPSERV=\"ftp.example.com\"\rAT#FTPPORT=2121\rAT#FTPUN=\"bob\"\r\
              AT#FTPPW=\"s3cret\"\rAT#FTPGETPATH=\"/pub\"\rAT#FTPGETFILENAME=\"a.bin\"\r\
              AT#FTPTYPE=I\rAT#FTPMODE=1\rAT#FTPGET\r"
        );
        let pw = s.command(3).unwrap();
        let (a, b) = s.secret_in(pw).unwrap();
        assert_eq!(&s.bytes(pw)[a..b], b"s3cret");
        assert_eq!(s.secret_in(s.command(2).unwrap()), None);
    }

    #[test]
    fn values_that_could_inject_a_command_are_refused() {
        let bad = ["a\"b", "a\rAT#FTPPW", "a\nb", "\0", "x\x7f", "\x1b"];
        for v in bad {
            let req = Request::new("h", v).with_login("u", "p");
            let err = made(|s: &mut Script| s.transfer(&req, true, &Limits::DEFAULT)).unwrap_err();
            assert_eq!(err.field, Field::File, "{v:?}");
            assert!(matches!(err.problem, Problem::Forbidden { .. }), "{v:?}");
        }
        let long = [b'a'; 121];
        let long = core::str::from_utf8(&long).unwrap();
        let req = Request::new(long, "f").with_login("u", "p");
        let err = made(|s: &mut Script| s.transfer(&req, false, &Limits::DEFAULT)).unwrap_err();
        assert_eq!(
            err,
            ParamError { field: Field::Server, problem: Problem::TooLong { max: 120 } }
        );
        let mut req = Request::new("h", "f").with_login("u", "p");
        req.port = 0;
        assert_eq!(
            made(|s: &mut Script| s.transfer(&req, false, &Limits::DEFAULT)).unwrap_err().problem,
            Problem::PortZero
        );
        let err = made(|s: &mut Script| {
            s.link(&LinkRequest { apn: "", user: "", password: "" }, &Limits::DEFAULT)
        })
        .unwrap_err();
        assert_eq!(err, ParamError { field: Field::Apn, problem: Problem::Empty });
    }

    #[test]
    fn the_longest_script_fits() {
        let max = [b'x'; 255];
        let max = core::str::from_utf8(&max).unwrap();
        let cred = &max[..128];
        let mut req = Request::new(max, max).with_login(cred, cred).with_dir(max);
        req.port = 65535;
        req.mode = Some(255);
        let s = made(|s: &mut Script| s.transfer(&req, true, &Limits::MAX)).unwrap();
        let (out, n) = lines(&s);
        assert!(out[..n].ends_with(b"AT#FTPMODE=255\rAT#FTPPUT\r"));
        assert_eq!(s.count, 9);
        // `script_len` is exact for both kinds of script, at any limits.
        let v = |n: usize| &max[..n];
        let longest = |limits: Limits| {
            let mut req = Request::new(v(limits.server), v(limits.path))
                .with_login(v(limits.credential), v(limits.credential))
                .with_dir(v(limits.path))
                .with_mode(255);
            req.port = 65535;
            (req, LinkRequest { apn: v(limits.apn), user: v(limits.apn), password: v(limits.apn) })
        };
        let odd = Limits { server: 7, credential: 3, path: 11, apn: 90 };
        for limits in [Limits::MAX, Limits::DEFAULT, odd] {
            let (req, link) = longest(limits);
            let t = made(|s: &mut Script| s.transfer(&req, false, &limits)).unwrap().len;
            let l = made(|s: &mut Script| s.link(&link, &limits)).unwrap().len;
            assert_eq!(t.max(l), limits.script_len(), "{limits:?}");
        }
        // One byte less room: refused, naming a value, never sent short.
        const ROOM: usize = Limits::DEFAULT.script_len();
        let (req, _) = longest(Limits::DEFAULT);
        let short = made::<{ ROOM - 1 }>(|s| s.transfer(&req, true, &Limits::DEFAULT));
        let err = short.map(|s| s.len).unwrap_err();
        assert!(matches!(err.problem, Problem::TooLong { .. }), "{err:?}");
        let fits = made::<ROOM>(|s| s.transfer(&req, true, &Limits::DEFAULT));
        assert_eq!(fits.map(|s| s.len), Ok(ROOM));
    }

    #[test]
    fn reads_in_both_dialects() {
        let mut s = Script::new();
        s.read(Param::Server, Dialect::Query);
        assert_eq!(s.bytes(s.command(0).unwrap()), b"AT#FTPSERV?\r");
        s.read(Param::FileSize, Dialect::Legacy);
        assert_eq!(s.bytes(s.command(0).unwrap()), b"AT#FTPFILESIZE\r");
        for dialect in [Dialect::Query, Dialect::Legacy] {
            s.read(Param::LinkState, dialect);
            assert_eq!(s.bytes(s.command(0).unwrap()), b"AT#VSTATE\r");
        }
        s.unlink();
        assert_eq!(s.bytes(s.command(0).unwrap()), b"AT#CONNECTIONSTOP\r");
    }

    #[test]
    fn debug_hides_passwords() {
        let req = Request::new("h", "f").with_login("u", "hunter2");
        assert!(!std::format!("{req:?}").contains("hunter2"));
        let link = LinkRequest { apn: "a", user: "u", password: "hunter2" };
        assert!(!std::format!("{link:?}").contains("hunter2"));
    }
}
