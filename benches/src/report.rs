//! Figures: the median of several runs with min and max, and the markdown
//! table BENCHMARKS.md is made of.

use std::io::Write;

use crate::Common;

/// Several runs of one figure.
#[derive(Debug, Clone, Default)]
pub struct Runs(pub Vec<f64>);

impl Runs {
    pub fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    pub fn median(&self) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// One line of the results table.
pub struct Row {
    pub figure: String,
    pub runs: Runs,
    /// What the figure is compared with, and that figure's median.
    pub reference: Option<(String, f64)>,
    pub target: String,
    pub pass: Option<bool>,
}

impl Row {
    /// A figure shown for understanding, with no reference and no verdict.
    pub fn note(figure: &str, runs: Runs, target: &str) -> Row {
        Row { figure: figure.to_owned(), runs, reference: None, target: target.to_owned(), pass: None }
    }
}

pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn new() -> Self {
        Self { rows: Vec::new() }
    }

    pub fn add(&mut self, row: Row) {
        println!("{}", line(&row));
        self.rows.push(row);
    }

    /// Prints the whole table (and appends it to `--out`).
    pub fn finish(&self, common: &Common) -> anyhow::Result<()> {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mut text = format!(
            "\n{} cores, {} runs per figure, {}\n\n| figure | median | min | max | ceiling or peer | ratio | target | verdict |\n|---|---|---|---|---|---|---|---|\n",
            cores,
            common.runs,
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        for row in &self.rows {
            text.push_str(&line(row));
            text.push('\n');
        }
        println!("{text}");
        if let Some(path) = &common.out {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            file.write_all(text.as_bytes())?;
        }
        Ok(())
    }
}

fn line(row: &Row) -> String {
    let r = &row.runs;
    let (reference, ratio) = match &row.reference {
        Some((name, value)) => (format!("{name}: {}", num(*value)), format!("{:.2}", r.median() / value)),
        None => ("".into(), "".into()),
    };
    let verdict = match row.pass {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "",
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        row.figure,
        num(r.median()),
        num(r.min()),
        num(r.max()),
        reference,
        ratio,
        row.target,
        verdict
    )
}

/// Large figures without decimals, small ones with two.
pub fn num(value: f64) -> String {
    if value.abs() >= 100.0 { format!("{value:.0}") } else { format!("{value:.2}") }
}
