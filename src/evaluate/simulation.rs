//! The evidence reading against the plan's, simulated (docs/gate.md, "Why
//! intervals that stay valid"): thousands of small phases whose true error
//! rate sits exactly on the plan's threshold, looked at every day for three
//! weeks. A rollback or a proceed on such a phase is a wrong call; the
//! confidence sequences keep both rates under the error level however often
//! one looks, fixed-horizon intervals looked at the same way do not. With a
//! real breach the gate rolls back about when its own `needed_days` says.
//!
//! Realistic phase: 100 users (an internal or early-adopter segment) with a
//! Gamma(2, 1.5) number of requests a day each (3 on average, ~300 a day),
//! each user with an own error propensity drawn from a Beta of mean p and
//! concentration 50 (errors cluster in users, as they do: a user hitting a
//! broken path keeps hitting it).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, Poisson};

use super::evidence::{interval, judge, side};
use super::gate::Op;
use crate::metrics::evidence::{Sample, clustered_rate};
use crate::stats::sequential::{Sequential, wilson};

const PHASES: usize = 2000;
const USERS: usize = 100;
const DAYS: usize = 21;
const THRESHOLD: f64 = 0.01;

/// One phase's users, drawn once.
struct Phase {
    propensity: Vec<f64>,
    per_day: Vec<f64>,
}

fn phase(rng: &mut ChaCha8Rng, p: f64) -> Phase {
    let beta = Beta::new(p * 50.0, (1.0 - p) * 50.0).unwrap();
    let gamma = Gamma::new(2.0, 1.5).unwrap();
    Phase {
        propensity: (0..USERS).map(|_| beta.sample(rng)).collect(),
        per_day: (0..USERS).map(|_| gamma.sample(rng)).collect(),
    }
}

/// Each day's cumulative (errors, requests) per user, as the gate would
/// read the phase so far at that day's look.
fn looks(rng: &mut ChaCha8Rng, ph: &Phase) -> Vec<Vec<(f64, f64)>> {
    let mut totals = vec![(0.0, 0.0); USERS];
    (0..DAYS)
        .map(|_| {
            for (u, t) in totals.iter_mut().enumerate() {
                let n = Poisson::new(ph.per_day[u].max(1e-9)).unwrap().sample(rng) as u64;
                let e = Binomial::new(n, ph.propensity[u]).unwrap().sample(rng);
                t.0 += e as f64;
                t.1 += n as f64;
            }
            totals.clone()
        })
        .collect()
}

/// The fixed-horizon Wilson interval on the same effective counts.
fn fixed(sample: &Sample, alpha: f64) -> [f64; 2] {
    let Sample::Rate {
        events,
        trials,
        design_effect,
        ..
    } = sample
    else {
        unreachable!("an error rate is a rate")
    };
    wilson(events / design_effect, trials / design_effect, alpha)
}

#[derive(Default)]
struct Calls {
    false_rollback: usize,
    false_proceed: usize,
}

#[test]
fn sequences_keep_wrong_calls_under_the_error_level_at_daily_looks_and_fixed_intervals_do_not() {
    let seq = Sequential::default();
    let mut rng = ChaCha8Rng::seed_from_u64(28);
    let (mut sequential, mut fixed_horizon) = (Calls::default(), Calls::default());
    for _ in 0..PHASES {
        let ph = phase(&mut rng, THRESHOLD);
        let (mut s, mut f) = ([false; 2], [false; 2]);
        for users in looks(&mut rng, &ph) {
            let sample = clustered_rate(users.into_iter());
            let now = interval(&sample, 1.0, THRESHOLD, &seq);
            // `error_rate > 1%` as a trigger, `error_rate < 1%` as a success criterion.
            s[0] |= side(now, Op::Gt, THRESHOLD) == Some(true);
            s[1] |= side(now, Op::Lt, THRESHOLD) == Some(true);
            let fx = fixed(&sample, seq.alpha);
            f[0] |= side(fx, Op::Gt, THRESHOLD) == Some(true);
            f[1] |= side(fx, Op::Lt, THRESHOLD) == Some(true);
        }
        sequential.false_rollback += usize::from(s[0]);
        sequential.false_proceed += usize::from(s[1]);
        fixed_horizon.false_rollback += usize::from(f[0]);
        fixed_horizon.false_proceed += usize::from(f[1]);
    }
    let rate = |n: usize| n as f64 / PHASES as f64;
    let (sr, sp) = (rate(sequential.false_rollback), rate(sequential.false_proceed));
    let (fr, fp) = (rate(fixed_horizon.false_rollback), rate(fixed_horizon.false_proceed));
    eprintln!("sequences: false rollback {sr}, false proceed {sp}; fixed horizon: {fr}, {fp}");
    assert!(sr <= seq.alpha && sp <= seq.alpha, "sequences: {sr} {sp}");
    // A 95 % interval misses one way 2.5 % of the time at one look; 21 looks miss far more often.
    assert!(fr > seq.alpha && fp > seq.alpha, "fixed horizon: {fr} {fp}");
}

#[test]
fn a_true_breach_rolls_back_about_when_needed_days_says() {
    let seq = Sequential::default();
    let mut rng = ChaCha8Rng::seed_from_u64(2028);
    // A true error rate of 3 % against `error_rate > 1%`.
    let (mut rolled, mut actual, mut predicted) = (0, Vec::new(), Vec::new());
    for _ in 0..300 {
        let ph = phase(&mut rng, 0.03);
        let mut first = None;
        for (day, users) in looks(&mut rng, &ph).into_iter().enumerate() {
            let requests: f64 = users.iter().map(|u| u.1).sum();
            let sample = clustered_rate(users.into_iter());
            if day == 0 {
                // The first look's forecast: days until clear if the estimate held.
                let j = judge(&sample, Op::Gt, THRESHOLD, requests as u64, &seq);
                if let Some(n) = j.needed_requests {
                    predicted.push(1.0 + n as f64 / requests);
                }
            }
            if first.is_none() && side(interval(&sample, 1.0, THRESHOLD, &seq), Op::Gt, THRESHOLD) == Some(true) {
                first = Some(day + 1);
            }
        }
        if let Some(d) = first {
            rolled += 1;
            actual.push(d as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, p) = (median(&mut actual), median(&mut predicted));
    eprintln!("rolled back {rolled}/300, median look {a}, forecast at the first look {p}");
    assert!(rolled >= 285, "{rolled} of 300 breaches rolled back within three weeks");
    assert!(a <= p * 2.0 && a >= p / 2.0, "rolled back at look {a}, forecast {p}");
}
