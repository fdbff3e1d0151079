//! Survey scales (docs/inputs.md "Survey exports"): the targets and KPIs
//! read scores on 1–5; a survey that asks on 1–10 or 0–10 has its answers
//! put on 1–5 by the linear map that sends the scale's ends to 1 and 5.

/// The scale a feedback file's scores are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    OneToFive,
    OneToTen,
    ZeroToTen,
}

/// A complaint is an answer at or under this score on the 1–5 scale.
pub const COMPLAINT_AT_MOST: f64 = 2.0;

impl Scale {
    /// `1-5`, `1-10` or `0-10` (an en dash as well).
    pub fn parse(text: &str) -> Result<Scale, String> {
        match text.trim().replace('–', "-").as_str() {
            "1-5" => Ok(Scale::OneToFive),
            "1-10" => Ok(Scale::OneToTen),
            "0-10" => Ok(Scale::ZeroToTen),
            other => Err(format!("scale `{other}`: use \"1-5\", \"1-10\" or \"0-10\"")),
        }
    }

    /// The lowest and highest answer.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Scale::OneToFive => (1, 5),
            Scale::OneToTen => (1, 10),
            Scale::ZeroToTen => (0, 10),
        }
    }

    /// As written in reports: `0–10`.
    pub fn label(self) -> String {
        let (lo, hi) = self.bounds();
        format!("{lo}–{hi}")
    }

    /// An answer on this scale put on 1–5: `1 + 4 × (s − lo) ÷ (hi − lo)`.
    /// Answers outside the scale map outside 1–5 (the map is increasing),
    /// which is how they are rejected.
    pub fn to_five(self, answer: f64) -> f64 {
        let (lo, hi) = self.bounds();
        if self == Scale::OneToFive {
            return answer;
        }
        1.0 + 4.0 * (answer - lo as f64) / (hi - lo) as f64
    }

    /// The highest answer on this scale that counts as a complaint (its
    /// 1–5 value is at most [`COMPLAINT_AT_MOST`]).
    pub fn complaint_at_most(self) -> i64 {
        let (lo, hi) = self.bounds();
        (lo..=hi)
            .take_while(|a| self.to_five(*a as f64) <= COMPLAINT_AT_MOST)
            .last()
            .unwrap_or(lo)
    }

    /// The methodology's sentence on the map; None on the native 1–5 scale.
    pub fn note(self) -> Option<String> {
        if self == Scale::OneToFive {
            return None;
        }
        let (lo, hi) = self.bounds();
        let span = hi - lo;
        let shift = if lo == 0 {
            "s".to_string()
        } else {
            format!("(s − {lo})")
        };
        Some(format!(
            "Survey answers s on a {label} scale are put on the 1–5 scale of the targets as 1 + 4 × {shift} ÷ {span} \
             ({lo} → 1, {hi} → 5); complaints are answers of {c} or less.",
            label = self.label(),
            c = self.complaint_at_most(),
        ))
    }
}

/// A score as a reader writes it: `5/5`, `3.8/5`, `1.44/5`.
pub fn answer(score: f64) -> String {
    if score.fract() == 0.0 {
        format!("{}/5", score as i64)
    } else {
        let s = format!("{score:.2}");
        format!("{}/5", s.trim_end_matches('0'))
    }
}

/// Serializes a score that is a whole number as an integer (`5`, as the
/// native 1–5 files write it), else as the number it is.
pub fn whole_as_int<S: serde::Serializer>(score: &f64, s: S) -> Result<S::Ok, S::Error> {
    if score.fract() == 0.0 && score.abs() < 1e15 {
        s.serialize_i64(*score as i64)
    } else {
        s.serialize_f64(*score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_their_ends_to_one_and_five() {
        // 0–10: 1 + 4·s/10, so 0 → 1, 5 → 3, 7 → 3.8, 10 → 5; 11 → 5.4 (outside).
        let z = Scale::ZeroToTen;
        assert_eq!([0.0, 5.0, 10.0].map(|s| z.to_five(s)), [1.0, 3.0, 5.0],);
        assert!((z.to_five(7.0) - 3.8).abs() < 1e-12);
        assert!(z.to_five(11.0) > 5.0 && z.to_five(-1.0) < 1.0);
        // 1–10: 1 + 4·(s − 1)/9, so 1 → 1, 10 → 5, 4 → 1 + 12/9 = 2.333…
        let t = Scale::OneToTen;
        assert_eq!([1.0, 10.0].map(|s| t.to_five(s)), [1.0, 5.0]);
        assert!((t.to_five(4.0) - (1.0 + 12.0 / 9.0)).abs() < 1e-12);
        assert_eq!(Scale::OneToFive.to_five(4.0), 4.0);
        assert!(t.to_five(0.0) < 1.0);
    }

    #[test]
    fn complaints_are_the_answers_that_map_to_two_or_less() {
        // 0–10: 2 → 1.8, 3 → 2.2: complaints are 0–2. 1–10: 3 → 1.89, 4 → 2.33:
        // 1–3. 1–5: 1–2.
        assert_eq!(Scale::ZeroToTen.complaint_at_most(), 2);
        assert_eq!(Scale::OneToTen.complaint_at_most(), 3);
        assert_eq!(Scale::OneToFive.complaint_at_most(), 2);
    }

    #[test]
    fn scales_parse_and_name_themselves() {
        assert_eq!(Scale::parse("0-10"), Ok(Scale::ZeroToTen));
        assert_eq!(Scale::parse(" 1–10 "), Ok(Scale::OneToTen));
        assert_eq!(Scale::parse("1-5"), Ok(Scale::OneToFive));
        assert!(Scale::parse("1-7").unwrap_err().contains("\"0-10\""));
        assert_eq!(Scale::OneToFive.note(), None);
        assert_eq!(
            Scale::ZeroToTen.note().unwrap(),
            "Survey answers s on a 0–10 scale are put on the 1–5 scale of the targets as 1 + 4 × s ÷ 10 \
             (0 → 1, 10 → 5); complaints are answers of 2 or less."
        );
        assert_eq!(answer(5.0), "5/5");
        assert_eq!(answer(3.8), "3.8/5");
        assert_eq!(answer(1.0 + 4.0 / 9.0), "1.44/5");
    }
}
