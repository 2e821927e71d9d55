//! Scaling a scenario's workload to a client's smallest part size.
//!
//! Most SDKs refuse parts below 5 MiB (s3transfer raises the chunk size, rclone, s3cmd and
//! minio-py reject smaller), while the shipped scenarios use 256 KiB parts to stay fast. For
//! such a client the scenario keeps its number of parts, its tail and its faults; the part
//! size, the object size and the mock's minimum part size grow by the same whole factor.

use crate::scenario::model::Size;
use crate::scenario::Scenario;

/// The scenario as a client whose smallest part is `min_part` bytes must run it (unchanged
/// when its parts are already large enough or it leaves the part size to the client).
pub fn scale_to_min_part(s: &Scenario, min_part: u64) -> Scenario {
    let mut out = s.clone();
    let Some(Size(ps)) = s.workload.part_size else {
        return out;
    };
    if ps == 0 || ps >= min_part {
        return out;
    }
    let factor = min_part.div_ceil(ps);
    let new_ps = ps * factor;
    let (full, tail) = (s.workload.size.0 / ps, s.workload.size.0 % ps);
    out.workload.part_size = Some(Size(new_ps));
    out.workload.size = Size(full * new_ps + tail);
    if let Some(Size(m)) = s.server.min_part_size {
        out.server.min_part_size = Some(Size(m.saturating_mul(factor)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(size: u64, part: Option<u64>, min: Option<u64>) -> Scenario {
        let mut text = format!("name='x'\n[workload]\nsize={size}\n");
        if let Some(p) = part {
            text += &format!("part_size={p}\n");
        }
        if let Some(m) = min {
            text += &format!("[server]\nmin_part_size={m}\n");
        }
        Scenario::from_toml(&text, Path::new("x.toml")).unwrap()
    }

    #[test]
    fn small_parts_grow_keeping_part_count_and_tail() {
        let s = scale_to_min_part(&scenario(1_310_797, Some(262_144), Some(262_144)), 5 << 20);
        assert_eq!(s.workload.part_size, Some(Size(5 << 20)));
        assert_eq!(s.workload.size, Size(5 * (5 << 20) + 77));
        assert_eq!(s.server.min_part_size, Some(Size(5 << 20)));
        // A factor that is not a power of two rounds the part size up.
        let s = scale_to_min_part(&scenario(3_000_000, Some(1_000_000), None), 2_500_000);
        assert_eq!(s.workload.part_size, Some(Size(3_000_000)));
        assert_eq!(s.workload.size, Size(9_000_000));
        assert_eq!(s.server.min_part_size, None);
    }

    #[test]
    fn large_or_unset_parts_are_left_alone() {
        let s = scale_to_min_part(&scenario(16 << 20, Some(5 << 20), None), 5 << 20);
        assert_eq!(s.workload.size, Size(16 << 20));
        let s = scale_to_min_part(&scenario(1000, None, None), 5 << 20);
        assert_eq!(s.workload.size, Size(1000));
        assert_eq!(s.workload.part_size, None);
    }
}
