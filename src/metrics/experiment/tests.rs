//! Period W47 (2026-11-16 … 23), baseline 2026-09-07 … 10-05.
//! Baseline (cache off), segment a: u1 (100 ms, 2 calls), (200 ms, 1 call, 500); u2 (300 ms, 3 calls).
//! Period, segment a, cache on: u1 (10 ms, 0), (30 ms, 2); u3 (20 ms, 1, 503); u7 (40 ms, 1).
//! Period, segment a, cache off: u4 (150 ms, 1); u5 (100 ms, 2), (50 ms, 1); u7 (60 ms, 1).
//! Period, segment b, cache on: u6 (5 ms, 0).
//! Period, segment c, cache off: u8 (500 ms, 4) — c is not in the rollout.
//! Feedback in P: u1 5, u3 4 (treatment), u4 2 (control), u7 1 (both arms: no arm), no user 3;
//! in the baseline window: u2 3. u8 (segment c, not rolled out) answers 1: no control.

use super::*;
use crate::frames::*;
use crate::period::IsoWeek;

fn us(s: &str) -> i64 {
    parse_rfc3339_micros(s).expect("ts")
}

type Row<'a> = (&'a str, &'a str, &'a str, bool, f64, i64, i64);

fn frame(rows: &[Row]) -> DataFrame {
    df!(
        TS => rows.iter().map(|r| us(r.0)).collect::<Vec<_>>(),
        USER_ID => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        SEGMENT => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        STATUS => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        LATENCY_MS => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        CACHE_ENABLED => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        UPSTREAM_CALLS => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
    )
    .unwrap()
}

fn requests() -> DataFrame {
    frame(&[
        ("2026-09-08T10:00:00Z", "a", "u1", false, 100.0, 2, 200),
        ("2026-09-09T10:00:00Z", "a", "u1", false, 200.0, 1, 500),
        ("2026-09-10T10:00:00Z", "a", "u2", false, 300.0, 3, 200),
        ("2026-11-16T10:00:00Z", "a", "u1", true, 10.0, 0, 200),
        ("2026-11-17T10:00:00Z", "a", "u1", true, 30.0, 2, 200),
        ("2026-11-17T11:00:00Z", "a", "u3", true, 20.0, 1, 503),
        ("2026-11-18T10:00:00Z", "a", "u7", true, 40.0, 1, 200),
        ("2026-11-18T11:00:00Z", "a", "u4", false, 150.0, 1, 200),
        ("2026-11-19T10:00:00Z", "a", "u5", false, 100.0, 2, 200),
        ("2026-11-19T11:00:00Z", "a", "u5", false, 50.0, 1, 200),
        ("2026-11-20T10:00:00Z", "a", "u7", false, 60.0, 1, 200),
        ("2026-11-21T10:00:00Z", "b", "u6", true, 5.0, 0, 200),
        // Segment c has no cache this week: its users are no control.
        ("2026-11-21T11:00:00Z", "c", "u8", false, 500.0, 4, 200),
        // Outside both windows: in no arm.
        ("2026-10-20T10:00:00Z", "a", "u1", true, 1.0, 0, 200),
    ])
}

fn feedback() -> DataFrame {
    df!(
        TS => [us("2026-11-16T12:00:00Z"), us("2026-11-17T12:00:00Z"), us("2026-11-18T12:00:00Z"),
               us("2026-11-20T12:00:00Z"), us("2026-11-20T13:00:00Z"), us("2026-09-09T12:00:00Z"),
               us("2026-11-21T12:00:00Z")],
        USER_ID => [Some("u1"), Some("u3"), Some("u4"), Some("u7"), None, Some("u2"), Some("u8")],
        SCORE => [5.0, 4.0, 2.0, 1.0, 3.0, 3.0, 1.0],
        SEGMENT => ["a", "a", "a", "a", "a", "a", "c"],
    )
    .unwrap()
}

fn windows() -> (Days, Days) {
    let d = |s: &str| crate::rollups::build::epoch_day(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
    let p = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
    (
        (d(&p.start_date.to_string()), d(&p.end_date.to_string())),
        (d("2026-09-07"), d("2026-10-05")),
    )
}

/// The rows rolled up and merged, grouped as every report groups them.
fn grouped(rows: DataFrame, fb: &DataFrame) -> Groups {
    let (p, b) = windows();
    let m = crate::rollups::merged_from_rows(rows, chrono_tz::UTC).unwrap();
    groups(&m, fb, p, b, chrono_tz::UTC).unwrap()
}

fn m(n: f64, sum: f64, sum_sq: f64) -> Moments {
    Moments { n, sum, sum_sq }
}

#[test]
fn per_user_sums_by_arm_and_segment() {
    let g = grouped(requests(), &feedback());
    let key = |arm, s: &str| (arm, s.to_string());
    // Treatment a: u1 (n 2, 40 ms, 2 calls, 0 errors), u3 (1, 20, 1, 1), u7 (1, 40, 1, 0).
    // Σn 4, Σn² 4+1+1 = 6; latency Σ 100, Σ² 1600+400+1600 = 3600, Σ·n 80+20+40 = 140;
    // origin Σ 4, Σ² 4+1+1 = 6, Σ·n 4+1+1 = 6; 5xx Σ 1, Σ² 1, Σ·n 1.
    // Per request Σx² 100+900+400+1600 = 3000; Σ (user Σx)²/n 1600/2+400+1600 = 2800.
    assert_eq!(
        g.requests[&key(Arm::Treatment, "a")],
        ArmSums {
            units: 3,
            requests: m(3.0, 4.0, 6.0),
            latency: [100.0, 3600.0, 140.0],
            origin: [4.0, 6.0, 6.0],
            errors: [1.0, 1.0, 1.0],
            latency_sq_within: 3000.0,
            latency_between: 2800.0,
        }
    );
    // Control a: u4 (1, 150, 1), u5 (2, 150, 3), u7 (1, 60, 1): Σn 4, Σn² 6;
    // latency 360, 22500+22500+3600 = 48600, 150+300+60 = 510; origin 5, 1+9+1 = 11, 1+6+1 = 8.
    // Per request Σx² 22500+10000+2500+3600 = 38600; Σ (user Σx)²/n 22500+22500/2+3600 = 37350.
    assert_eq!(
        g.requests[&key(Arm::Control, "a")],
        ArmSums {
            units: 3,
            requests: m(3.0, 4.0, 6.0),
            latency: [360.0, 48600.0, 510.0],
            origin: [5.0, 11.0, 8.0],
            errors: [0.0, 0.0, 0.0],
            latency_sq_within: 38600.0,
            latency_between: 37350.0,
        }
    );
    // Baseline a: u1 (2, 300 ms, 3 calls, 1 error), u2 (1, 300, 3, 0): Σn 3, Σn² 5;
    // latency 600, 90000·2 = 180000, 600+300 = 900; origin 6, 18, 6+3 = 9; 5xx 1, 1, 2.
    // Per request Σx² 10000+40000+90000 = 140000; Σ (user Σx)²/n 90000/2+90000 = 135000.
    assert_eq!(
        g.requests[&key(Arm::Baseline, "a")],
        ArmSums {
            units: 2,
            requests: m(2.0, 3.0, 5.0),
            latency: [600.0, 180000.0, 900.0],
            origin: [6.0, 18.0, 9.0],
            errors: [1.0, 1.0, 2.0],
            latency_sq_within: 140000.0,
            latency_between: 135000.0,
        }
    );
    assert_eq!(g.requests[&key(Arm::Treatment, "b")].units, 1);
    assert!(!g.requests.contains_key(&key(Arm::Control, "b")));
    assert!(
        !g.requests.contains_key(&key(Arm::Control, "c")),
        "not rolled out: no control"
    );
    // Feedback: u1 5 and u3 4 treatment; u4 2 control (a complaint); u7 (both
    // arms) and the answer without a user in no arm; u2 3 baseline.
    assert_eq!(
        g.feedback[&key(Arm::Treatment, "a")],
        ScoreSums {
            scores: m(2.0, 9.0, 41.0),
            complaints: 0
        }
    );
    assert_eq!(
        g.feedback[&key(Arm::Control, "a")],
        ScoreSums {
            scores: m(1.0, 2.0, 4.0),
            complaints: 1
        }
    );
    assert_eq!(g.feedback[&key(Arm::Baseline, "a")].scores, m(1.0, 3.0, 9.0));
    assert!(!g.feedback.contains_key(&key(Arm::Control, "c")));
    // The treatment histogram holds its five latencies 5 10 20 30 40: p50 20 (within α).
    let t = &g.latencies_overall[&Arm::Treatment];
    assert_eq!(t.n, 5);
    let p50 = t.quantile(0.5).unwrap();
    assert!((p50 - 20.0).abs() <= 20.0 * crate::rollups::schema::ALPHA, "{p50}");
}

#[test]
fn small_arms_give_values_but_not_enough_data() {
    let g = grouped(requests(), &feedback());
    let s = analyze(&g, Some(0.5));
    let origin = &s.treatment_vs_control.overall[0];
    assert_eq!(origin.metric, "origin_calls_per_request");
    // Treatment: (4 + 0) calls / (4 + 1) requests = 0.8; control 5 / 4 = 1.25.
    assert_eq!(origin.treatment, Some(0.8));
    assert_eq!(origin.control, Some(1.25));
    assert_eq!((origin.control_n, origin.treatment_n), (3, 4));
    assert_eq!(origin.effect, None, "fewer than 30 users per arm");
    // Before/after: baseline 6 calls / 3 requests = 2.
    assert_eq!(s.before_after("origin_calls_per_request").unwrap().control, Some(2.0));
    // p50 of treatment latencies 5 10 20 30 40 = 20; control 150 100 50 60 → 80 (within α).
    let p50 = s
        .treatment_vs_control
        .overall
        .iter()
        .find(|c| c.metric == "p50_latency_ms")
        .unwrap();
    let alpha = crate::rollups::schema::ALPHA;
    assert!((p50.control.unwrap() - 80.0).abs() <= 80.0 * alpha);
    assert!((p50.treatment.unwrap() - 20.0).abs() <= 20.0 * alpha);
    // Segment b has no control users: no comparison, but an SRM line.
    assert!(s.treatment_vs_control.segments.contains_key("a"));
    assert!(!s.treatment_vs_control.segments.contains_key("b"));
    let srm = s.srm.as_ref().unwrap();
    // scipy.stats.chisquare([1,0],[0.5,0.5]): statistic 1.0, pvalue 0.31731050786291115
    assert!((srm.segments["b"].p_value - 0.31731050786291115).abs() < 1e-9);
    // Overall over segments in the rollout: 4 treatment, 3 control users.
    // scipy.stats.chisquare([4,3],[3.5,3.5]): 0.14285714285714285, pvalue 0.7054569861112734
    let o = srm.overall.unwrap();
    assert_eq!((o.treatment, o.control), (4, 3));
    assert!((o.p_value - 0.7054569861112734).abs() < 1e-9);
    assert!(!srm.mismatch());
    assert_eq!(analyze(&g, None).srm, None);
}

#[test]
fn large_arms_are_compared_from_the_rollup_sums() {
    // 40 users per arm, user i with 1 + i % 4 requests; treatment rows make
    // i % 2 origin calls, control rows 1 + i % 3. The sums computed here
    // directly must equal the grouped ones, and the effect must be
    // stats::delta_ratio of them.
    let mut rows = Vec::new();
    let users: Vec<String> = (0..80).map(|i| format!("u{i}")).collect();
    let mut direct = [ArmSums::default(), ArmSums::default()];
    for (i, user) in users.iter().enumerate() {
        let treated = i < 40;
        let n = 1 + i % 4;
        let calls = if treated { i % 2 } else { 1 + i % 3 } as i64;
        let lat = if treated { 20.0 } else { 100.0 } + i as f64;
        for _ in 0..n {
            rows.push(("2026-11-18T10:00:00Z", "a", user.as_str(), treated, lat, calls, 200));
        }
        let d = &mut direct[usize::from(treated)];
        let (nf, o, l) = (n as f64, calls as f64 * n as f64, lat * n as f64);
        d.latency_sq_within += nf * lat * lat;
        d.latency_between += l * l / nf;
        d.units += 1;
        d.requests = m(d.requests.n + 1.0, d.requests.sum + nf, d.requests.sum_sq + nf * nf);
        d.origin = [d.origin[0] + o, d.origin[1] + o * o, d.origin[2] + o * nf];
        d.latency = [d.latency[0] + l, d.latency[1] + l * l, d.latency[2] + l * nf];
    }
    let fb = feedback().head(Some(0));
    let g = grouped(frame(&rows), &fb);
    let got_c = g.requests[&(Arm::Control, "a".to_string())];
    let got_t = g.requests[&(Arm::Treatment, "a".to_string())];
    assert_eq!(got_c, direct[0]);
    assert_eq!(got_t, direct[1]);
    let s = analyze(&g, Some(0.5));
    let origin = &s.treatment_vs_control.overall[0];
    let want = stats::delta_ratio(&direct[0].ratio(direct[0].origin), &direct[1].ratio(direct[1].origin)).unwrap();
    assert_eq!(origin.effect, Some(want));
    assert!(want.p_value < 1e-6 && want.rel.unwrap() < -0.5);
    // Feedback: none, so not enough data — a value of None, never a number.
    let sat = s
        .treatment_vs_control
        .overall
        .iter()
        .find(|c| c.metric == "customer_satisfaction")
        .unwrap();
    assert_eq!((sat.control, sat.treatment, sat.effect), (None, None, None));
    // 40 / 40 users against a planned 50 %: no mismatch (χ² = 0, p = 1).
    assert_eq!(s.srm.unwrap().overall.unwrap().p_value, 1.0);
}

#[test]
fn a_flag_leaked_to_a_few_users_makes_no_controls_of_the_rest() {
    // Segment d in W47: d1 had the cache (a leak), d2–d6 not: 1 of 6 users,
    // below half, so d is not rolled out and d2–d6 are no control. With 4 of
    // 6 on (at least half), the 2 others are controls.
    let mut rows: Vec<Row> = vec![("2026-11-17T10:00:00Z", "d", "d1", true, 10.0, 0, 200)];
    let users = ["d2", "d3", "d4", "d5", "d6"];
    for u in users {
        rows.push(("2026-11-17T11:00:00Z", "d", u, false, 100.0, 1, 200));
    }
    let g = grouped(frame(&rows), &feedback());
    assert!(!g.requests.contains_key(&(Arm::Control, "d".to_string())));
    assert_eq!(g.requests[&(Arm::Treatment, "d".to_string())].units, 1);
    for r in rows.iter_mut().skip(1).take(3) {
        r.3 = true;
    }
    let g = grouped(frame(&rows), &feedback());
    assert_eq!(g.requests[&(Arm::Control, "d".to_string())].units, 2);
    assert_eq!(g.requests[&(Arm::Treatment, "d".to_string())].units, 4);
}

#[test]
fn cuped_pairs_each_users_period_with_their_baseline_by_hand() {
    use crate::rollups::merged::UserDay;
    let ud = |rows, upstream, latency_sum| UserDay {
        rows,
        upstream,
        latency_sum,
        ..Default::default()
    };
    // Baseline: u1 2 requests, 2 calls, 200 ms in all (1 call, 100 ms a
    // request); u2 1 request, 3 calls, 300 ms. Control: u4 1 request, 1
    // call, 150 ms, no baseline. Treatment: u1 in two segments (1 + 1
    // requests, 2 calls, 40 ms → 1 call, 20 ms a request); u2 1 request, 0
    // calls, 5 ms.
    let per_user = vec![
        (((Arm::Baseline, 0), 1), ud(2, 2, 200.0)),
        (((Arm::Baseline, 0), 2), ud(1, 3, 300.0)),
        (((Arm::Control, 0), 4), ud(1, 1, 150.0)),
        (((Arm::Treatment, 0), 1), ud(1, 1, 10.0)),
        (((Arm::Treatment, 1), 1), ud(1, 1, 30.0)),
        (((Arm::Treatment, 0), 2), ud(1, 0, 5.0)),
    ];
    let c = cuped_sums(&per_user);
    let t = c[&Arm::Treatment];
    // Treatment origin: post 1 and 0, pre 1 and 3; Σ post·pre = 1·1 + 0·3 = 1.
    assert_eq!(
        (t.origin.post.n, t.origin.post.sum, t.origin.post.sum_sq),
        (2.0, 1.0, 1.0)
    );
    assert_eq!(
        (t.origin.pre.sum, t.origin.pre.sum_sq, t.origin.cross),
        (4.0, 10.0, 1.0)
    );
    // Latency: post 20 and 5, pre 100 and 300: Σ post·pre = 2,000 + 1,500.
    assert_eq!((t.latency.post.sum, t.latency.cross), (25.0, 3500.0));
    assert_eq!(t.with_history, 2);
    // u4 has no baseline: the mean of u1's and u2's, (1 + 3)/2 = 2 calls and
    // (100 + 300)/2 = 200 ms, so θ·(x − x̄) leaves it nearly as it is.
    let k = c[&Arm::Control];
    assert_eq!((k.origin.pre.sum, k.latency.pre.sum, k.with_history), (2.0, 200.0, 0));
    assert_eq!(k.origin.cross, 2.0);
    assert!(!c.contains_key(&Arm::Baseline));
}

#[test]
fn holm_runs_over_every_comparison_of_the_section() {
    let effect = |p| Effect {
        abs: 1.0,
        abs_ci: [0.5, 1.5],
        rel: None,
        rel_ci: None,
        p_value: p,
    };
    let cmp = |p: Option<f64>| Comparison {
        metric: "m",
        label: "m",
        unit: "ms",
        method: Method::Welch,
        control: None,
        treatment: None,
        control_n: 0,
        treatment_n: 0,
        effect: p.map(effect),
        p_adjusted: None,
    };
    let mut s = Statistics {
        before_after: vec![cmp(Some(0.01)), cmp(None)],
        treatment_vs_control: ArmComparison {
            overall: vec![cmp(Some(0.04))],
            segments: [("a".to_string(), vec![cmp(Some(0.03))])].into(),
        },
        ..Default::default()
    };
    s.adjust();
    // Three p-values: 0.01 → 0.03, 0.03 → 0.06, 0.04 → max(0.06, 0.04) = 0.06.
    assert_eq!(s.holm_family, 3);
    assert_eq!(s.before_after[0].p_adjusted, Some(0.03));
    assert_eq!(s.before_after[1].p_adjusted, None);
    assert_eq!(s.treatment_vs_control.overall[0].p_adjusted, Some(0.06));
    assert_eq!(s.treatment_vs_control.segments["a"][0].p_adjusted, Some(0.06));
}
