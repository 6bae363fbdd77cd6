//! CPU shares over a timed window, read from /proc: how much of the machine
//! (cores × wall time) PostgreSQL, tend and the SMTP sink each used while a
//! figure was measured, and how busy the whole machine was (other users
//! included). This is what says which side limits a figure.
//!
//! A process's time is `utime + stime` from /proc/PID/stat (all its threads,
//! in clock ticks: `getconf CLK_TCK`, or 100, Linux's USER_HZ, when that
//! cannot be run). PostgreSQL is a tree: the postmaster and every child of it
//! (backends, autovacuum, WAL writer, checkpointer). A backend that exits
//! inside the window is not lost: when the postmaster reaps it, its time
//! moves into the postmaster's `cutime + cstime`, which the tree counts. The
//! postmaster is found from the benchmark's own connection, as the parent of
//! `pg_backend_pid()`, so no data directory needs to be known.
//!
//! Sample the end of the window before stopping any watched process: the
//! time of a process that is gone cannot be read.

use std::sync::OnceLock;
use std::time::Instant;

use sqlx::PgPool;

use crate::report::{Row, Runs, Table};

/// The fields of /proc/PID/stat this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ppid: u32,
    /// utime + stime: the process's own time, all threads.
    pub own: u64,
    /// cutime + cstime: the time of its children that it has reaped.
    pub reaped: u64,
}

/// Parses one /proc/PID/stat line. The command name (field 2) is in
/// parentheses and may itself hold spaces and parentheses, so the fields are
/// counted from the last `)`.
pub fn parse_stat(line: &str) -> Option<Stat> {
    let (_, rest) = line.rsplit_once(')')?;
    // After the name: state (field 3), ppid (4), … utime (14) … cstime (17).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    Some(Stat { ppid: u32::try_from(field(4)?).ok()?, own: field(14)? + field(15)?, reaped: field(16)? + field(17)? })
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Clock ticks per second, as /proc counts them.
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1, |n| n.get()) as f64
}

/// Which processes make one side of a measurement.
#[derive(Debug, Clone)]
pub enum Side {
    /// These processes (tend instances, the sink, the benchmark itself).
    Processes(Vec<u32>),
    /// A process and all its children, living or reaped (PostgreSQL).
    Tree(u32),
    /// Only the children this process has reaped: a tool that starts and
    /// exits inside the window (smtp-source), whose time moves into the
    /// parent's `cutime + cstime` when it is waited for. Sample the end
    /// after that wait.
    ReapedBy(u32),
}

impl Side {
    /// PostgreSQL's whole cluster, found through `pool`.
    pub async fn postgres(pool: &PgPool) -> anyhow::Result<Side> {
        let backend: i32 = sqlx::query_scalar("select pg_backend_pid()").fetch_one(pool).await?;
        let backend = u32::try_from(backend)?;
        let stat = read_stat(backend)
            .ok_or_else(|| anyhow::anyhow!("cannot read /proc/{backend}/stat: is PostgreSQL on this machine?"))?;
        Ok(Side::Tree(stat.ppid))
    }

    /// Clock ticks used so far; processes that are gone count nothing.
    fn ticks(&self) -> u64 {
        match self {
            Side::Processes(pids) => pids.iter().filter_map(|&pid| read_stat(pid)).map(|s| s.own).sum(),
            Side::Tree(root) => {
                let children: u64 = children_of(*root).map(|s| s.own + s.reaped).sum();
                read_stat(*root).map_or(0, |s| s.own + s.reaped) + children
            }
            Side::ReapedBy(parent) => read_stat(*parent).map_or(0, |s| s.reaped),
        }
    }
}

/// Every living process whose parent is `root`.
fn children_of(root: u32) -> impl Iterator<Item = Stat> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_stat)
        .filter(move |s| s.ppid == root)
}

/// The whole machine's busy and total ticks (first line of /proc/stat).
fn machine_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine(text.lines().next()?)
}

/// `cpu  user nice system idle iowait irq softirq steal …`: (busy, total).
/// Guest time is already inside user, so only the first eight count.
fn parse_machine(line: &str) -> Option<(u64, u64)> {
    let values: Vec<u64> =
        line.strip_prefix("cpu ")?.split_whitespace().take(8).map(|v| v.parse().ok()).collect::<Option<_>>()?;
    let total: u64 = values.iter().sum();
    let idle = values.get(3)? + values.get(4)?;
    Some((total - idle, total))
}

/// A window being measured: each side's ticks at its start.
pub struct Window {
    started: Instant,
    sides: Vec<(String, Side, u64)>,
    machine: Option<(u64, u64)>,
}

impl Window {
    pub fn start(sides: Vec<(&str, Side)>) -> Window {
        clock_ticks();
        let sides = sides
            .into_iter()
            .map(|(name, side)| {
                let ticks = side.ticks();
                (name.to_owned(), side, ticks)
            })
            .collect();
        Window { started: Instant::now(), sides, machine: machine_ticks() }
    }

    /// Each side's share of cores × the window's wall time, in percent.
    pub fn finish(self) -> Shares {
        let wall = self.started.elapsed().as_secs_f64();
        let capacity = cores() * wall * clock_ticks();
        let sides = self
            .sides
            .into_iter()
            .map(|(name, side, before)| (name, 100.0 * side.ticks().saturating_sub(before) as f64 / capacity))
            .collect();
        let machine = match (self.machine, machine_ticks()) {
            (Some((busy0, total0)), Some((busy1, total1))) if total1 > total0 => {
                100.0 * (busy1 - busy0) as f64 / (total1 - total0) as f64
            }
            _ => f64::NAN,
        };
        Shares { sides, machine, wall }
    }
}

/// One window's shares, in percent of the machine.
#[derive(Debug, Clone, Default)]
pub struct Shares {
    pub sides: Vec<(String, f64)>,
    /// The whole machine's busy share, whoever used it.
    pub machine: f64,
    /// The window's length, seconds.
    pub wall: f64,
}

impl Shares {
    /// "CPU: PostgreSQL 48 %, tend 30 %, smtp-sink 9 % (machine busy 95 %)".
    pub fn summary(&self) -> String {
        let sides: Vec<String> = self.sides.iter().map(|(name, share)| format!("{name} {share:.0} %")).collect();
        format!("CPU: {} (machine busy {:.0} %)", sides.join(", "), self.machine)
    }

    /// The whole machine's busy time per unit of work, in µs, for `units`
    /// done inside the window: what one message (or answer) cost the
    /// machine, every side and other users included. Two runs' figures
    /// compare even when one left more of the machine idle than the other.
    pub fn machine_micros_each(&self, units: f64) -> f64 {
        self.micros_each(self.machine, units)
    }

    /// The named sides' time per unit of work, in µs: the same cost without
    /// the load generator and other users.
    pub fn sides_micros_each(&self, units: f64) -> f64 {
        self.micros_each(self.sides.iter().map(|(_, share)| share).sum(), units)
    }

    /// `share` percent of every core over the window, per unit, in µs.
    fn micros_each(&self, share: f64, units: f64) -> f64 {
        share / 100.0 * cores() * self.wall * 1e6 / units
    }
}

/// Units of work a second the whole machine could carry at `micros` of
/// machine time per unit, every core busy.
pub fn full_machine_rate(micros: f64) -> f64 {
    cores() * 1e6 / micros
}

/// Several runs' shares, for the results table.
#[derive(Debug, Default)]
pub struct ShareRuns {
    sides: Vec<(String, Runs)>,
    machine: Runs,
}

impl ShareRuns {
    pub fn push(&mut self, shares: &Shares) {
        for (name, share) in &shares.sides {
            match self.sides.iter_mut().find(|(n, _)| n == name) {
                Some((_, runs)) => runs.push(*share),
                None => self.sides.push((name.clone(), Runs(vec![*share]))),
            }
        }
        self.machine.push(shares.machine);
    }

    /// One row per side, then the whole machine: "CPU during {during}, % of
    /// 2 cores: PostgreSQL".
    pub fn rows(self, table: &mut Table, during: &str) {
        let cores = cores();
        let all = self.sides.into_iter().chain([("whole machine, others included".to_owned(), self.machine)]);
        for (name, runs) in all {
            let figure = format!("CPU during {during}, % of {cores} cores: {name}");
            table.add(Row { figure, runs, reference: None, target: String::new(), pass: None });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real line's shape: pid, (comm), state, ppid, then 10 fields before
    /// utime (14), stime, cutime, cstime, and the rest.
    fn line(comm: &str) -> String {
        format!("4242 ({comm}) S 17 4242 4242 0 -1 4194560 1234 0 0 0 250 50 7 3 20 0 9 0 12345 104857600 4096")
    }

    #[test]
    fn a_plain_name_is_parsed() {
        assert_eq!(parse_stat(&line("postgres")), Some(Stat { ppid: 17, own: 300, reaped: 10 }));
    }

    #[test]
    fn a_name_with_spaces_and_parentheses_is_skipped_whole() {
        let expected = Some(Stat { ppid: 17, own: 300, reaped: 10 });
        assert_eq!(parse_stat(&line("tokio-runtime-w")), expected);
        assert_eq!(parse_stat(&line("a b) S 99 (c")), expected);
        assert_eq!(parse_stat(&line(") 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15")), expected);
    }

    #[test]
    fn a_truncated_line_is_refused() {
        assert_eq!(parse_stat("4242 (tend) S 17 4242"), None);
        assert_eq!(parse_stat("no parentheses at all"), None);
    }

    #[test]
    fn the_machine_line_counts_idle_and_iowait_as_not_busy() {
        let line = "cpu  3234116 16882 756718 904177 14194 0 47115 1754 0 0";
        let total = 3234116 + 16882 + 756718 + 904177 + 14194 + 47115 + 1754;
        assert_eq!(parse_machine(line), Some((total - 904177 - 14194, total)));
        assert_eq!(parse_machine("cpu0 1 2 3 4 5 6 7 8"), None);
    }

    #[test]
    fn this_process_is_found_and_its_time_grows() {
        let me = Side::Processes(vec![std::process::id()]);
        let before = me.ticks();
        let spin = Instant::now();
        while me.ticks() == before {
            assert!(spin.elapsed().as_secs() < 10, "10 s of spinning added no ticks");
        }
    }

    #[test]
    fn a_reaped_child_counts_for_its_parent_once_it_has_exited() {
        let reaped = Side::ReapedBy(std::process::id());
        let before = reaped.ticks();
        let spin = Instant::now();
        while reaped.ticks() == before {
            assert!(spin.elapsed().as_secs() < 10, "10 s of busy children added no reaped ticks");
            let status = std::process::Command::new("sh")
                .args(["-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"])
                .status()
                .expect("sh runs");
            assert!(status.success());
        }
    }
}
