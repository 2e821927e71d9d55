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

    /// CPU time (user + system) the process has used so far, in seconds, if readable.
    pub fn cpu_secs(self) -> Option<f64> {
        let text = std::fs::read_to_string(format!("{}/stat", self.dir())).ok()?;
        parse_stat_cpu_ticks(&text).map(|t| t as f64 / CLOCK_TICKS_PER_SEC)
    }

    fn status_field(self, name: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("{}/status", self.dir())).ok()?;
        parse_status_kib(&text, name)
    }
}

/// `USER_HZ`, the unit of `/proc/PID/stat` CPU times (100 on every Linux port in use).
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line, in clock ticks. The command
/// name (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
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
    fn stat_cpu_ticks_parse_after_the_command_name() {
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 1";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(281));
        assert_eq!(parse_stat_cpu_ticks("42 (x) S 1 2"), None);
        assert!(Process::Own.cpu_secs().is_some());
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
