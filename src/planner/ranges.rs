//! Splitting the subscriber ids into disjoint ranges, one per planning
//! worker, so that workers never lock each other's subscribers and together
//! cover every id.

/// Ids in `(after, upto]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub after: i64,
    pub upto: i64,
}

/// `workers` contiguous ranges of about equal width over `low..=high`. The
/// first starts below every id and the last is open-ended, so the ranges
/// cover every possible id (also ones created during the sweep); a range
/// may hold no subscriber at all (gaps in the ids), which costs one empty read.
pub fn split_ids(low: i64, high: i64, workers: usize) -> Vec<IdRange> {
    let workers = workers.max(1) as i128;
    let (low, high) = (i128::from(low), i128::from(high.max(low)));
    let width = high - low + 1;
    let boundary = |k: i128| low - 1 + width * k / workers;
    (0..workers)
        .map(|k| IdRange {
            after: if k == 0 { i64::MIN } else { boundary(k) as i64 },
            upto: if k == workers - 1 { i64::MAX } else { boundary(k + 1) as i64 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers_once(ranges: &[IdRange], id: i64) -> bool {
        ranges.iter().filter(|r| r.after < id && id <= r.upto).count() == 1
    }

    #[test]
    fn ranges_are_disjoint_and_cover_every_id_once() {
        for (low, high, workers) in [(1, 1_000_000, 2), (1, 10, 3), (7, 7, 4), (5, 6, 8), (1, i64::MAX, 3)] {
            let ranges = split_ids(low, high, workers);
            assert_eq!(ranges.len(), workers);
            for id in [i64::MIN + 1, low - 1, low, low + 1, low / 2 + high / 2, high - 1, high, high.saturating_add(1)]
            {
                assert!(covers_once(&ranges, id), "{id} in {ranges:?}");
            }
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].upto, pair[1].after, "{ranges:?}");
            }
        }
    }

    #[test]
    fn two_workers_halve_a_million_ids() {
        let ranges = split_ids(1, 1_000_000, 2);
        assert_eq!(
            ranges,
            vec![IdRange { after: i64::MIN, upto: 500_000 }, IdRange { after: 500_000, upto: i64::MAX }]
        );
    }

    #[test]
    fn more_workers_than_ids_leave_some_ranges_empty() {
        let ranges = split_ids(5, 6, 4);
        assert!(ranges.iter().any(|r| r.upto == r.after), "{ranges:?}");
        assert!(covers_once(&ranges, 5) && covers_once(&ranges, 6), "{ranges:?}");
    }
}
