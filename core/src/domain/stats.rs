//! Salary statistics with fixed, documented methods.
//!
//! - **Sample**: one value per job that states a salary in the query country's currency: the
//!   midpoint of its range, annualized. Jobs in another currency are excluded and counted per
//!   currency (currencies are never pooled or converted); jobs without a salary are counted too.
//! - **Annualization**: hour × 2,080 (40 h × 52 weeks), day × 260 (5 days × 52), week × 52,
//!   month × 12, year × 1.
//! - **Plausibility**: an annualized value under 1,000 or over 5,000,000 is excluded and counted
//!   (a mis-stated period, not a salary).
//! - **Percentiles**: linear interpolation between closest ranks (Hyndman–Fan type 7, the default
//!   of NumPy, R and spreadsheets' PERCENTILE.INC): for sorted values x₀…xₙ₋₁ and p in [0, 1],
//!   h = (n − 1)·p, result = x⌊h⌋ + (h − ⌊h⌋)·(x⌈h⌉ − x⌊h⌋).
//! - **Histogram**: buckets of 10,000 keyed by their lower bound (⌊v / 10,000⌋ · 10,000).
//! - **Rounding**: figures are computed in full precision and rounded to the cent at the end.

use std::collections::BTreeMap;

use super::{AnnualSalary, PayPeriod};

/// Width of a histogram bucket, in the currency's units per year.
pub const HISTOGRAM_BUCKET: u64 = 10_000;
/// Annualized values outside this range are excluded as implausible.
pub const PLAUSIBLE_ANNUAL: (f64, f64) = (1_000.0, 5_000_000.0);

/// The factor that turns an amount per `period` into an amount per year.
pub const fn annual_factor(period: PayPeriod) -> f64 {
    match period {
        PayPeriod::Hour => 2_080.0,
        PayPeriod::Day => 260.0,
        PayPeriod::Week => 52.0,
        PayPeriod::Month => 12.0,
        PayPeriod::Year => 1.0,
    }
}

/// The p-th percentile (p in [0, 1]) of ascending `sorted` by linear interpolation between closest
/// ranks; `None` for an empty slice.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Rounds to the cent (half away from zero).
pub fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The jobs a salary statistic is computed from, and what was left out and why.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SalarySample {
    /// Annualized midpoints in the sample currency, in job order.
    pub values: Vec<f64>,
    /// Jobs left out because their salary is in another currency, per currency.
    pub other_currency: BTreeMap<String, usize>,
    /// Jobs that state no salary.
    pub without_salary: usize,
    /// Jobs whose annualized salary is implausible.
    pub implausible: usize,
}

impl SalarySample {
    /// Builds the sample in `currency` (ISO 4217) from each posting's annual salary (`None`: the
    /// posting states none), in posting order.
    pub fn of<'a>(salaries: impl IntoIterator<Item = Option<&'a AnnualSalary>>, currency: &str) -> Self {
        let mut sample = SalarySample::default();
        for salary in salaries {
            let Some(s) = salary else {
                sample.without_salary += 1;
                continue;
            };
            if !s.currency.eq_ignore_ascii_case(currency) {
                *sample.other_currency.entry(s.currency.to_ascii_uppercase()).or_default() += 1;
                continue;
            }
            let v = s.annual;
            if !v.is_finite() || v < PLAUSIBLE_ANNUAL.0 || v > PLAUSIBLE_ANNUAL.1 {
                sample.implausible += 1;
                continue;
            }
            sample.values.push(v);
        }
        sample
    }

    /// Jobs left out because of their currency.
    pub fn other_currency_total(&self) -> usize {
        self.other_currency.values().sum()
    }
}

/// Percentiles, extremes and histogram of a non-empty sample, rounded to the cent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SalaryStats {
    pub sample_size: usize,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub min: f64,
    pub max: f64,
    /// Bucket lower bound → number of values in [bound, bound + 10,000).
    pub histogram: BTreeMap<u64, u64>,
}

impl SalaryStats {
    /// `None` for an empty sample: there are no figures to report.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let pct = |p| percentile(&sorted, p).map(round_cents).unwrap_or_default();
        Some(SalaryStats {
            sample_size: sorted.len(),
            p25: pct(0.25),
            median: pct(0.5),
            p75: pct(0.75),
            min: round_cents(sorted[0]),
            max: round_cents(sorted[sorted.len() - 1]),
            histogram: histogram(&sorted),
        })
    }
}

/// Counts per bucket of `HISTOGRAM_BUCKET`, keyed by the bucket's lower bound.
pub fn histogram(values: &[f64]) -> BTreeMap<u64, u64> {
    let mut h = BTreeMap::new();
    for v in values.iter().filter(|v| v.is_finite() && **v >= 0.0) {
        let bucket = (*v / HISTOGRAM_BUCKET as f64).floor() as u64 * HISTOGRAM_BUCKET;
        *h.entry(bucket).or_default() += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Job, Salary, SourceId};
    use proptest::prelude::*;

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        let x = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&x, 0.25), Some(17.5));
        assert_eq!(percentile(&x, 0.5), Some(25.0));
        assert_eq!(percentile(&x, 0.75), Some(32.5));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn histogram_buckets_by_lower_bound() {
        let h = histogram(&[39_999.99, 40_000.0, 49_999.0, 50_000.0, 120_000.0]);
        assert_eq!(h.into_iter().collect::<Vec<_>>(), vec![(30_000, 1), (40_000, 2), (50_000, 1), (120_000, 1)]);
    }

    fn sample_of(jobs: &[Job], currency: &str) -> SalarySample {
        let salaries: Vec<Option<AnnualSalary>> = jobs.iter().map(AnnualSalary::of).collect();
        SalarySample::of(salaries.iter().map(Option::as_ref), currency)
    }

    fn job(currency: &str, min: f64, max: f64, period: PayPeriod) -> Job {
        let mut j = Job::sample(SourceId::Adzuna, "1", "Dev", "Acme", "London");
        j.salary = Some(Salary { min, max, currency: currency.into(), period });
        j
    }

    #[test]
    fn sample_annualizes_midpoints_and_never_pools_currencies() {
        let mut none = job("GBP", 1.0, 1.0, PayPeriod::Year);
        none.salary = None;
        let jobs = vec![
            job("GBP", 40_000.0, 60_000.0, PayPeriod::Year),
            job("GBP", 20.0, 30.0, PayPeriod::Hour),
            job("GBP", 400.0, 400.0, PayPeriod::Day),
            job("GBP", 5_000.0, 5_000.0, PayPeriod::Month),
            job("USD", 100_000.0, 100_000.0, PayPeriod::Year),
            job("EUR", 1.0, 1.0, PayPeriod::Year),
            job("GBP", 1.0, 2.0, PayPeriod::Year),
            none,
        ];
        let s = sample_of(&jobs, "GBP");
        assert_eq!(s.values, vec![50_000.0, 52_000.0, 104_000.0, 60_000.0]);
        assert_eq!(s.other_currency.get("USD"), Some(&1));
        assert_eq!(s.other_currency.get("EUR"), Some(&1));
        assert_eq!((s.without_salary, s.implausible), (1, 1));
    }

    #[test]
    fn an_empty_sample_has_no_figures() {
        assert_eq!(SalaryStats::of(&[]), None);
    }

    /// The reference: the textbook formula written out again, over a fresh sort.
    fn reference_percentile(values: &[f64], p: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let rank = p * (v.len() as f64 - 1.0);
        let below = rank as usize;
        let above = if below + 1 < v.len() { below + 1 } else { below };
        v[below] + (rank - below as f64) * (v[above] - v[below])
    }

    proptest! {
        #[test]
        fn stats_match_the_reference(values in prop::collection::vec(1_000.0f64..500_000.0, 1..200)) {
            let s = SalaryStats::of(&values).unwrap();
            for (got, p) in [(s.p25, 0.25), (s.median, 0.5), (s.p75, 0.75)] {
                prop_assert!((got - round_cents(reference_percentile(&values, p))).abs() < 0.006);
            }
            prop_assert!(s.min <= s.p25 && s.p25 <= s.median && s.median <= s.p75 && s.p75 <= s.max);
            prop_assert_eq!(s.histogram.values().sum::<u64>(), values.len() as u64);
            for v in &values {
                let bound = (*v as u64) / 10_000 * 10_000;
                prop_assert!(s.histogram.contains_key(&bound));
            }
        }

        #[test]
        fn percentiles_ignore_input_order(mut values in prop::collection::vec(0.0f64..1e6, 1..100), seed in any::<u64>()) {
            let a = SalaryStats::of(&values).unwrap();
            let n = values.len();
            values.rotate_left((seed as usize) % n);
            values.reverse();
            prop_assert_eq!(a, SalaryStats::of(&values).unwrap());
        }

        #[test]
        fn annualization_scales_linearly(amount in 1.0f64..10_000.0) {
            for (period, factor) in [(PayPeriod::Hour, 2_080.0), (PayPeriod::Day, 260.0), (PayPeriod::Week, 52.0), (PayPeriod::Month, 12.0), (PayPeriod::Year, 1.0)] {
                let s = sample_of(&[job("GBP", amount, amount, period)], "GBP");
                let v = amount * factor;
                let plausible = (PLAUSIBLE_ANNUAL.0..=PLAUSIBLE_ANNUAL.1).contains(&v);
                prop_assert_eq!(s.values.clone(), if plausible { vec![v] } else { vec![] });
                prop_assert_eq!(s.implausible, usize::from(!plausible));
            }
        }

        #[test]
        fn currencies_are_never_mixed(amounts in prop::collection::vec((0usize..3, 10_000.0f64..200_000.0), 0..60)) {
            let codes = ["GBP", "USD", "EUR"];
            let jobs: Vec<Job> = amounts.iter().map(|(c, a)| job(codes[*c], *a, *a, PayPeriod::Year)).collect();
            let s = sample_of(&jobs, "GBP");
            let want: Vec<f64> = amounts.iter().filter(|(c, _)| *c == 0).map(|(_, a)| *a).collect();
            prop_assert_eq!(&s.values, &want);
            prop_assert_eq!(s.other_currency_total(), amounts.len() - want.len());
        }
    }
}
