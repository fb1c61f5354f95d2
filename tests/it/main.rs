//! Black-box tests: each starts the real app on a random port with its own temp data dir and
//! talks HTTP to it (or runs the real binary). One test binary, so it links once.

mod auth;
mod csrf;
mod harness;
mod pages;
mod roles;
mod setup;
mod support;
