//! Bucket configuration documents.

use serde::{Deserialize, Serialize};

/// Request body of CreateBucket when the client's region is not us-east-1:
/// `<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateBucketConfiguration {
    /// `LocationConstraint`: the region.
    #[serde(
        rename = "LocationConstraint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub location_constraint: Option<String>,
}

/// Response of GetBucketLocation (`GET /{b}?location`): the region as the root's text,
/// empty for us-east-1 (`<LocationConstraint xmlns="…"></LocationConstraint>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationConstraint {
    /// The region; empty for us-east-1.
    #[serde(rename = "$text", default)]
    pub region: String,
}

/// Request body of PutBucketVersioning and response of GetBucketVersioning. A bucket that
/// was never versioned answers with no `Status` (`<VersioningConfiguration xmlns="…"></VersioningConfiguration>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersioningConfiguration {
    /// `Status`: `Enabled` or `Suspended`.
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `MfaDelete`: `Enabled` or `Disabled`.
    #[serde(rename = "MfaDelete", default, skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
}
