//! Evaluation metrics: binary (accuracy, recall, precision, F1, AUROC), multi-class
//! (accuracy, macro-F1, confusion matrix) and regression (MAE, RMSE, R²).
//!
//! Definitions follow scikit-learn's, positive class 1; undefined ratios (no positive
//! example, no predicted positive) are 0, as sklearn's `zero_division=0`.

use serde::{Deserialize, Serialize};

/// Binary classification metrics, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    /// Fraction of correct predictions at threshold 0.5.
    pub accuracy: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Area under the ROC curve (Mann-Whitney statistic, ties counted half); `None` when only
    /// one class is present.
    pub auroc: Option<f64>,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

/// Binary metrics of probabilities `p` (of class 1) against labels `y` (0 or 1).
pub fn binary(p: &[f64], y: &[usize]) -> BinaryMetrics {
    let (mut tp, mut fp, mut fn_, mut correct) = (0, 0, 0, 0);
    for (&pi, &yi) in p.iter().zip(y) {
        let predicted = usize::from(pi >= 0.5);
        correct += usize::from(predicted == yi);
        match (predicted, yi) {
            (1, 1) => tp += 1,
            (1, _) => fp += 1,
            (_, 1) => fn_ += 1,
            _ => {}
        }
    }
    let recall = ratio(tp, tp + fn_);
    let precision = ratio(tp, tp + fp);
    let f1 = if recall + precision == 0.0 {
        0.0
    } else {
        2.0 * recall * precision / (recall + precision)
    };
    BinaryMetrics { accuracy: ratio(correct, p.len()), recall, precision, f1, auroc: auroc(p, y) }
}

/// AUROC as the probability that a random positive scores above a random negative.
pub fn auroc(p: &[f64], y: &[usize]) -> Option<f64> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    // Average ranks over ties, 1-based.
    let mut ranks = vec![0.0; p.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    let positives = y.iter().filter(|&&v| v == 1).count();
    let negatives = y.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let rank_sum: f64 = ranks.iter().zip(y).filter(|&(_, &v)| v == 1).map(|(r, _)| r).sum();
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives * negatives) as f64)
}

/// Multi-class metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiClassMetrics {
    /// Fraction of correct arg-max predictions.
    pub accuracy: f64,
    /// Unweighted mean of per-class F1.
    pub macro_f1: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Multi-class metrics of per-class probabilities (`probs[i]` sums to 1) against labels.
pub fn multi_class(probs: &[Vec<f64>], y: &[usize], classes: usize) -> MultiClassMetrics {
    let mut confusion = vec![vec![0; classes]; classes];
    for (p, &yi) in probs.iter().zip(y) {
        let predicted = argmax(p);
        confusion[yi][predicted] += 1;
    }
    let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
    let f1s = (0..classes).map(|c| {
        let tp = confusion[c][c];
        let actual: usize = confusion[c].iter().sum();
        let predicted: usize = confusion.iter().map(|row| row[c]).sum();
        let (r, p) = (ratio(tp, actual), ratio(tp, predicted));
        if r + p == 0.0 { 0.0 } else { 2.0 * r * p / (r + p) }
    });
    MultiClassMetrics {
        accuracy: ratio(correct, y.len()),
        macro_f1: f1s.sum::<f64>() / classes.max(1) as f64,
        confusion,
    }
}

/// Index of the largest element (the first on ties).
pub fn argmax(p: &[f64]) -> usize {
    p.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best })
        .0
}

/// Regression metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Coefficient of determination, 1 - SS_res / SS_tot (0 when the targets are constant).
    pub r2: f64,
}

/// Regression metrics of predictions against targets.
pub fn regression(pred: &[f64], target: &[f64]) -> RegressionMetrics {
    let n = pred.len().max(1) as f64;
    let mean = target.iter().sum::<f64>() / n;
    let ss_res: f64 = pred.iter().zip(target).map(|(p, t)| (p - t).powi(2)).sum();
    let ss_tot: f64 = target.iter().map(|t| (t - mean).powi(2)).sum();
    RegressionMetrics {
        mae: pred.iter().zip(target).map(|(p, t)| (p - t).abs()).sum::<f64>() / n,
        rmse: (ss_res / n).sqrt(),
        r2: if ss_tot == 0.0 { 0.0 } else { 1.0 - ss_res / ss_tot },
    }
}

/// Mean and population standard deviation (as the reference reports over seeds).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Mean and population standard deviation of one metric over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
}

impl MeanStd {
    /// Of `values` ([`mean_std`]).
    pub fn of(values: &[f64]) -> MeanStd {
        let (mean, std) = mean_std(values);
        MeanStd { mean, std }
    }
}

/// The metrics of one set of predictions; which ones depends on the task. Serialises as the
/// inner struct's fields (`{"accuracy": …, "recall": …}`), as `metrics.json` stores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Metrics {
    /// A binary task's.
    Binary(BinaryMetrics),
    /// A multi-class task's.
    MultiClass(MultiClassMetrics),
    /// A regression task's.
    Regression(RegressionMetrics),
}

impl Metrics {
    /// Every scalar metric by name, in alphabetical order (the confusion matrix is not a
    /// scalar; AUROC is left out when it is undefined).
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        match self {
            Metrics::Binary(m) => {
                let mut v = vec![("accuracy", m.accuracy)];
                v.extend(m.auroc.map(|a| ("auroc", a)));
                v.extend([("f1", m.f1), ("precision", m.precision), ("recall", m.recall)]);
                v
            }
            Metrics::MultiClass(m) => vec![("accuracy", m.accuracy), ("macro_f1", m.macro_f1)],
            Metrics::Regression(m) => vec![("mae", m.mae), ("r2", m.r2), ("rmse", m.rmse)],
        }
    }

    /// The scalar metric `name`, if this task has it (and, for AUROC, it is defined).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values().into_iter().find(|&(n, _)| n == name).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_metrics_match_hand_counts() {
        // TP = 2 (0.9, 0.6), FN = 1 (0.4), FP = 1 (0.7), TN = 1 (0.1).
        let m = binary(&[0.9, 0.6, 0.4, 0.7, 0.1], &[1, 1, 1, 0, 0]);
        assert_eq!(m.accuracy, 0.6);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
        // Pairs (pos, neg): 0.9>0.7, 0.9>0.1, 0.6<0.7, 0.6>0.1, 0.4<0.7, 0.4>0.1 → 4/6.
        assert!((m.auroc.unwrap() - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(auroc(&[0.5, 0.5], &[1, 0]), Some(0.5));
        assert_eq!(auroc(&[0.5, 0.2], &[1, 1]), None);
    }

    #[test]
    fn multi_class_and_regression() {
        let probs = vec![
            vec![0.8, 0.1, 0.1],
            vec![0.1, 0.8, 0.1],
            vec![0.1, 0.8, 0.1],
            vec![0.2, 0.2, 0.6],
        ];
        let m = multi_class(&probs, &[0, 1, 2, 2], 3);
        assert_eq!(m.confusion, vec![vec![1, 0, 0], vec![0, 1, 0], vec![0, 1, 1]]);
        assert_eq!(m.accuracy, 0.75);
        // F1: class 0 = 1, class 1 = 2/3, class 2 = 2/3.
        assert!((m.macro_f1 - (1.0 + 4.0 / 3.0) / 3.0).abs() < 1e-6);
        let r = regression(&[1.0, 2.0, 4.0], &[1.0, 3.0, 5.0]);
        assert!((r.mae - 2.0 / 3.0).abs() < 1e-12);
        // SS_res = 0 + 1 + 1, SS_tot = 4 + 0 + 4 around the mean 3.
        assert!((r.r2 - 0.75).abs() < 1e-12);
        assert!((r.rmse - (2.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
    }

    #[test]
    fn metrics_read_back_as_the_task_that_wrote_them() {
        let binary = Metrics::Binary(binary(&[0.9, 0.2, 0.6], &[1, 0, 0]));
        let multi = Metrics::MultiClass(multi_class(&[vec![0.7, 0.3]], &[1], 2));
        let regression = Metrics::Regression(regression(&[1.0, 2.0], &[1.0, 3.0]));
        for m in [&binary, &multi, &regression] {
            let text = serde_json::to_string(m).unwrap();
            assert_eq!(&serde_json::from_str::<Metrics>(&text).unwrap(), m, "{text}");
        }
        // The JSON holds the fields themselves, no variant name.
        assert!(serde_json::to_string(&multi).unwrap().starts_with("{\"accuracy\":0.0,"));
        assert_eq!(binary.get("accuracy"), Some(2.0 / 3.0));
        assert_eq!(binary.get("auroc"), Some(1.0));
        assert_eq!(multi.get("recall"), None);
        assert_eq!(regression.get("mae"), Some(0.5));
        let names: Vec<&str> = binary.values().iter().map(|&(n, _)| n).collect();
        assert_eq!(names, ["accuracy", "auroc", "f1", "precision", "recall"]);
    }
}
