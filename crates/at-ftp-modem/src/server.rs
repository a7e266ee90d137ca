//! An FTP server in this process, for tests and the demo: libunftp with its filesystem
//! back-end, serving one directory on `127.0.0.1` to one user with a password.
//!
//! This module owns the server's runtime and its login check. It needs no system package and
//! no root: the control port is chosen by the kernel (`127.0.0.1:0`) and reported by
//! [`FtpServer::addr`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use libunftp::ServerBuilder;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};
use unftp_sbe_fs::Filesystem;

/// One user and password, every other login refused; or, with `None`, any login at all.
struct Login(Option<(String, String)>);

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = self.0.as_ref().map(|(user, _)| user.as_str());
        f.debug_struct("Login").field("user", &user).field("password", &"***").finish()
    }
}

#[async_trait]
impl Authenticator for Login {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if let Some((user, password)) = &self.0 {
            if username != user {
                return Err(AuthenticationError::BadUser);
            }
            if creds.password.as_deref() != Some(password.as_str()) {
                return Err(AuthenticationError::BadPassword);
            }
        }
        Ok(Principal { username: username.to_owned() })
    }
}

/// A running FTP server. It stops when dropped.
pub struct FtpServer {
    addr: SocketAddr,
    root: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for FtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpServer").field("addr", &self.addr).field("root", &self.root).finish()
    }
}

impl FtpServer {
    /// Serves `root` (which must exist) to `user` with `password`, on a free port of
    /// `127.0.0.1`, from threads of its own (a runtime of its own, so it may be started and
    /// dropped from sync or async code alike).
    pub fn start(root: impl Into<PathBuf>, user: &str, password: &str) -> io::Result<FtpServer> {
        FtpServer::serve(root.into(), Login(Some((user.to_owned(), password.to_owned()))))
    }

    /// Serves `root` to any user with any password (see [`start`](Self::start)).
    pub fn start_open(root: impl Into<PathBuf>) -> io::Result<FtpServer> {
        FtpServer::serve(root.into(), Login(None))
    }

    fn serve(root: PathBuf, login: Login) -> io::Result<FtpServer> {
        // Fail here, not in the first session, when the directory is not there.
        Filesystem::new(&root)?;
        let login = Arc::new(login);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ftp-server")
            .enable_all()
            .build()?;
        // Bound here, not with `block_on`: that would panic when called from async code.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let served = root.clone();
        runtime.spawn(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            // libunftp's `service` takes one connection and consumes its server, so each
            // connection gets a server of its own: that is what lets the kernel pick the port.
            while let Ok((stream, _)) = listener.accept().await {
                // A root that vanished while serving refuses the connection; the generator
                // below then runs right after this check, in the same task.
                if Filesystem::new(&served).is_err() {
                    continue;
                }
                let root = served.clone();
                let storage = move || Filesystem::new(&root).expect("checked just before");
                let server = ServerBuilder::with_authenticator(Box::new(storage), login.clone())
                    .passive_ports(49152..=65535)
                    .build();
                if let Ok(server) = server {
                    tokio::spawn(server.service(stream));
                }
            }
        });
        Ok(FtpServer { addr, root, runtime: Some(runtime) })
    }

    /// The control connection's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
