//! A mock object store that speaks the S3, Huawei OBS and QingStor multipart protocols on one
//! port, for testing the clients that upload large files.
//!
//! A request flows one way: HTTP ([`http`]) -> dialect codec ([`dialect`]) -> service
//! ([`service`]) -> store ([`store`]); the answer flows back through the same codec.
//! The wire vocabulary both the server and clients need — signing ([`auth`]), checksums
//! ([`checksum`]), `aws-chunked` bodies ([`aws_chunked`]) and the XML/JSON documents
//! ([`wire`]) — is public, so an uploader signs and parses with the very code the server
//! verifies with.
//!
//! Start one in a test with [`MockServer::start`].
#![warn(missing_docs)]

pub mod admin;
#[cfg(feature = "jemalloc")]
pub mod alloc;
pub mod app;
pub mod auth;
pub mod aws_chunked;
pub mod checksum;
pub mod dialect;
pub mod error;
pub mod expect;
pub mod faults;
pub mod http;
pub mod journal;
pub mod md5_lanes;
mod mock;
pub mod ops;
pub mod payload;
pub mod service;
pub mod store;
pub mod wire;

pub use mock::{MockServer, MockServerBuilder, StartError, StoreKind};
