//! What the tools that drive a real server share: the `soak` and `bench` binaries
//! (`src/bin/`) and the integration tests that run the `spaser` binary (`tests/it/process.rs`).
//! The application itself uses none of it.
//!
//! - [`http`]: a small HTTP/1.1 client over plain sockets (one exchange per connection, or a
//!   kept-alive connection for the benchmark), reading forms' fields, signing in;
//! - [`cluster`]: a private PostgreSQL cluster in a temporary directory, or the server
//!   `DATABASE_URL` names, and a migrated database on it;
//! - [`serve`]: the router served on a free port, as `spaser serve` serves it.
//!
//! It lives in the library, rather than in a `tools` crate of a workspace or in a file each
//! binary includes with `#[path]`, so that it is compiled once, checked by clippy like the rest
//! (a `#[path]` file would need `dead_code` allowances in each binary that uses part of it),
//! usable from the tests as `spaser::tools`, and so that `cargo run --bin soak` works as before.

pub mod cluster;
pub mod decp_file;
pub mod http;

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;

/// Serves `app` on a free port of 127.0.0.1, as `spaser serve` does (the client's address
/// known to the handlers); returns the address and the server's task.
pub async fn serve(app: Router) -> std::io::Result<(String, JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Ok((address, server))
}
