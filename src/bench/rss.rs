//! Peak resident memory of a process, from Linux's `/proc/PID/status` (`VmHWM`). The peak is
//! reset by writing `5` to `/proc/PID/clear_refs` (Linux 4.0+), so every matrix cell gets its
//! own peak.

/// Which process to watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Process {
    /// This process.
    Own,
    /// Another process by id (a server started separately).
    Pid(u32),
}

impl Process {
    fn dir(self) -> String {
        match self {
            Process::Own => "/proc/self".to_string(),
            Process::Pid(p) => format!("/proc/{p}"),
        }
    }

    /// Resets the peak to the current resident size; false where that is not possible.
    pub fn reset_peak(self) -> bool {
        std::fs::write(format!("{}/clear_refs", self.dir()), "5").is_ok()
    }

    /// Peak resident bytes since the last reset (or the process start), if readable.
    pub fn peak_bytes(self) -> Option<u64> {
        self.status_field("VmHWM:")
    }

    /// Current resident bytes, if readable.
    pub fn current_bytes(self) -> Option<u64> {
        self.status_field("VmRSS:")
    }

    fn status_field(self, name: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("{}/status", self.dir())).ok()?;
        parse_status_kib(&text, name)
    }
}

/// Reads a `Name:   1234 kB` line of a `/proc/PID/status` text, in bytes.
pub fn parse_status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => kib.checked_mul(1024),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        let text = "Name:\tmpu\nVmPeak:\t  200 kB\nVmHWM:\t   1536 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(parse_status_kib(text, "VmHWM:"), Some(1536 * 1024));
        assert_eq!(parse_status_kib(text, "VmRSS:"), Some(1024 * 1024));
        assert_eq!(parse_status_kib(text, "VmSwap:"), None);
        assert_eq!(parse_status_kib("VmHWM: x kB", "VmHWM:"), None);
    }

    #[test]
    fn own_peak_grows_with_a_touched_allocation() {
        let v = vec![1u8; 32 << 20];
        let peak = Process::Own.peak_bytes().unwrap();
        assert!(peak >= 32 << 20, "peak {peak}");
        assert!(Process::Own.current_bytes().is_some());
        assert_eq!(v.iter().map(|b| *b as u64).sum::<u64>(), 32 << 20);
    }
}
