//! Splitting a file into parts: part size within the part-count cap and the dialect's minimum,
//! parts of equal size except a shorter last one.

use serde::Serialize;

use super::config::{DialectLimits, MIB};
use super::error::ConfigError;

/// Part size aimed at when the caller does not choose one (as boto3/s3transfer).
pub const TARGET_PART_SIZE: u64 = 8 * MIB;

/// Part sizes chosen automatically are rounded up to a multiple of this.
const ALIGN: u64 = 64 * 1024;

/// How a file of a given size is cut into parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PartPlan {
    /// File size in bytes.
    pub file_size: u64,
    /// Size of every part but the last.
    pub part_size: u64,
    /// Number of parts (at least 1: an empty file is one empty part).
    pub part_count: u32,
}

/// One part: zero-based index and byte range in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartRange {
    /// Zero-based index (the wire number depends on the dialect).
    pub index: u32,
    /// Offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

impl PartPlan {
    /// A plan with an explicit part size. The dialect's minimum part size is *not* enforced
    /// here (test servers often lower it); the maximum part size and part count are.
    pub fn with_part_size(
        file_size: u64,
        part_size: u64,
        limits: &DialectLimits,
    ) -> Result<PartPlan, ConfigError> {
        if part_size == 0 {
            return Err(ConfigError::ZeroPartSize);
        }
        if part_size > limits.max_part_size {
            return Err(ConfigError::PartTooLarge {
                part_size,
                max: limits.max_part_size,
            });
        }
        let parts = file_size.div_ceil(part_size).max(1);
        if parts > u64::from(limits.max_parts) {
            return Err(ConfigError::TooManyParts {
                file_size,
                part_size,
                parts,
                max: limits.max_parts,
            });
        }
        Ok(PartPlan {
            file_size,
            part_size,
            // parts <= max_parts <= u32::MAX, checked above
            part_count: u32::try_from(parts).unwrap_or(u32::MAX),
        })
    }

    /// Chooses a part size for `file_size`: at least [`TARGET_PART_SIZE`], the dialect's
    /// minimum and `file_size / max_parts`; then the file is split into that many parts of equal
    /// size (rounded up to 64 KiB, never below the minimum) so the last part is not a tiny
    /// remainder. An explicit `requested` size wins (see [`PartPlan::with_part_size`]).
    pub fn choose(
        file_size: u64,
        requested: Option<u64>,
        limits: &DialectLimits,
    ) -> Result<PartPlan, ConfigError> {
        if let Some(size) = requested {
            return Self::with_part_size(file_size, size, limits);
        }
        let max_object = limits
            .max_part_size
            .saturating_mul(u64::from(limits.max_parts));
        if file_size > max_object {
            return Err(ConfigError::FileTooLarge {
                file_size,
                max: max_object,
            });
        }
        if file_size == 0 {
            return Self::with_part_size(0, limits.min_part_size.max(1), limits);
        }
        let floor = TARGET_PART_SIZE
            .max(limits.min_part_size)
            .max(file_size.div_ceil(u64::from(limits.max_parts)));
        let count = file_size.div_ceil(floor);
        let balanced = file_size
            .div_ceil(count)
            .div_ceil(ALIGN)
            .saturating_mul(ALIGN)
            .max(limits.min_part_size)
            .min(limits.max_part_size);
        Self::with_part_size(file_size, balanced, limits)
    }

    /// The part at `index`, if it exists.
    pub fn part(&self, index: u32) -> Option<PartRange> {
        if index >= self.part_count {
            return None;
        }
        let offset = u64::from(index) * self.part_size;
        let len = self.part_size.min(self.file_size.saturating_sub(offset));
        Some(PartRange { index, offset, len })
    }

    /// All parts in order.
    pub fn parts(&self) -> impl Iterator<Item = PartRange> + '_ {
        (0..self.part_count).filter_map(|i| self.part(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uploader::config::Dialect;
    use proptest::prelude::*;

    const GIB: u64 = 1024 * MIB;

    #[test]
    fn empty_file_is_one_empty_part() {
        let p = PartPlan::choose(0, None, &Dialect::S3.limits()).unwrap();
        assert_eq!(p.part_count, 1);
        assert_eq!(
            p.part(0),
            Some(PartRange {
                index: 0,
                offset: 0,
                len: 0
            })
        );
        assert_eq!(p.part(1), None);
    }

    #[test]
    fn small_file_is_one_part() {
        let p = PartPlan::choose(3, None, &Dialect::S3.limits()).unwrap();
        assert_eq!(p.part_count, 1);
        assert_eq!(p.part(0).unwrap().len, 3);
    }

    #[test]
    fn parts_are_balanced_but_respect_the_minimum() {
        // 17 MiB: three 8 MiB-ish cuts would leave 1 MiB; balanced gives three equal parts.
        let p = PartPlan::choose(17 * MIB, None, &Dialect::S3.limits()).unwrap();
        assert_eq!(p.part_count, 3);
        let lens: Vec<u64> = p.parts().map(|r| r.len).collect();
        assert!(lens[0] == lens[1] && lens[2] <= lens[0] && lens[0] - lens[2] < 2 * ALIGN);
        // Just above the S3 minimum: balancing must not go below 5 MiB.
        let p = PartPlan::choose(9 * MIB, None, &Dialect::S3.limits()).unwrap();
        assert_eq!(p.part_size, 5 * MIB);
        assert_eq!(p.part_count, 2);
    }

    #[test]
    fn huge_files_stay_under_the_part_cap() {
        let size = 4 * 1024 * GIB + 12345; // 4 TiB
        let p = PartPlan::choose(size, None, &Dialect::S3.limits()).unwrap();
        assert!(p.part_count <= 10_000);
        assert!(p.part_size <= 5 * GIB);
        assert_eq!(p.part_count as u64, size.div_ceil(p.part_size));
    }

    #[test]
    fn too_large_files_and_sizes_are_rejected() {
        let limits = Dialect::S3.limits();
        assert!(matches!(
            PartPlan::choose(10_000 * 5 * GIB + 1, None, &limits),
            Err(ConfigError::FileTooLarge { .. })
        ));
        assert!(matches!(
            PartPlan::choose(10_001, Some(1), &limits),
            Err(ConfigError::TooManyParts { parts: 10_001, .. })
        ));
        assert_eq!(
            PartPlan::choose(10, Some(0), &limits),
            Err(ConfigError::ZeroPartSize)
        );
        assert!(matches!(
            PartPlan::choose(10, Some(6 * GIB), &limits),
            Err(ConfigError::PartTooLarge { .. })
        ));
    }

    #[test]
    fn explicit_part_size_is_honoured_below_the_minimum() {
        let p = PartPlan::choose(1000, Some(300), &Dialect::S3.limits()).unwrap();
        assert_eq!(p.part_count, 4);
        let lens: Vec<u64> = p.parts().map(|r| r.len).collect();
        assert_eq!(lens, vec![300, 300, 300, 100]);
    }

    proptest! {
        #[test]
        fn parts_tile_the_file_exactly(size in 0u64..(200 * MIB), requested in proptest::option::of(1u64..(16 * MIB))) {
            for dialect in Dialect::ALL {
                let limits = dialect.limits();
                let Ok(plan) = PartPlan::choose(size, requested, &limits) else { continue };
                let mut next = 0u64;
                let parts: Vec<PartRange> = plan.parts().collect();
                prop_assert_eq!(parts.len() as u32, plan.part_count);
                for (i, r) in parts.iter().enumerate() {
                    prop_assert_eq!(r.index as usize, i);
                    prop_assert_eq!(r.offset, next);
                    prop_assert!(r.len <= plan.part_size);
                    if i + 1 < parts.len() {
                        prop_assert_eq!(r.len, plan.part_size);
                        if requested.is_none() {
                            prop_assert!(r.len >= limits.min_part_size);
                        }
                    } else if size > 0 {
                        prop_assert!(r.len > 0);
                    }
                    next += r.len;
                }
                prop_assert_eq!(next, size);
                prop_assert!(plan.part_count <= limits.max_parts);
            }
        }
    }
}
