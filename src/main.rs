//! The `tend` binary: parse the command line, hand over to the library.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tend::cli::run(tend::cli::Cli::parse()).await
}
