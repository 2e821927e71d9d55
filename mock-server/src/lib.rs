//! A mock object store that speaks the S3, Huawei OBS and QingStor multipart protocols.
//!
//! Modules are added as the request path is built:
//! HTTP -> dialect codec -> faults -> service -> store.

pub mod auth;
pub mod aws_chunked;
pub mod checksum;
