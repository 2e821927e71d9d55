//! The test file: pseudo-random bytes (incompressible, so no layer can cheat), written fast.

use std::io::Write;
use std::path::Path;

use super::BenchError;

/// Fills `buf` with pseudo-random bytes from a xorshift generator seeded with `seed`.
pub fn fill_pseudo_random(buf: &mut [u8], seed: u64) {
    let mut x = seed | 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// Writes `size` pseudo-random bytes to `path` (replacing it).
pub fn write_test_file(path: &Path, size: u64) -> Result<(), BenchError> {
    let io_err = |source| BenchError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io_err)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    while left > 0 {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let n = left.min(buf.len() as u64) as usize;
        fill_pseudo_random(&mut buf[..n], seed);
        out.write_all(&buf[..n]).map_err(io_err)?;
        left -= n as u64;
    }
    out.flush().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_has_the_size_and_is_not_constant() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_test_file(&p, (1 << 20) + 13).unwrap();
        let data = std::fs::read(&p).unwrap();
        assert_eq!(data.len(), (1 << 20) + 13);
        let first_mib = &data[..1 << 20];
        let zeros = first_mib.iter().filter(|b| **b == 0).count();
        assert!(zeros < 10_000, "{zeros} zero bytes in 1 MiB");
        assert_ne!(&data[..64], &data[1 << 19..(1 << 19) + 64]);
    }
}
