//! multipart-harness: a reference multipart uploader, a scenario runner and client conformance
//! checks, all built around the `mock-server` S3/OBS/QingStor mock.
//!
//! * [`uploader`] — the reference uploader ([`uploader::Uploader`]).
//! * [`bench`] — benchmarks: part size x concurrency matrices ([`bench::matrix`]).
//! * [`cli`] — the `mpu` command line.
//! * [`conform`] — conformance checking of other clients (`mpu conform`).
#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod conform;
pub mod scenario;
pub mod uploader;
