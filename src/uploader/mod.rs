//! The reference multipart uploader.

pub mod budget;
pub mod checkpoint;
pub mod codec;
pub mod config;
mod engine;
pub mod error;
pub mod failure;
pub mod http;
pub mod integrity;
pub mod plan;
pub mod progress;
pub mod reader;
pub mod remote;
pub mod report;
pub mod retry;

#[cfg(test)]
mod engine_tests;

pub use config::{
    ChecksumChoice, Credentials, Dialect, DialectLimits, PayloadSigning, Timeouts, UploaderConfig,
};
pub use error::{Cleanup, ConfigError, UploadError};
pub use failure::{AttemptError, BodyStage, Cause, ConnectionKind, Phase, TimeoutKind};
pub use plan::PartPlan;
pub use progress::{ProgressEvent, ProgressFn};
pub use report::UploadReport;
pub use retry::Backoff;
