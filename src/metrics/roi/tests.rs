//! A tiny window worked by hand: 7 days; baseline 4 requests making 6
//! origin calls (1.5 per request); origin call cost 2.00, Redis 36.50 a
//! month, implementation 1,000.
//! c1 (enterprise): 8 requests with the cache making 2 calls → avoided 8 × 1.5 − 2 = 10.
//! c2: 2 requests with the cache making 3 calls → avoided 2 × 1.5 − 3 = 0.
//! Total avoided 10; gross 20.00; Redis 36.5 × 12 × 7 / 365 = 8.40; net 11.60;
//! annualized 11.6 × 365 / 7 = 4234/7 = 604.857142…; first-year ROI
//! (604.857… − 1000) / 1000 = −0.395142…; payback 1000 / (604.857… / 12) = 19.8393… months.

use super::*;

fn inputs() -> RoiInputs {
    RoiInputs {
        from: "2026-11-16".into(),
        to: "2026-11-23".into(),
        days: 7,
        b_rows: 4,
        b_origin: 6,
        customers: vec![
            CustomerInput {
                customer_id: "c1".into(),
                name: "Acme".into(),
                tier: "enterprise".into(),
                requests: 10,
                e_rows: 8,
                e_origin: 2,
            },
            CustomerInput {
                customer_id: "c2".into(),
                name: "=HYPERLINK(\"http://x\",\"y\")".into(),
                tier: "smb".into(),
                requests: 5,
                e_rows: 2,
                e_origin: 3,
            },
        ],
        costs: Costs {
            currency: "USD".into(),
            origin_call_cost: 2.0,
            redis_monthly_cost: 36.5,
            implementation_cost: 1000.0,
            hourly_value_of_user_time: 75.0,
        },
        settings: RoiSettings::default(),
        b_mean_latency: Some(100.0),
        e_mean_latency: Some(40.0),
        reduction_ci: Some([0.5, 0.8]),
        baseline_from: "2026-09-07".into(),
        baseline_to: "2026-10-05".into(),
        weeks: Vec::new(),
        months: Vec::new(),
    }
}

fn close(got: Decimal, want: f64) {
    let g = got.to_f64().unwrap();
    assert!((g - want).abs() < 1e-9, "got {g}, want {want}");
}

fn cents(x: Decimal) -> String {
    format!("{:.2}", x.round_dp(2))
}

#[test]
fn roi_by_hand_to_the_cent() {
    let case = compute(&inputs()).unwrap().unwrap();
    let r = &case.roi;
    assert_eq!(r.origin_calls_avoided, Decimal::from(10));
    assert_eq!(cents(r.gross_savings), "20.00");
    assert_eq!(cents(r.redis_cost), "8.40");
    assert_eq!(cents(r.net_savings), "11.60");
    assert_eq!(cents(r.annualized_net_savings), "604.86");
    close(r.annualized_net_savings, 4234.0 / 7.0);
    close(r.first_year_roi.unwrap(), -0.39514285714285713);
    close(r.payback_months.unwrap(), 19.839395370807747);
    // Break-even cost: Redis 8.40 / 10 calls avoided = 0.84.
    assert_eq!(
        case.break_even_origin_call_cost,
        Some(Decimal::from_str("0.84").unwrap())
    );
    // NPV at 10 % over 3 years: −1000 + 604.857…·(1/1.1 + 1/1.21 + 1/1.331) = 4697540/9317.
    close(case.npv, 504.19018997531396);
    // Soft: 10 requests × 60 ms saved = 1/6000 h × 75 = 0.0125, ×365/7 a year — not in net.
    close(case.soft_benefits.value.unwrap(), 0.0125);
    close(case.soft_benefits.annualized_value.unwrap(), 0.6517857142857143);
}

#[test]
fn customer_rows_add_up_to_the_totals() {
    let case = compute(&inputs()).unwrap().unwrap();
    let c1 = &case.customers[0];
    // c1: gross 20.00, Redis 8.40 × 8/10 = 6.72, net 13.28, annualized 13.28 × 365/7.
    assert_eq!(cents(c1.gross_savings), "20.00");
    assert_eq!(cents(c1.redis_cost), "6.72");
    assert_eq!(cents(c1.net_savings), "13.28");
    close(c1.annualized_net_savings, 692.4571428571429);
    // 692.46 a year is below the brief's 10,000–50,000 for an enterprise customer.
    assert_eq!(c1.enterprise_range, Some("below"));
    let c2 = &case.customers[1];
    assert_eq!(
        (cents(c2.gross_savings).as_str(), cents(c2.redis_cost).as_str()),
        ("0.00", "1.68")
    );
    assert_eq!(c2.enterprise_range, None);
    let sum = |f: fn(&CustomerRoi) -> Decimal| case.customers.iter().map(f).sum::<Decimal>();
    assert_eq!(sum(|c| c.origin_calls_avoided), case.roi.origin_calls_avoided);
    assert_eq!(sum(|c| c.gross_savings), case.roi.gross_savings);
    assert_eq!(sum(|c| c.redis_cost), case.roi.redis_cost);
    assert_eq!(sum(|c| c.net_savings), case.roi.net_savings);
}

#[test]
fn scenarios_and_sensitivity_move_the_drivers() {
    let case = compute(&inputs()).unwrap().unwrap();
    let by = |n: &str| case.scenarios.iter().find(|s| s.name == n).unwrap();
    // Low: cost 1.00, reduction 50 % → avoided 10 × 1.5 × 0.5 = 7.5, gross 7.50,
    // net −0.90, annualized −0.9 × 365/7 = −46.93.
    close(by("low").figures.annualized_net_savings, -46.92857142857143);
    // High: cost 3.00, reduction 80 % → avoided 12, gross 36, net 27.60, annualized 1,439.14.
    close(by("high").figures.annualized_net_savings, 1439.142857142857);
    // Base is the measured case.
    assert_eq!(by("base").figures, case.roi);
    // The tornado is sorted by spread; the cost driver spans ±50 % of gross:
    // 11.6 ∓ 10 → (1.6 … 21.6) × 365/7.
    let cost = case
        .sensitivity
        .iter()
        .find(|s| s.driver == "Origin call cost")
        .unwrap();
    close(cost.low, 1.6 * 365.0 / 7.0);
    close(cost.high, 21.6 * 365.0 / 7.0);
    assert!(case.sensitivity.windows(2).all(|w| w[0].spread >= w[1].spread));
}

#[test]
fn config_prices_keep_their_decimal_text() {
    assert_eq!(dec(0.0004).unwrap().to_string(), "0.0004");
    assert_eq!(dec(1500.0).unwrap().to_string(), "1500");
    assert_eq!(dec(0.06).unwrap().to_string(), "0.06");
    // Out of range is an error, never a silent 0.
    for bad in [1e29, f64::NAN, f64::INFINITY, -1e30] {
        assert!(dec(bad).is_err(), "{bad}");
    }
}

#[test]
fn shown_cents_add_up_to_the_shown_total() {
    let v = [
        Decimal::from_str("0.335").unwrap(),
        Decimal::from_str("0.335").unwrap(),
        Decimal::from_str("0.33").unwrap(),
    ];
    let shown = cents_adding_up(&v, Decimal::ONE);
    assert_eq!(
        shown.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>(),
        ["0.34", "0.33", "0.33"]
    );
    // Negative values too: −1.005 −1.005 sum −2.01.
    let n = [
        Decimal::from_str("-1.005").unwrap(),
        Decimal::from_str("-1.005").unwrap(),
    ];
    let shown = cents_adding_up(&n, Decimal::from_str("-2.01").unwrap());
    assert_eq!(
        shown.iter().copied().sum::<Decimal>(),
        Decimal::from_str("-2.01").unwrap()
    );
    // Whole counts: 1.4 + 1.4 + 1.2 = 4, though each rounds to 1 (sum 3):
    // the two largest remainders (.4, .4) get the missing unit → 2, 1, 1.
    let w = [1.4, 1.4, 1.2].map(|x| Decimal::from_f64(x).unwrap());
    assert_eq!(adding_up(&w, Decimal::from(4), 0), [2, 1, 1].map(Decimal::from));
}

#[test]
fn figures_beyond_exact_arithmetic_are_an_error_not_a_panic() {
    // One row with upstream_calls near i64::MAX in the baseline: the products
    // of counts leave Decimal's range.
    let mut i = inputs();
    i.b_origin = u64::MAX / 2;
    i.b_rows = 1;
    i.customers[0].e_rows = 1_000_000_000_000;
    let err = compute(&i).unwrap_err().to_string();
    assert!(err.contains("beyond exact decimal arithmetic"), "{err}");
    // The largest configurable prices with an ordinary volume still compute.
    let mut i = inputs();
    i.costs.origin_call_cost = 1e6;
    i.costs.redis_monthly_cost = 1e12;
    i.costs.implementation_cost = 1e12;
    i.settings.discount_rate = 1.0;
    i.settings.npv_horizon_years = 50;
    i.days = 84_000;
    let case = compute(&i).unwrap().unwrap();
    assert!(case.roi.payback_months.is_none());
    // 10 calls avoided × 1e6 = 1e7 gross.
    close(case.roi.gross_savings, 1e7);
}

/// The same two customers over a 12-day window, Wed 2026-11-11 to Mon
/// 2026-11-23: W46 clipped to 5 days (11–16 Nov), then W47 whole.
/// W46: 5 requests, 2 with the cache making 3 calls → avoided 2 × 1.5 − 3 = 0,
///   cache share 2/5 = 0.4; Redis 36.5 × 12 × 5 / 365 = 6.00; net −6.00.
/// W47: 10 requests, 8 with the cache making 2 calls → avoided 8 × 1.5 − 2 = 10,
///   share 0.8; gross 20.00, Redis 8.40, net 11.60, annualized 4234/7 = 604.857…
///   (the tiny window of the first test): that is the run-rate.
/// Window: avoided 10, gross 20.00, Redis 36.5 × 12 × 12 / 365 = 14.40, net 5.60,
///   annualized 5.6 × 365 / 12 = 170.333…: the ramp-up week (0.4 < 0.9 × 0.8 =
///   0.72) pulls it to less than a third of the run-rate.
pub(crate) fn ramp_up_inputs() -> RoiInputs {
    let week = |week: &str, from: &str, to: &str, days, requests, e_rows, e_origin| WeekInput {
        week: week.into(),
        from: from.into(),
        to: to.into(),
        days,
        requests,
        e_rows,
        e_origin,
    };
    RoiInputs {
        from: "2026-11-11".into(),
        to: "2026-11-23".into(),
        days: 12,
        weeks: vec![
            week("2026-W46", "2026-11-11", "2026-11-16", 5, 5, 2, 3),
            week("2026-W47", "2026-11-16", "2026-11-23", 7, 10, 8, 2),
        ],
        ..inputs()
    }
}

#[test]
fn run_rate_is_the_last_full_week_annualized() {
    let case = compute(&ramp_up_inputs()).unwrap().unwrap();
    assert_eq!(cents(case.roi.net_savings), "5.60");
    close(case.roi.annualized_net_savings, 5.6 * 365.0 / 12.0);
    let rr = case.run_rate.as_ref().expect("W47 is a full week");
    assert_eq!(
        (rr.week.as_str(), rr.from.as_str(), rr.to.as_str()),
        ("2026-W47", "2026-11-16", "2026-11-23")
    );
    assert_eq!(rr.cache_share, Some(Decimal::from_str("0.8").unwrap()));
    assert_eq!(rr.figures.origin_calls_avoided, Decimal::from(10));
    assert_eq!(cents(rr.figures.redis_cost), "8.40");
    close(rr.figures.annualized_net_savings, 4234.0 / 7.0);
    close(rr.figures.first_year_roi.unwrap(), -0.39514285714285713);
    close(rr.figures.payback_months.unwrap(), 19.839395370807747);
    close(rr.npv, 504.19018997531396);
    assert_eq!(rr.break_even_origin_call_cost, Some(Decimal::from_str("0.84").unwrap()));
    // W46's share 0.4 is below 0.72: a ramp-up week; the run-rate week is not.
    let flags: Vec<(&str, bool, bool)> = case
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.complete, w.ramp_up))
        .collect();
    assert_eq!(flags, [("2026-W46", false, true), ("2026-W47", true, false)]);
    assert_eq!(cents(case.weeks[0].figures.net_savings), "-6.00");
}

#[test]
fn weeks_add_up_to_the_window() {
    let case = compute(&ramp_up_inputs()).unwrap().unwrap();
    let sum = |f: fn(&RoiFigures) -> Decimal| case.weeks.iter().map(|w| f(&w.figures)).sum::<Decimal>();
    assert_eq!(sum(|f| f.origin_calls_avoided), case.roi.origin_calls_avoided);
    assert_eq!(sum(|f| f.gross_savings), case.roi.gross_savings);
    assert_eq!(sum(|f| f.redis_cost), case.roi.redis_cost);
    assert_eq!(sum(|f| f.net_savings), case.roi.net_savings);
}

#[test]
fn ramp_up_needs_a_clearly_lower_share_and_a_full_week() {
    // W46 with 3 of its 4 requests on the cache (0.75 ≥ 0.72) is steady
    // adoption, not ramp-up.
    let mut i = ramp_up_inputs();
    i.weeks[0].requests = 4;
    i.weeks[0].e_rows = 3;
    i.weeks[0].e_origin = 4;
    let case = compute(&i).unwrap().unwrap();
    assert!(!case.weeks[0].ramp_up);
    // Before it, a W45 (Nov 2–9, 7 days) at 0.75 followed by W46 at 0.4:
    // adoption reached today's level only in W47, so W45 is ramp-up too.
    let mut i = ramp_up_inputs();
    i.from = "2026-11-02".into();
    i.days = 21;
    i.weeks.insert(
        0,
        WeekInput {
            week: "2026-W45".into(),
            from: "2026-11-02".into(),
            to: "2026-11-09".into(),
            days: 7,
            requests: 4,
            e_rows: 3,
            e_origin: 4,
        },
    );
    i.weeks[1].from = "2026-11-09".into();
    i.weeks[1].days = 7;
    let case = compute(&i).unwrap().unwrap();
    let flags: Vec<bool> = case.weeks.iter().map(|w| w.ramp_up).collect();
    assert_eq!(flags, [true, true, false]);
    // No full week in the window (W47 cut to 6 days): no run-rate, no flags.
    let mut i = ramp_up_inputs();
    i.weeks[1].days = 6;
    i.weeks[1].to = "2026-11-22".into();
    let case = compute(&i).unwrap().unwrap();
    assert!(case.run_rate.is_none());
    assert!(case.weeks.iter().all(|w| !w.ramp_up));
}

/// The tiny window split at a month end, worked by hand: 2026-11-28 to
/// 2026-12-05 (7 days), 3 in November and 4 in December.
/// November: c1 4 requests with the cache making 0 calls, c2 2 making 3:
///   E 6 rows, 3 calls → avoided 6 × 1.5 − 3 = 6, gross 12.00, Redis
///   36.5 × 12 / 365 × 3 = 3.60, net 8.40; c1 avoided 6 → 12 − 3.6 × 4/6 =
///   9.60, c2 avoided 0 → 0 − 3.6 × 2/6 = −1.20.
/// December: c1 4 requests making 2 calls (c2 none): avoided 4, gross 8.00,
///   Redis 1.2 × 4 = 4.80, net 3.20; c1 3.20, c2 0.
/// The months add up to the window: avoided 10, gross 20, Redis 8.40, net 11.60.
#[test]
fn months_add_up_to_the_window_and_split_each_customer() {
    let month = |week: &str, from: &str, to: &str, days, e_rows, e_origin, customers| MonthInput {
        span: WeekInput {
            week: week.into(),
            from: from.into(),
            to: to.into(),
            days,
            requests: e_rows,
            e_rows,
            e_origin,
        },
        customers,
    };
    let i = RoiInputs {
        from: "2026-11-28".into(),
        to: "2026-12-05".into(),
        months: vec![
            month("2026-11", "2026-11-28", "2026-12-01", 3, 6, 3, vec![(4, 0), (2, 3)]),
            month("2026-12", "2026-12-01", "2026-12-05", 4, 4, 2, vec![(4, 2), (0, 0)]),
        ],
        ..inputs()
    };
    let case = compute(&i).unwrap().unwrap();
    let m = &case.months;
    assert_eq!(m.len(), 2);
    let f = |k: usize| &m[k].month.figures;
    assert_eq!(f(0).origin_calls_avoided, Decimal::from(6));
    assert_eq!(cents(f(0).gross_savings), "12.00");
    assert_eq!(cents(f(0).redis_cost), "3.60");
    assert_eq!(cents(f(0).net_savings), "8.40");
    assert_eq!(cents(m[0].customer_net_savings[0]), "9.60");
    assert_eq!(cents(m[0].customer_net_savings[1]), "-1.20");
    assert_eq!(f(1).origin_calls_avoided, Decimal::from(4));
    assert_eq!(cents(f(1).redis_cost), "4.80");
    assert_eq!(cents(f(1).net_savings), "3.20");
    assert_eq!(cents(m[1].customer_net_savings[0]), "3.20");
    assert_eq!(cents(m[1].customer_net_savings[1]), "0.00");
    let sum = |g: fn(&RoiFigures) -> Decimal| m.iter().map(|x| g(&x.month.figures)).sum::<Decimal>();
    assert_eq!(sum(|f| f.origin_calls_avoided), case.roi.origin_calls_avoided);
    assert_eq!(cents(sum(|f| f.gross_savings)), cents(case.roi.gross_savings));
    assert_eq!(cents(sum(|f| f.redis_cost)), cents(case.roi.redis_cost));
    assert_eq!(cents(sum(|f| f.net_savings)), "11.60");
    // Each month's customers add up to the month.
    for x in m {
        assert_eq!(
            cents(x.customer_net_savings.iter().copied().sum()),
            cents(x.month.figures.net_savings)
        );
    }
}
